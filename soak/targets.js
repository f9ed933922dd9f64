// @ts-check
// The transports the soak runs, each as a target: what our `createTransport` gets, which official SDK
// transport is its anchor, which faults it takes and how each is injected. The network targets share one
// backend server per target; the stdio and Docker targets are in ./targets-local.js.
//
// For another suite (the leak check) these are the pieces to reuse:
//   TRANSPORTS                          every target name, in the order the soak runs them
//   openTarget(name, { log })           a running target, or `{ name, skipped: reason }`
//   target.ours()                       the transport part of a createTransport() configuration
//   target.sdk()                        a fresh official SDK transport to the same server (or undefined)
//   target.close()                      stops what the target started (servers, relay, nginx; the Docker
//                                       engine outlives it: releaseEngine() in ./engine.js)

import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { instant, killAndRestart, stall } from './faults.js';
import { startNginx } from './nginx.js';
import { startRelay } from './relay.js';
import { startBackend } from './servers.js';
import { openDockerTarget, openStdioTarget } from './targets-local.js';

/** Every transport the soak knows, in the order it runs them. */
export const TRANSPORTS = /** @type {const} */ ([
  'stdio',
  'http',
  'http-tcp-proxy',
  'http-nginx',
  'sse',
  'websocket',
  'docker',
]);

/** @typedef {typeof TRANSPORTS[number]} TransportName */
/** @typedef {import('./faults.js').FaultKind} FaultKind */
/** @typedef {import('./faults.js').Fault} Fault */
/** @typedef {import('./faults.js').Victim} Victim */
/** @typedef {import('@modelcontextprotocol/sdk/shared/transport.js').Transport} SdkTransport */

/**
 * @typedef {object} Target
 * @property {TransportName} name
 * @property {readonly FaultKind[]} kinds the faults this target takes
 * @property {() => import('mcp-lifeline').TransportConfig} ours
 * @property {(() => SdkTransport) | undefined} sdk undefined when the SDK has no such transport here
 * @property {string} sdkName the anchor's transport, for the table
 * @property {string} [sdkSkipped] why there is no anchor
 * @property {(kind: FaultKind, fault: Fault, victim: Victim) => Promise<void>} inject resolves once lifted
 * @property {() => Promise<void>} close
 * @property {string} [detail] versions and such, for the notes under the table
 */

/** @typedef {Target | { name: TransportName, skipped: string }} Opened */

/**
 * Faults on a server the soak runs itself, with no proxy in between: killed and restarted, its
 * connections cut or reset by the server (./server-hooks.js), or the process stopped for 2 s.
 * @param {import('./servers.js').Backend} backend @returns {Target['inject']}
 */
function serverFaults(backend) {
  return async (kind, fault, victim) => {
    if (kind === 'kill' || kind === 'backend') return killAndRestart(backend, fault, victim);
    if (kind === 'stall')
      return stall((action) => backend.signal(action === 'stop' ? 'SIGSTOP' : 'SIGCONT'), fault);
    await backend.cut(kind === 'cut' ? 'cut' : 'reset');
    await instant(fault);
  };
}

function ensureGlobalWebSocket() {
  // The SDK's WebSocketClientTransport uses the global WebSocket, which Node 20 lacks: `ws` stands in.
  const scope = /** @type {{ WebSocket?: unknown }} */ (globalThis);
  scope.WebSocket ??= WebSocket;
}

/**
 * Our transport and its SDK anchor for a server's URL, by the protocol the server speaks.
 * @type {Record<import('./servers.js').BackendKind, (url: string) => Pick<Target, 'ours' | 'sdk' | 'sdkName'>>}
 */
const CLIENTS = {
  http: (url) => ({
    ours: () => ({ type: 'http', url }),
    sdk: () => new StreamableHTTPClientTransport(new URL(url)),
    sdkName: 'StreamableHTTPClientTransport',
  }),
  sse: (url) => ({
    ours: () => ({ type: 'sse', url }),
    sdk: () => new SSEClientTransport(new URL(url)),
    sdkName: 'SSEClientTransport',
  }),
  ws: (url) => ({
    ours: () => ({ type: 'ws', url }),
    sdk: () => {
      ensureGlobalWebSocket();
      return new WebSocketClientTransport(new URL(url));
    },
    sdkName: 'WebSocketClientTransport',
  }),
};

/**
 * Starts what a network target needs and returns it.
 * @param {Exclude<TransportName, 'stdio' | 'docker'>} name
 * @returns {Promise<Opened>}
 */
async function openNetworkTarget(name) {
  const protocol = name === 'sse' ? 'sse' : name === 'websocket' ? 'ws' : 'http';
  const backend = await startBackend(protocol);
  if (name === 'http-tcp-proxy') {
    const relay = await startRelay(backend.port);
    return {
      name,
      kinds: ['backend', 'cut', 'reset', 'stall'],
      ...CLIENTS.http(relay.url('/mcp')),
      async inject(kind, fault, victim) {
        if (kind === 'backend') return killAndRestart(backend, fault, victim);
        if (kind === 'stall')
          return stall((action) => (action === 'stop' ? relay.stall() : relay.resume()), fault);
        if (kind === 'cut') relay.cut();
        else relay.reset();
        await instant(fault);
      },
      async close() {
        await relay.close();
        await backend.stop();
      },
    };
  }
  if (name === 'http-nginx') {
    const nginx = await startNginx(backend.port);
    if ('skipped' in nginx) {
      await backend.stop();
      return { name, skipped: nginx.skipped };
    }
    return {
      name,
      kinds: ['backend', 'cut', 'reset', 'stall'],
      ...CLIENTS.http(nginx.url('/mcp')),
      inject: serverFaults(backend),
      async close() {
        await nginx.close();
        await backend.stop();
      },
      detail: nginx.version,
    };
  }
  return {
    name,
    kinds: ['kill', 'cut', 'reset', 'stall'],
    ...CLIENTS[protocol](backend.url),
    inject: serverFaults(backend),
    close: () => backend.stop(),
  };
}

/**
 * A running target, or `{ name, skipped }` saying why it cannot run here (nginx or a Docker engine
 * missing). Throws only when something that should work does not (a fixture that will not start).
 * @param {TransportName} name
 * @param {{ log: (line: string) => void }} options
 * @returns {Promise<Opened>}
 */
export async function openTarget(name, { log }) {
  if (name === 'stdio') return openStdioTarget();
  if (name === 'docker') return openDockerTarget({ log });
  return openNetworkTarget(name);
}
