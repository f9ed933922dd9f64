// @ts-check
// One SDK `Client` (v1, @modelcontextprotocol/sdk, as in test/ and bench/) over the transport under test:
// - ours: `createTransport()` from the built package, with the soak's policy;
// - sdk (the anchor): the official SDK transport as it ships. The SDK has no reconnect of its own, so
//   the soak does what an application has to: when the Client closes (its transport closed), it connects
//   the Client again over a fresh transport of the same kind, every 250 ms until that works. Nothing else
//   (a Streamable HTTP transport whose session the server forgot never closes, and so stays as it is).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createTransport } from 'mcp-lifeline';
import { sleep, withTimeout } from './util.js';

/** How long a queued call may wait while the link is down (`timeouts.requestMs`). */
export const REQUEST_MS = 10_000;
/** A call with no end this long after it began is hung. */
export const HUNG_MS = REQUEST_MS + 10_000;
const CONNECT_MS = 20_000;
const CLOSE_MS = 10_000;
const ANCHOR_RECONNECT_MS = 250;

/**
 * The policy every one of our transports runs with: quick reconnects (a soak injects a fault every
 * second or two), a bounded wait in the queue, the run's seed for the jitter.
 * @param {number} seed
 */
export function soakPolicy(seed) {
  return {
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    timeouts: { connectMs: 10_000, closeMs: 1000, requestMs: REQUEST_MS },
    seed,
  };
}

/**
 * @typedef {object} Session
 * @property {(message: string) => Promise<unknown>} call one `tools/call` of `echo {message}`
 * @property {() => boolean} isOpen ours: the lifecycle is `open`; sdk: the Client is connected
 * @property {() => number | undefined} serverPid the server process the transport spawned, if any
 * @property {() => Record<string, unknown>} extra figures for the JSON output (our stats, anchor reconnects)
 * @property {() => Promise<void>} close
 */

/** @typedef {import('@modelcontextprotocol/sdk/shared/transport.js').Transport} SdkTransport */

const clientInfo = { name: 'lifeline-soak', version: '1.0.0' };

/** @param {Client} client @param {string} message */
const callEcho = (client, message) =>
  // The SDK's own request timeout stays beyond the hung deadline, so a hang is seen as one.
  client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: HUNG_MS + 5000 });

/**
 * Our transport in an SDK Client, connected.
 * @param {import('./targets.js').Target} target @param {number} seed @returns {Promise<Session>}
 */
export async function openOurs(target, seed) {
  const transport = createTransport(
    /** @type {import('mcp-lifeline').TransportConfig} */ ({ ...target.ours(), ...soakPolicy(seed) }),
  );
  const client = new Client(clientInfo);
  // The SDK's Transport type differs in detail from ours (branded message types); the runtime contract is
  // what the test suite checks.
  await withTimeout(
    client.connect(/** @type {SdkTransport} */ (/** @type {unknown} */ (transport))),
    CONNECT_MS,
    'connect',
  );
  return {
    call: (message) => callEcho(client, message),
    isOpen: () => transport.status.state === 'open',
    serverPid: () => transport.pid,
    extra: () => ({ stats: { ...transport.stats }, finalState: transport.status.state }),
    close: () => withTimeout(client.close(), CLOSE_MS, 'close'),
  };
}

/**
 * The anchor: the official SDK transport in an SDK Client, connected, reconnected on close.
 * @param {import('./targets.js').Target} target @returns {Promise<Session>}
 */
export async function openSdk(target) {
  const make = /** @type {() => SdkTransport} */ (target.sdk);
  const client = new Client(clientInfo);
  let transport = make();
  let connected = false;
  let closing = false;
  let reconnecting = false;
  let reconnects = 0;
  const connect = async () => {
    transport = make();
    await withTimeout(client.connect(transport), CONNECT_MS, 'connect');
    connected = true;
  };
  const reconnect = async () => {
    if (reconnecting) return;
    reconnecting = true;
    while (!closing) {
      await sleep(ANCHOR_RECONNECT_MS);
      if (closing) break;
      try {
        await connect();
        reconnects += 1;
        break;
      } catch {
        connected = false;
      }
    }
    reconnecting = false;
  };
  await withTimeout(client.connect(transport), CONNECT_MS, 'connect');
  connected = true;
  client.onclose = () => {
    connected = false;
    if (!closing) void reconnect();
  };
  return {
    call: (message) => callEcho(client, message),
    isOpen: () => connected,
    serverPid: () => {
      const pid = /** @type {{ pid?: number | null }} */ (transport).pid;
      return typeof pid === 'number' ? pid : undefined;
    },
    extra: () => ({ reconnects }),
    async close() {
      closing = true;
      await withTimeout(client.close(), CLOSE_MS, 'close');
    },
  };
}
