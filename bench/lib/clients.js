// The clients every transport's benchmark shares, behind the one driver's interface
// (lib/driver.js; `BenchClient` in lib/types.d.ts): an SDK v1 `Client` over a transport (each
// call a `client.callTool()`), and a transport driven directly (each call one `tools/call`
// request on `transport.send`), with or without the MCP handshake. The raw baselines are
// transport-specific and live beside their transport (bench/<transport>/clients.js).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { livePids } from './children.js';
import { withTimeout } from './stats.js';

/** @import { BenchClient, BenchTransport, JsonRpc } from './types.js' */

/** Calls in flight. */
export const WINDOW = 64;
/** The same small payload for every variant: `{"name":"echo","arguments":{"text":"xxx…"}}`, 139 B. */
export const PARAMS = { name: 'echo', arguments: { text: 'x'.repeat(100) } };
export const PARAMS_BYTES = JSON.stringify(PARAMS).length;
export const PROTOCOL_VERSION = '2025-06-18';
export const CONNECT_TIMEOUT_MS = 15_000;
export const CLOSE_TIMEOUT_MS = 10_000;

/** A `tools/call` request. */
export const request = (/** @type {number} */ id, /** @type {unknown} */ params) => ({
  jsonrpc: /** @type {const} */ ('2.0'),
  id,
  method: 'tools/call',
  params,
});

/** The `initialize` request (id 0) of a client that does the handshake itself. */
export function initializeRequest(/** @type {string} */ clientName) {
  return {
    jsonrpc: /** @type {const} */ ('2.0'),
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: clientName, version: '1.0.0' },
    },
  };
}

/** Waits for the answer to `initialize` among incoming messages: `take(message)` is true for it. */
export function initializeAnswer() {
  /** @type {((message: JsonRpc) => void) | undefined} */
  let resolve;
  /** @type {Promise<JsonRpc>} */
  const answer = new Promise((r) => {
    resolve = r;
  });
  return {
    answer,
    take(/** @type {JsonRpc} */ message) {
      if (message.id !== 0 || resolve === undefined) return false;
      resolve(message);
      resolve = undefined;
      return true;
    },
  };
}

/**
 * What every client has: its name, the pid whose CPU counts as the server's, the driver's
 * callbacks and the transport errors seen.
 * @param {string} name
 * @param {number | undefined} pid
 */
export const clientFields = (name, pid) => ({
  name,
  pid,
  /** @type {BenchClient['onResponse']} */
  onResponse: undefined,
  /** @type {BenchClient['onFailure']} */
  onFailure: undefined,
  /** @type {string[]} */
  errors: [],
});

/** The message of a transport error. */
const messageOf = (/** @type {unknown} */ error) =>
  /** @type {{ message?: string } | undefined} */ (error)?.message ?? String(error);

/**
 * An SDK v1 `Client` over a transport: each `send` is one `client.callTool()`; its result is
 * handed to the driver as the answer. The first failed call fails the round (onFailure).
 * @param {string} name
 * @param {BenchTransport} transport
 * @param {number | undefined} serverPid
 * @returns {BenchClient & { sdk: Client }}
 */
export function mcpClient(name, transport, serverPid) {
  const sdk = new Client({ name: 'lifeline-bench', version: '1.0.0' });
  /** @type {BenchClient & { sdk: Client }} */
  const client = {
    ...clientFields(name, serverPid),
    sdk,
    transport,
    async start() {
      // The SDK's Transport type is wider than what the bench touches; ours and the SDK's fit it.
      await withTimeout(
        sdk.connect(/** @type {never} */ (transport)),
        CONNECT_TIMEOUT_MS,
        `${name}: connect`,
      );
      // Client.connect installs its own onerror; keep it and record the errors too.
      const sdkOnError = transport.onerror;
      transport.onerror = (error) => {
        client.errors.push(messageOf(error));
        sdkOnError?.(error);
      };
    },
    send(id, params) {
      sdk.callTool(/** @type {Parameters<Client['callTool']>[0]} */ (params)).then(
        (result) => client.onResponse?.(id, result),
        (error) => client.onFailure?.(error),
      );
    },
    async close() {
      await withTimeout(sdk.close(), CLOSE_TIMEOUT_MS, `${name}: close`);
    },
  };
  return client;
}

/**
 * A transport driven directly, without the SDK Client: each `send` is one `tools/call` request,
 * each response to one goes to the driver. With `handshake`, `start()` also does `initialize`
 * and `notifications/initialized` (the HTTP and WebSocket echo servers want a session); the
 * stdio echo server answers any request at once. Without a `serverPid`, the transport's own
 * `pid` (stdio) is the server's, registered so the exit hook can kill it.
 * @param {string} name
 * @param {BenchTransport} transport
 * @param {{ serverPid?: number | undefined, handshake?: boolean }} [options]
 * @returns {BenchClient}
 */
export function transportClient(name, transport, { serverPid, handshake = false } = {}) {
  const initialized = handshake ? initializeAnswer() : undefined;
  /** @type {BenchClient} */
  const client = {
    ...clientFields(name, serverPid),
    transport,
    closed: false,
    async start() {
      await withTimeout(transport.start(), CONNECT_TIMEOUT_MS, `${name}: start`);
      if (serverPid === undefined && typeof transport.pid === 'number') {
        client.pid = transport.pid;
        livePids.add(transport.pid);
      }
      if (initialized === undefined) return;
      await transport.send(initializeRequest(`lifeline-bench-${name}`));
      const answer = await withTimeout(initialized.answer, CONNECT_TIMEOUT_MS, `${name}: initialize`);
      if (answer.error !== undefined) throw new Error(`initialize failed: ${JSON.stringify(answer.error)}`);
      const result = /** @type {{ protocolVersion: string }} */ (answer.result);
      transport.setProtocolVersion?.(result.protocolVersion);
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
    send(id, params) {
      transport.send(request(id, params)).catch((error) => client.onFailure?.(error));
    },
    async close() {
      await withTimeout(transport.close(), CLOSE_TIMEOUT_MS, `${name}: close`);
      if (serverPid === undefined && client.pid !== undefined) livePids.delete(client.pid);
    },
  };
  transport.onmessage = (message) => {
    if ('method' in message || initialized?.take(message)) return;
    client.onResponse?.(Number(message.id), message);
  };
  transport.onerror = (error) => client.errors.push(messageOf(error));
  transport.onclose = () => {
    client.closed = true;
    client.onClosed?.();
  };
  return client;
}
