// What the HTTP and WebSocket round-trip benchmarks share: the call every variant makes, the
// clients that go through the v1 SDK `Client` or drive a transport directly (behind the
// interface of lib.js drive(): start, send, onResponse, onFailure, close), and one measured
// round of a variant.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { collectGarbage, drive, withTimeout } from '../lib.js';

/** Calls in flight. */
export const WINDOW = 64;
/** The same small payload for every variant: `{"name":"echo","arguments":{"text":"xxx…"}}`, 139 B. */
export const PARAMS = { name: 'echo', arguments: { text: 'x'.repeat(100) } };
export const PARAMS_BYTES = JSON.stringify(PARAMS).length;
export const PROTOCOL_VERSION = '2025-06-18';
export const CONNECT_TIMEOUT_MS = 15_000;
export const CLOSE_TIMEOUT_MS = 10_000;

export const errorText = (error) => String(error?.message ?? error).slice(0, 300);

/** The `initialize` request (id 0) of a client that does the handshake itself. */
export function initializeRequest(clientName) {
  return {
    jsonrpc: '2.0',
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
  let resolve;
  const answer = new Promise((r) => {
    resolve = r;
  });
  return {
    answer,
    take(message) {
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
 */
export const clientFields = (name, pid) => ({
  name,
  pid,
  onResponse: undefined,
  onFailure: undefined,
  errors: [],
});

/**
 * An SDK v1 `Client` over a transport: each `send` is one `client.callTool()`; its result is
 * handed to the driver as the answer. The first failed call fails the round (onFailure).
 */
export function mcpClient(name, transport, serverPid) {
  const sdk = new Client({ name: 'lifeline-bench', version: '1.0.0' });
  const client = {
    ...clientFields(name, serverPid),
    sdk,
    transport,
    async start() {
      await withTimeout(sdk.connect(transport), CONNECT_TIMEOUT_MS, `${name}: connect`);
      // Client.connect installs its own onerror; keep it and record the errors too.
      const sdkOnError = transport.onerror;
      transport.onerror = (error) => {
        client.errors.push(error?.message ?? String(error));
        sdkOnError?.(error);
      };
    },
    send(id, params) {
      sdk.callTool(params).then(
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
 * Our transport driven directly, without the SDK Client (for information: splits the cost of
 * the Client from the cost of the transport). Does the handshake itself.
 */
export function directClient(transport, serverPid) {
  const handshake = initializeAnswer();
  const client = {
    ...clientFields('ours-transport', serverPid),
    transport,
    async start() {
      await withTimeout(transport.start(), CONNECT_TIMEOUT_MS, 'ours-transport: start');
      await transport.send(initializeRequest('lifeline-bench-transport'));
      const answer = await withTimeout(handshake.answer, CONNECT_TIMEOUT_MS, 'ours-transport: initialize');
      if (answer.error !== undefined) throw new Error(`initialize failed: ${JSON.stringify(answer.error)}`);
      transport.setProtocolVersion?.(answer.result.protocolVersion);
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
    send(id, params) {
      transport
        .send({ jsonrpc: '2.0', id, method: 'tools/call', params })
        .catch((error) => client.onFailure?.(error));
    },
    async close() {
      await withTimeout(transport.close(), CLOSE_TIMEOUT_MS, 'ours-transport: close');
    },
  };
  transport.onmessage = (message) => {
    if ('method' in message || handshake.take(message)) return;
    client.onResponse?.(message.id, message);
  };
  transport.onerror = (error) => client.errors.push(error?.message ?? String(error));
  return client;
}

/** Detaches a client's callbacks and closes it; a close error is recorded in `result`. */
export async function closeClient(client, result) {
  if (client === undefined) return;
  client.onResponse = undefined;
  client.onFailure = undefined;
  try {
    await client.close();
  } catch (error) {
    result.closeError = errorText(error);
  }
}

/**
 * One measured round of one variant in this process: a fresh client (`makeClient()`), warm-up,
 * then measure. Never throws: a failure (an error, a timeout, a hang at connect or close) comes
 * back as `{ failed, phase, error }`.
 */
export async function measureRound(makeClient, { warmup, count, timeoutMs }) {
  collectGarbage();
  let client;
  let result;
  let phase = 'create';
  try {
    client = makeClient();
    phase = 'connect';
    await client.start();
    phase = 'warm-up';
    await drive(client, { count: warmup, window: WINDOW, params: PARAMS, firstId: 1, timeoutMs });
    phase = 'measure';
    result = await drive(client, { count, window: WINDOW, params: PARAMS, firstId: 1 + warmup, timeoutMs });
    result.transportErrors = client.errors.length;
    if (client.errors.length > 0) result.firstTransportError = client.errors[0];
  } catch (error) {
    result = { failed: true, phase, error: errorText(error), transportErrors: client?.errors.slice(0, 5) };
  }
  await closeClient(client, result);
  return result;
}
