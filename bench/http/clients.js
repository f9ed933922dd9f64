// The HTTP benchmark's clients, behind the one driver's interface (lib/driver.js): ours and
// the SDK's v1 Streamable HTTP transport inside the SDK Client, our transport driven directly,
// and a bare `undici.request` loop.

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Pool } from 'undici';
import { createTransport } from '../../dist/index.js';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  clientFields,
  initializeRequest,
  mcpClient,
  PROTOCOL_VERSION,
  request,
  transportClient,
  WINDOW,
} from '../lib/clients.js';
import { withTimeout } from '../lib/stats.js';

/** @import { BenchClient, BenchTransport, JsonRpc } from '../lib/types.js' */
/** @import { HttpEchoServer } from './setup.js' */

/** The first `data:` payload of an SSE body (enough for this server's one-event streams). */
function sseData(/** @type {string} */ text) {
  const start = text.startsWith('data:') ? 0 : text.indexOf('\ndata:') + 1;
  if (start === 0 && !text.startsWith('data:'))
    throw new Error(`no data line in SSE body: ${text.slice(0, 80)}`);
  let from = start + 5;
  if (text.charCodeAt(from) === 32) from += 1;
  const end = text.indexOf('\n', from);
  return text.slice(from, end === -1 ? text.length : end);
}

/**
 * c. The baseline: a bare `undici.request` on a Pool of 64 connections, POSTing the same
 * JSON-RPC body with the same headers (session id, protocol version), reading the JSON body
 * (or the SSE text and its data line) and parsing it. No MCP client layer at all.
 * @param {HttpEchoServer} server
 * @param {string} mode
 * @returns {BenchClient}
 */
export function rawClient(server, mode) {
  const url = new URL(server.url(mode));
  const path = `${url.pathname}${url.search}`;
  const pool = new Pool(url.origin, { connections: WINDOW });
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (/** @type {JsonRpc} */ message) => {
    const response = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(message) });
    const text = await response.body.text();
    if (response.statusCode === 202) return { response, message: undefined };
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const type = String(response.headers['content-type'] ?? '');
    const body = type.startsWith('text/event-stream') ? sseData(text) : text;
    return { response, message: /** @type {JsonRpc} */ (JSON.parse(body)) };
  };
  /** @type {BenchClient} */
  const client = {
    ...clientFields('raw', server.pid),
    async start() {
      const { response } = await withTimeout(
        post(initializeRequest('lifeline-bench-raw')),
        CONNECT_TIMEOUT_MS,
        'raw: initialize',
      );
      headers['mcp-session-id'] = String(response.headers['mcp-session-id']);
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
    send(id, params) {
      post(request(id, params)).then(
        ({ message }) => client.onResponse?.(Number(message?.id), message),
        (error) => client.onFailure?.(error),
      );
    },
    async close() {
      const response = await pool.request({ path, method: 'DELETE', headers });
      await response.body.dump();
      await withTimeout(pool.close(), CLOSE_TIMEOUT_MS, 'raw: close');
    },
  };
  return client;
}

/** Our transport on the echo server (heartbeat off while measuring). */
const ourTransport = (/** @type {HttpEchoServer} */ server, /** @type {string} */ mode) =>
  /** @type {BenchTransport} */ (
    createTransport({ type: 'http', url: server.url(mode), heartbeat: { intervalMs: 0 } })
  );

/**
 * The variants: a. our transport and b. the SDK's v1 Streamable HTTP transport, both inside the
 * SDK Client; c. the bare undici loop; a'. our transport driven directly, for information.
 * @type {Record<string, (server: HttpEchoServer, mode: string) => BenchClient>}
 */
export const HTTP_FACTORIES = {
  ours: (server, mode) => mcpClient('ours', ourTransport(server, mode), server.pid),
  sdk: (server, mode) =>
    mcpClient(
      'sdk',
      /** @type {BenchTransport} */ (new StreamableHTTPClientTransport(new URL(server.url(mode)))),
      server.pid,
    ),
  raw: rawClient,
  'ours-transport': (server, mode) =>
    transportClient('ours-transport', ourTransport(server, mode), { serverPid: server.pid, handshake: true }),
};
