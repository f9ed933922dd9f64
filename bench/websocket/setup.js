// The WebSocket benchmark's settings, names and echo server (bench/echo-server.mjs in its ws
// mode, one child process for the whole benchmark).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { echoServer, spawnNode } from '../lib/children.js';
import { withTimeout } from '../lib/stats.js';

/** @import { Scenario } from '../lib/types.js' */

export const ECHO_SERVER = fileURLToPath(new URL('../echo-server.mjs', import.meta.url));
/** The entry (bench/websocket/main.js): the round and idle-connection children run it with a flag. */
export const ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));
export const WS_VARIANTS = ['ours', 'sdk', 'raw', 'ours-transport'];

/** The version of an installed package, from the package.json above the file `specifier` resolves to. */
const versionOf = (/** @type {string} */ specifier) => {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(specifier)));
    while (dir !== dirname(dir)) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8'));
        if (pkg.name !== undefined && pkg.version !== undefined) return pkg.version;
      }
      dir = dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'unknown';
};
export const WS_VERSION = versionOf('ws');
export const SDK_VERSION = versionOf('@modelcontextprotocol/sdk/client/websocket.js');

/**
 * Node 20 has no global WebSocket (only behind --experimental-websocket), and the SDK's
 * WebSocketClientTransport calls `new WebSocket(url, 'mcp')` on the global. Where it is missing,
 * `ws` (the library ours and the raw loop use) stands in, so all variants share one WebSocket
 * implementation and the comparison is of the layers above it.
 */
export const SDK_WEBSOCKET =
  typeof globalThis.WebSocket === 'function'
    ? `the global WebSocket of node ${process.version}`
    : `ws ${WS_VERSION} as globalThis.WebSocket (node ${process.version} has none)`;
/** Installs the stand-in (only when an SDK transport is made, so importing this module changes nothing). */
export const ensureGlobalWebSocket = () => {
  // `ws` is not the DOM's WebSocket type, but it is what the SDK transport needs of one.
  globalThis.WebSocket ??= /** @type {typeof globalThis.WebSocket} */ (/** @type {unknown} */ (WebSocket));
};

/** Human names of the variants, for tables. */
export const WS_VARIANT_NAMES = /** @type {Record<string, string>} */ ({
  ours: 'mcp-lifeline createTransport({url: "ws://…"}) in SDK Client',
  sdk: `SDK WebSocketClientTransport ${SDK_VERSION} in SDK Client`,
  raw: `bare ws ${WS_VERSION} client (no MCP client)`,
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
});

/**
 * The scenario: 64 in flight, as bench/http.js. A round is longer than there (50,000 calls after
 * 5,000 warm-up, not 10,000 after 1,000): at WebSocket speeds 10,000 calls last 0.2 s, too short
 * for a stable figure on a shared machine.
 */
export const WS_SCENARIOS = /** @type {{ text: Scenario }} */ ({
  text: {
    label: 'Text frames',
    warmup: 5000,
    count: 50_000,
    rounds: 5,
    timeoutMs: 120_000,
  },
});

/** The growth checks. */
export const WS_GROWTH = {
  ours: { calls: 100_000, checkpointEvery: 10_000, warmup: 2000, timeoutMs: 120_000 },
  sdk: { calls: 20_000, timeoutMs: 60_000 },
  /** Allowed heap growth (after a full GC) between the first and the last checkpoint, in MiB. */
  heapSlackMiB: 2,
};

/** The idle-connection memory check. */
export const WS_MEMORY = {
  connections: 1000,
  /** Child processes per client kind, interleaved (raw, ours, sdk, raw, ...); the table shows the median. */
  rounds: 3,
  /** Connections opened and closed in each child before its baseline (module loading, JIT, caches). */
  warmupConnections: 20,
  /** Connections opened concurrently (a batch waits for the previous one). */
  batch: 100,
  /** Quiet time after the last connection opened, before the reading. */
  settleMs: 500,
  /** The target: at most this many KiB more per connection than a bare `ws` client (issue 16). */
  maxExtraKiB: 16,
  kinds: ['raw', 'ours', 'sdk'],
  timeoutMs: 180_000,
};

/** Human names of the idle-connection kinds. */
export const WS_MEMORY_NAMES = /** @type {Record<string, string>} */ ({
  raw: `bare ws ${WS_VERSION} client, open, a message listener`,
  ours: 'mcp-lifeline createTransport({url}), started (default policy: heartbeat every 30 s, supervisor)',
  sdk: `for information: SDK WebSocketClientTransport ${SDK_VERSION}, started`,
});

/**
 * Starts the echo server in its ws mode (open-files limit raised for 2,000 connections and
 * more), on `port` (0: any).
 */
export async function startEchoServer(port = 0) {
  const child = spawnNode([ECHO_SERVER, 'ws'], {
    fds: 8192,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, PORT: String(port) },
  });
  const server = await echoServer(child, 'WebSocket echo server');
  return {
    ...server,
    url: `ws://127.0.0.1:${server.port}/mcp`,
    /** Connections open now and in total, and WebSocket pings received in total. */
    async count() {
      const line = server.lines.next(/^CONNECTIONS /);
      server.command('count');
      const [open, total, pings] = (await withTimeout(line, 5000, 'echo server count')).split(' ').slice(1);
      return { open: Number(open), total: Number(total), pings: Number(pings) };
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startEchoServer>>} WsEchoServer */
