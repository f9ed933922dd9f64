// The WebSocket benchmark's settings, names and echo server (bench/ws-echo-server.mjs, one
// child process for the whole benchmark), and spawning node with enough file descriptors.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { echoServer } from '../lib/children.js';
import { withTimeout } from '../lib.js';

export const WS_SERVER = fileURLToPath(new URL('../ws-echo-server.mjs', import.meta.url));
/** The entry (bench/websocket.js): the round and idle-connection children run it with a flag. */
export const ENTRY = fileURLToPath(new URL('../websocket.js', import.meta.url));
export const WS_VARIANTS = ['ours', 'sdk', 'raw', 'ours-transport'];

/** The version of an installed package, from the package.json above the file `specifier` resolves to. */
const versionOf = (specifier) => {
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
  globalThis.WebSocket ??= WebSocket;
};

/** Human names of the variants, for tables. */
export const WS_VARIANT_NAMES = {
  ours: 'mcp-lifeline createTransport({url: "ws://…"}) in SDK Client',
  sdk: `SDK WebSocketClientTransport ${SDK_VERSION} in SDK Client`,
  raw: `bare ws ${WS_VERSION} client (no MCP client)`,
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
};

/**
 * The scenario: 64 in flight, as bench/http.js. A round is longer than there (50,000 calls after
 * 5,000 warm-up, not 10,000 after 1,000): at WebSocket speeds 10,000 calls last 0.2 s, too short
 * for a stable figure on a shared machine.
 */
export const WS_SCENARIOS = {
  text: {
    label: 'Text frames',
    warmup: 5000,
    count: 50_000,
    rounds: 5,
    timeoutMs: 120_000,
  },
};

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
  /** The target: at most this many KiB more per connection than a bare `ws` client. */
  maxExtraKiB: 64,
  kinds: ['raw', 'ours', 'sdk'],
  timeoutMs: 180_000,
};

/** Human names of the idle-connection kinds. */
export const WS_MEMORY_NAMES = {
  raw: `bare ws ${WS_VERSION} client, open, a message listener`,
  ours: 'mcp-lifeline createTransport({url}), started (default policy: heartbeat every 30 s, supervisor)',
  sdk: `for information: SDK WebSocketClientTransport ${SDK_VERSION}, started`,
};

// --- file descriptors: 1,000 sockets need a soft limit above the default 1,024 ---

const BASH = ['/bin/bash', '/usr/bin/bash'].find((path) => existsSync(path));

/**
 * Spawns node with `args`, through bash raising the soft limit on open files to `fds` first
 * when it is lower (to the hard limit when `fds` is above it). `exec` keeps the pid node's.
 * Without bash, node starts directly with this process's limit (the child checks it).
 */
export function spawnNode(args, { fds, ...options }) {
  if (BASH === undefined) return spawn(process.execPath, args, options);
  const script =
    'n=$1; shift; s=$(ulimit -Sn); ' +
    'if [ "$s" != unlimited ] && [ "$s" -lt "$n" ]; then ulimit -Sn "$n" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; fi; ' +
    'exec "$@"';
  return spawn(BASH, ['-c', script, 'raise-fds', String(fds), process.execPath, ...args], options);
}

/** This process's soft limit on open files (from /proc/self/limits), or NaN. */
export function openFilesLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return Number.NaN;
  }
}

/** Starts bench/ws-echo-server.mjs (open-files limit raised for 2,000 connections and more). */
export async function startEchoServer() {
  const child = spawnNode([WS_SERVER], { fds: 8192, stdio: ['pipe', 'pipe', 'inherit'] });
  const server = await echoServer(child, 'WebSocket echo server');
  return {
    ...server,
    url: `ws://127.0.0.1:${server.port}/mcp`,
    /** Connections open now and in total, and WebSocket pings received in total. */
    async count() {
      const line = server.lines.next(/^CONNECTIONS /);
      child.stdin.write('count\n');
      const [open, total, pings] = (await withTimeout(line, 5000, 'echo server count')).split(' ').slice(1);
      return { open: Number(open), total: Number(total), pings: Number(pings) };
    },
  };
}
