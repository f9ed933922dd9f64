// The WebSocket benchmark's clients, behind the interface of lib.js drive() (start, send,
// onResponse, onFailure, close; see lib/mcp.js): ours and the SDK's transport inside the v1 SDK
// Client, our transport driven directly, and a bare `ws` loop.

import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { createTransport } from '../../dist/index.js';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  clientFields,
  directClient,
  initializeAnswer,
  initializeRequest,
  mcpClient,
} from '../lib/mcp.js';
import { withTimeout } from '../lib.js';
import { ensureGlobalWebSocket } from './setup.js';

/** Waits for a `ws` socket to open (rejects on its first error). */
export const opened = (socket) =>
  new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });

/** Closes a `ws` socket with 1000 and waits for its close event. */
export const closed = (socket) =>
  new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', resolve);
    socket.close(1000);
  });

/**
 * c. The baseline: a bare `ws` client (subprotocol `mcp`, perMessageDeflate off, as ours), sending
 * the same JSON-RPC text and parsing each answer with JSON.parse. It does the handshake
 * (initialize, notifications/initialized) and nothing else: no MCP client layer at all.
 */
export function rawClient(server) {
  let socket;
  const handshake = initializeAnswer();
  const client = {
    ...clientFields('raw', server.pid),
    async start() {
      socket = new WebSocket(server.url, ['mcp'], { perMessageDeflate: false });
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString('utf8'));
        if (!handshake.take(message)) client.onResponse?.(message.id, message);
      });
      socket.on('error', (error) => {
        client.errors.push(error.message);
        client.onFailure?.(error);
      });
      await withTimeout(opened(socket), CONNECT_TIMEOUT_MS, 'raw: open');
      socket.send(JSON.stringify(initializeRequest('lifeline-bench-raw')));
      await withTimeout(handshake.answer, CONNECT_TIMEOUT_MS, 'raw: initialize');
      socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    },
    send(id, params) {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }));
    },
    async close() {
      if (socket === undefined) return;
      await withTimeout(closed(socket), CLOSE_TIMEOUT_MS, 'raw: close');
    },
  };
  return client;
}

/** Our transport on the echo server (heartbeat off while measuring round trips, as in bench/http.js). */
const ourTransport = (server) => createTransport({ url: server.url, heartbeat: { intervalMs: 0 } });

/**
 * The variants: a. our transport and b. the SDK's v1 WebSocket transport (on `ws` where node
 * has no global WebSocket), both inside the SDK Client; c. the bare `ws` loop; a'. our
 * transport driven directly, for information.
 */
export const WS_FACTORIES = {
  ours: (server) => mcpClient('ours', ourTransport(server), server.pid),
  sdk: (server) => {
    ensureGlobalWebSocket();
    return mcpClient('sdk', new WebSocketClientTransport(new URL(server.url)), server.pid);
  },
  raw: rawClient,
  'ours-transport': (server) => directClient(ourTransport(server), server.pid),
};
