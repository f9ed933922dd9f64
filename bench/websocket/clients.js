// The WebSocket benchmark's clients, behind the one driver's interface (lib/driver.js): ours
// and the SDK's transport inside the v1 SDK Client, our transport driven directly, and a bare
// `ws` loop.

import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { createTransport } from '../../dist/index.js';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  clientFields,
  initializeAnswer,
  initializeRequest,
  mcpClient,
  request,
  transportClient,
} from '../lib/clients.js';
import { withTimeout } from '../lib/stats.js';
import { ensureGlobalWebSocket } from './setup.js';

/** @import { BenchClient, BenchTransport, JsonRpc } from '../lib/types.js' */

/**
 * Waits for a `ws` socket to open (rejects on its first error).
 * @returns {Promise<void>}
 */
export const opened = (/** @type {WebSocket} */ socket) =>
  new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });

/**
 * Closes a `ws` socket with 1000 and waits for its close event.
 * @returns {Promise<void>}
 */
export const closed = (/** @type {WebSocket} */ socket) =>
  new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close(1000);
  });

/**
 * c. The baseline: a bare `ws` client (subprotocol `mcp`, perMessageDeflate off, as ours), sending
 * the same JSON-RPC text and parsing each answer with JSON.parse. It does the handshake
 * (initialize, notifications/initialized) and nothing else: no MCP client layer at all.
 * @param {{ url: string, pid: number | undefined }} server
 * @returns {BenchClient}
 */
export function rawClient(server) {
  /** @type {WebSocket | undefined} */
  let socket;
  const handshake = initializeAnswer();
  /** @type {BenchClient} */
  const client = {
    ...clientFields('raw', server.pid),
    async start() {
      const ws = new WebSocket(server.url, ['mcp'], { perMessageDeflate: false });
      socket = ws;
      ws.on('message', (data) => {
        /** @type {JsonRpc} */
        const message = JSON.parse(data.toString());
        if (!handshake.take(message)) client.onResponse?.(Number(message.id), message);
      });
      ws.on('error', (error) => {
        client.errors.push(error.message);
        client.onFailure?.(error);
      });
      await withTimeout(opened(ws), CONNECT_TIMEOUT_MS, 'raw: open');
      ws.send(JSON.stringify(initializeRequest('lifeline-bench-raw')));
      await withTimeout(handshake.answer, CONNECT_TIMEOUT_MS, 'raw: initialize');
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    },
    send(id, params) {
      socket?.send(JSON.stringify(request(id, params)));
    },
    async close() {
      if (socket === undefined) return;
      await withTimeout(closed(socket), CLOSE_TIMEOUT_MS, 'raw: close');
    },
  };
  return client;
}

/** Our transport on the echo server (heartbeat off while measuring round trips, as in the HTTP benchmark). */
const ourTransport = (/** @type {{ url: string }} */ server) =>
  /** @type {BenchTransport} */ (createTransport({ url: server.url, heartbeat: { intervalMs: 0 } }));

/**
 * The variants: a. our transport and b. the SDK's v1 WebSocket transport (on `ws` where node
 * has no global WebSocket), both inside the SDK Client; c. the bare `ws` loop; a'. our
 * transport driven directly, for information.
 * @type {Record<string, (server: { url: string, pid: number | undefined }) => BenchClient>}
 */
export const WS_FACTORIES = {
  ours: (server) => mcpClient('ours', ourTransport(server), server.pid),
  sdk: (server) => {
    ensureGlobalWebSocket();
    const transport = new WebSocketClientTransport(new URL(server.url));
    return mcpClient('sdk', /** @type {BenchTransport} */ (transport), server.pid);
  },
  raw: rawClient,
  'ours-transport': (server) =>
    transportClient('ours-transport', ourTransport(server), { serverPid: server.pid, handshake: true }),
};

/**
 * The factory of a variant.
 * @param {string} variant
 */
export function factoryOf(variant) {
  const factory = WS_FACTORIES[variant];
  if (factory === undefined) throw new Error(`no WebSocket variant ${variant}`);
  return factory;
}
