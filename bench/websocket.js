// Benchmarks of the WebSocket transport (SEP-1288 framing: subprotocol `mcp`, one JSON-RPC
// message per text frame), against one minimal echo server (bench/ws-echo-server.mjs, the `ws`
// package, a separate process):
//
// 1. Round trips, 64 in flight: our transport and the SDK's v1 WebSocketClientTransport (both
//    inside the v1 SDK Client, `client.callTool`), a bare `ws` client loop, and (for
//    information) our transport driven directly, interleaved over rounds.
// 2. Growth: our transport over 100,000 calls (heap, active resources, listeners on its socket,
//    abort listeners), and the SDK over 20,000.
// 3. Memory per idle connection: 1,000 connections open at once in one process, each kind in a
//    fresh child process of its own (bare `ws` clients, ours via createTransport with the default
//    policy, and the SDK transport for information); the server's memory never counts.
//
// Each round-trip round runs in a fresh child process (the variants would otherwise tune the JIT
// for each other; --in-process runs them all here, as bench/http.js does).
//
// Run alone: node --expose-gc bench/websocket.js [--rounds N] [--count N] [--leak-calls N]
//            [--connections N] [--memory-rounds N] [--hold-ms MS] [--in-process]
//            [--skip round-trips,growth,memory]
// (bench/run.js runs it after the HTTP benchmark; `node --expose-gc bench/run.js websocket`
// runs it alone there.)
// For a CPU profile of one variant:
//   node --cpu-prof --cpu-prof-dir=.bench-out/profiles bench/websocket.js --drive ours-transport --calls 200000

import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { createTransport } from '../dist/index.js';
import { collectGarbage, drive, median, round, sleep, thousands, withTimeout } from './lib.js';

export const WS_SERVER = fileURLToPath(new URL('./ws-echo-server.mjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
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
const WS_VERSION = versionOf('ws');
const SDK_VERSION = versionOf('@modelcontextprotocol/sdk/client/websocket.js');

/**
 * Node 20 has no global WebSocket (only behind --experimental-websocket), and the SDK's
 * WebSocketClientTransport calls `new WebSocket(url, 'mcp')` on the global. Where it is missing,
 * `ws` (the library ours and the raw loop use) stands in, so all variants share one WebSocket
 * implementation and the comparison is of the layers above it.
 */
const SDK_WEBSOCKET =
  typeof globalThis.WebSocket === 'function'
    ? `the global WebSocket of node ${process.version}`
    : `ws ${WS_VERSION} as globalThis.WebSocket (node ${process.version} has none)`;
/** Installs the stand-in (only when an SDK transport is made, so importing this module changes nothing). */
const ensureGlobalWebSocket = () => {
  globalThis.WebSocket ??= WebSocket;
};

/** Human names of the variants, for tables. */
export const WS_VARIANT_NAMES = {
  ours: 'mcp-lifeline createTransport({url: "ws://…"}) in SDK Client',
  sdk: `SDK WebSocketClientTransport ${SDK_VERSION} in SDK Client`,
  raw: `bare ws ${WS_VERSION} client (no MCP client)`,
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
};

const MiB = 1024 * 1024;
const KiB = 1024;
const WINDOW = 64;
/** The same small payload for every variant (and as bench/http.js): 139 B as JSON. */
const PARAMS = { name: 'echo', arguments: { text: 'x'.repeat(100) } };
const PROTOCOL_VERSION = '2025-06-18';
const CONNECT_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 10_000;

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
function spawnNode(args, { fds, ...options }) {
  if (BASH === undefined) return spawn(process.execPath, args, options);
  const script =
    'n=$1; shift; s=$(ulimit -Sn); ' +
    'if [ "$s" != unlimited ] && [ "$s" -lt "$n" ]; then ulimit -Sn "$n" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; fi; ' +
    'exec "$@"';
  return spawn(BASH, ['-c', script, 'raise-fds', String(fds), process.execPath, ...args], options);
}

/** This process's soft limit on open files (from /proc/self/limits), or NaN. */
function openFilesLimit() {
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

// --- the echo server: one child process for the whole WebSocket benchmark ---

const livePids = new Set();
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Reads `child.stdout` line by line; `next(pattern)` resolves with the first later line matching. */
function lineReader(child, what) {
  const waiting = [];
  let text = '';
  let exited;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    text += chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const i = waiting.findIndex((w) => w.pattern.test(line));
      if (i !== -1) waiting.splice(i, 1)[0].resolve(line);
      newline = text.indexOf('\n');
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`${what} exited (${code ?? signal})`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  return {
    next(pattern) {
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise((resolve, reject) => waiting.push({ pattern, resolve, reject }));
    },
  };
}

/** Starts bench/ws-echo-server.mjs (open-files limit raised for 2,000 connections and more). */
export async function startEchoServer() {
  const child = spawnNode([WS_SERVER], { fds: 8192, stdio: ['pipe', 'pipe', 'inherit'] });
  livePids.add(child.pid);
  const lines = lineReader(child, 'WebSocket echo server');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const portLine = await withTimeout(lines.next(/^PORT \d+$/), 10_000, 'WebSocket echo server start');
  const port = Number(portLine.slice(5));
  return {
    pid: child.pid,
    port,
    url: `ws://127.0.0.1:${port}/mcp`,
    /** Connections open now and in total, and WebSocket pings received in total. */
    async count() {
      const line = lines.next(/^CONNECTIONS /);
      child.stdin.write('count\n');
      const [open, total, pings] = (await withTimeout(line, 5000, 'echo server count')).split(' ').slice(1);
      return { open: Number(open), total: Number(total), pings: Number(pings) };
    },
    async close() {
      child.stdin.end();
      try {
        await withTimeout(exited, 5000, 'WebSocket echo server exit');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      livePids.delete(child.pid);
    },
  };
}

// --- the clients, behind the interface of lib.js drive(): start, send, onResponse, close ---

/**
 * An SDK v1 `Client` over a transport: each `send` is one `client.callTool()`; its result is
 * handed to the driver as the answer. The first failed call fails the round (onFailure).
 */
function mcpClient(name, transport, serverPid) {
  const sdk = new Client({ name: 'lifeline-bench', version: '1.0.0' });
  const client = {
    name,
    pid: serverPid,
    sdk,
    transport,
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
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

/** a. Our transport (heartbeat off while measuring round trips, as in bench/http.js). */
export function oursClient(server) {
  const transport = createTransport({ url: server.url, heartbeat: { intervalMs: 0 } });
  return mcpClient('ours', transport, server.pid);
}

/**
 * a'. Our transport driven directly, without the SDK Client (for information: splits the cost
 * of the Client from the cost of the transport). Does the handshake itself.
 */
export function oursTransportClient(server) {
  const transport = createTransport({ url: server.url, heartbeat: { intervalMs: 0 } });
  let handshake;
  const client = {
    name: 'ours-transport',
    pid: server.pid,
    transport,
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
    async start() {
      await withTimeout(transport.start(), CONNECT_TIMEOUT_MS, 'ours-transport: start');
      const initialized = new Promise((resolve) => {
        handshake = resolve;
      });
      await transport.send({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'lifeline-bench-transport', version: '1.0.0' },
        },
      });
      const answer = await withTimeout(initialized, CONNECT_TIMEOUT_MS, 'ours-transport: initialize');
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
    if ('method' in message) return;
    if (message.id === 0 && handshake !== undefined) {
      handshake(message);
      handshake = undefined;
      return;
    }
    client.onResponse?.(message.id, message);
  };
  transport.onerror = (error) => client.errors.push(error?.message ?? String(error));
  return client;
}

/** b. The SDK's v1 WebSocket transport (on `ws` where node has no global WebSocket). */
export function sdkClient(server) {
  ensureGlobalWebSocket();
  const transport = new WebSocketClientTransport(new URL(server.url));
  return mcpClient('sdk', transport, server.pid);
}

/**
 * c. The baseline: a bare `ws` client (subprotocol `mcp`, perMessageDeflate off, as ours), sending
 * the same JSON-RPC text and parsing each answer with JSON.parse. It does the handshake
 * (initialize, notifications/initialized) and nothing else: no MCP client layer at all.
 */
export function rawClient(server) {
  let socket;
  let handshake;
  const client = {
    name: 'raw',
    pid: server.pid,
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
    async start() {
      socket = new WebSocket(server.url, ['mcp'], { perMessageDeflate: false });
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString('utf8'));
        if (message.id === 0 && handshake !== undefined) {
          handshake(message);
          handshake = undefined;
          return;
        }
        client.onResponse?.(message.id, message);
      });
      socket.on('error', (error) => {
        client.errors.push(error.message);
        client.onFailure?.(error);
      });
      await withTimeout(
        new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        }),
        CONNECT_TIMEOUT_MS,
        'raw: open',
      );
      const initialized = new Promise((resolve) => {
        handshake = resolve;
      });
      socket.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: PROTOCOL_VERSION,
            capabilities: {},
            clientInfo: { name: 'lifeline-bench-raw', version: '1.0.0' },
          },
        }),
      );
      await withTimeout(initialized, CONNECT_TIMEOUT_MS, 'raw: initialize');
      socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    },
    send(id, params) {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }));
    },
    async close() {
      if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(1000);
      await withTimeout(closed, CLOSE_TIMEOUT_MS, 'raw: close');
    },
  };
  return client;
}

export const WS_FACTORIES = {
  ours: oursClient,
  sdk: sdkClient,
  raw: rawClient,
  'ours-transport': oursTransportClient,
};

// --- round trips ---

const errorText = (error) => String(error?.message ?? error).slice(0, 300);

/** Detaches a client's callbacks and closes it; a close error is recorded in `result`. */
async function closeClient(client, result) {
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
 * One measured round of one variant in this process: a fresh client, warm-up, then measure.
 * Never throws: a failure (an error, a timeout, a hang at connect or close) comes back as
 * `{ failed, error }`.
 */
async function measureRoundHere(variant, scenario, server) {
  collectGarbage();
  let client;
  let result;
  let phase = 'create';
  try {
    client = WS_FACTORIES[variant](server);
    phase = 'connect';
    await client.start();
    phase = 'warm-up';
    const { warmup, count, timeoutMs } = scenario;
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

/**
 * One measured round of one variant in a fresh child process (`--round-child`), against the
 * shared echo server. In one process the variants' rounds tune the JIT for each other: after a
 * round of the bare ws loop, ours in the SDK Client costs 14–16 µs of CPU per call instead of
 * 11 µs (docs/benchmarks.md). A child per round measures each client as an application runs it.
 */
async function measureRoundInChild(variant, scenario, server) {
  const args = [
    '--expose-gc',
    SELF,
    '--round-child',
    variant,
    '--url',
    server.url,
    '--server-pid',
    String(server.pid),
    '--warmup',
    String(scenario.warmup),
    '--count',
    String(scenario.count),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  livePids.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = lineReader(child, `round child (${variant})`);
  try {
    const line = await withTimeout(lines.next(/^ROUND /), scenario.timeoutMs * 2, `round child (${variant})`);
    await withTimeout(exited, 10_000, `round child (${variant}) exit`);
    return JSON.parse(line.slice(6));
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    return { failed: true, phase: 'child', error: errorText(error) };
  } finally {
    livePids.delete(child.pid);
  }
}

/** The child's side of measureRoundInChild: one round, `ROUND <json>` on stdout, exit. */
async function roundChild({ variant, url, serverPid, warmup, count }) {
  const scenario = { ...WS_SCENARIOS.text, warmup, count };
  const result = await measureRoundHere(variant, scenario, { url, pid: serverPid });
  process.stdout.write(`ROUND ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** The median round of a variant (by calls/s), with the spread over rounds; or its failure. */
function summarize(runs) {
  const ok = runs.filter((r) => !r.failed);
  const failures = runs.filter((r) => r.failed);
  if (ok.length === 0)
    return { failed: true, error: failures[0]?.error, phase: failures[0]?.phase, rounds: runs };
  const mid = median(ok.map((r) => r.callsPerSec));
  const chosen = ok.reduce((a, b) => (Math.abs(b.callsPerSec - mid) < Math.abs(a.callsPerSec - mid) ? b : a));
  return {
    callsPerSec: mid,
    p50Ms: chosen.p50Ms,
    p99Ms: chosen.p99Ms,
    minCallsPerSec: Math.min(...ok.map((r) => r.callsPerSec)),
    maxCallsPerSec: Math.max(...ok.map((r) => r.callsPerSec)),
    clientCpuUsPerCall: median(ok.map((r) => r.clientCpuUsPerCall)),
    serverCpuUsPerCall: median(ok.map((r) => r.serverCpuUsPerCall)),
    errors: ok.reduce((n, r) => n + r.errors + r.transportErrors, 0),
    failedRounds: failures.length,
    firstFailure: failures[0]?.error,
    rounds: runs,
  };
}

/** Runs the scenarios: rounds of the variants interleaved (ours, sdk, raw, ours-transport, ours, ...). */
async function runScenarios(server, { rounds, count, inProcess, log }) {
  const measureRound = inProcess ? measureRoundHere : measureRoundInChild;
  const out = {};
  for (const key of Object.keys(WS_SCENARIOS)) {
    const scenario = { ...WS_SCENARIOS[key] };
    if (count !== undefined) scenario.count = count;
    const roundCount = rounds ?? scenario.rounds;
    const perVariant = Object.fromEntries(WS_VARIANTS.map((v) => [v, []]));
    for (let r = 1; r <= roundCount; r += 1) {
      for (const variant of WS_VARIANTS) {
        const result = await measureRound(variant, scenario, server);
        perVariant[variant].push(result);
        log(
          result.failed
            ? `  ws round ${r} ${variant.padEnd(14)}: FAILED in ${result.phase}: ${result.error}`
            : `  ws round ${r} ${variant.padEnd(14)}: ${result.callsPerSec.toFixed(0)} calls/s, ` +
                `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, CPU/call client ` +
                `${result.clientCpuUsPerCall.toFixed(1)} µs, server ${result.serverCpuUsPerCall.toFixed(1)} µs` +
                (result.transportErrors ? `, ${result.transportErrors} transport errors` : ''),
        );
      }
    }
    out[key] = {
      label: scenario.label,
      paramsBytes: JSON.stringify(PARAMS).length,
      warmup: scenario.warmup,
      count: scenario.count,
      window: WINDOW,
      rounds: roundCount,
      isolation: inProcess ? 'one process' : 'a child process per round',
      variants: Object.fromEntries(WS_VARIANTS.map((v) => [v, summarize(perVariant[v])])),
    };
  }
  return out;
}

// --- growth checks ---

/**
 * Remembers (weakly) every `ws` WebSocket that gets a socket while installed (ours, the SDK's
 * and the raw loop's all use this `ws`), so the listeners on the WebSocket and on its
 * net.Socket can be counted: a listener added per message and never removed would show here.
 */
function trackWebSockets() {
  const proto = WebSocket.prototype;
  const original = proto.setSocket;
  const sockets = new Set();
  proto.setSocket = function setSocket(...args) {
    sockets.add(new WeakRef(this));
    return original.apply(this, args);
  };
  const listenersOf = (emitter) =>
    emitter === undefined || emitter === null
      ? 0
      : emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0);
  return {
    /** Open WebSockets and the listeners on them and on their net.Sockets. */
    outstanding() {
      let open = 0;
      let listeners = 0;
      for (const ref of sockets) {
        const ws = ref.deref();
        if (ws === undefined || ws.readyState === WebSocket.CLOSED) {
          sockets.delete(ref);
          continue;
        }
        open += 1;
        listeners += listenersOf(ws) + listenersOf(ws._socket);
      }
      return { sockets: open, socketListeners: listeners };
    },
    uninstall() {
      proto.setSocket = original;
      sockets.clear();
    },
  };
}

/**
 * Counts abort listeners that were added to AbortSignals and never removed (as in
 * bench/http.js): every AbortSignal that gains an 'abort' listener is remembered weakly.
 */
function trackAbortListeners() {
  const proto = AbortSignal.prototype;
  const add = EventTarget.prototype.addEventListener;
  const live = new Set();
  const entries = new WeakMap();
  proto.addEventListener = function addEventListener(type, listener, options) {
    if (type === 'abort' && !entries.has(this)) {
      const ref = new WeakRef(this);
      entries.set(this, ref);
      live.add(ref);
    }
    return add.call(this, type, listener, options);
  };
  return {
    outstanding() {
      let listeners = 0;
      for (const ref of live) {
        const signal = ref.deref();
        if (signal === undefined) {
          live.delete(ref);
          continue;
        }
        listeners += getEventListeners(signal, 'abort').length;
      }
      return { abortListeners: listeners };
    },
    uninstall() {
      delete proto.addEventListener;
      live.clear();
    },
  };
}

function snapshotMemory() {
  collectGarbage();
  collectGarbage();
  const memory = process.memoryUsage();
  return {
    heapUsedMiB: round(memory.heapUsed / MiB, 2),
    rssMiB: round(memory.rss / MiB, 1),
    activeResources: process.getActiveResourcesInfo().length,
  };
}

/** Collects process warnings while a check runs. */
function collectWarnings() {
  const seen = [];
  const onWarning = (warning) => seen.push(`${warning.name}: ${warning.message}`.slice(0, 200));
  process.on('warning', onWarning);
  return { seen, stop: () => process.off('warning', onWarning) };
}

/**
 * A client over `calls` calls after a warm-up, with a reading (after a full GC) of heap, active
 * resources, listeners on the WebSocket, and abort listeners every `checkpointEvery` calls.
 */
async function growth(variant, server, { calls, checkpointEvery, warmup, timeoutMs, log }) {
  const sockets = trackWebSockets();
  const aborts = trackAbortListeners();
  const warnings = collectWarnings();
  const checkpoints = [];
  const result = { variant, calls, checkpoints, warnings: warnings.seen };
  const reading = () => ({ ...snapshotMemory(), ...sockets.outstanding(), ...aborts.outstanding() });
  let client;
  try {
    client = WS_FACTORIES[variant](server);
    await client.start();
    const drv = (count, firstId) =>
      drive(client, { count, window: WINDOW, params: PARAMS, firstId, timeoutMs });
    await drv(warmup, 1);
    await sleep(50);
    result.before = reading();
    log(
      `  ws growth ${variant}: after ${warmup} warm-up calls: heap ${result.before.heapUsedMiB} MiB, ` +
        `${result.before.activeResources} active resources, ${result.before.socketListeners} listeners on ` +
        `${result.before.sockets} WebSocket(s), ${result.before.abortListeners} abort listeners`,
    );
    const began = performance.now();
    let done = 0;
    let cpuUs = 0;
    while (done < calls) {
      const n = Math.min(checkpointEvery, calls - done);
      const r = await drv(n, 1 + warmup + done);
      cpuUs += r.clientCpuUsPerCall * n;
      done += n;
      await sleep(20);
      const point = { calls: done, ...reading(), callsPerSec: r.callsPerSec };
      checkpoints.push(point);
      log(
        `  ws growth ${variant}: ${thousands(done)} calls: heap ${point.heapUsedMiB} MiB, rss ${point.rssMiB} MiB, ` +
          `${point.activeResources} active resources, ${point.socketListeners} socket listeners, ` +
          `${point.abortListeners} abort listeners (${thousands(r.callsPerSec)} calls/s)`,
      );
    }
    result.elapsedMs = performance.now() - began;
    result.callsPerSec = (calls / result.elapsedMs) * 1000;
    result.clientCpuUsPerCall = cpuUs / calls;
    result.after = checkpoints[checkpoints.length - 1];
    result.first = checkpoints[0];
    result.transportErrors = client.errors.slice(0, 5);
    result.stats = client.transport?.stats === undefined ? undefined : { ...client.transport.stats };
  } catch (error) {
    result.failed = true;
    result.error = errorText(error);
    result.transportErrors = client?.errors.slice(0, 5);
    log(`  ws growth ${variant}: FAILED: ${result.error}`);
  } finally {
    await closeClient(client, result);
    await sleep(50);
    result.afterClose = reading();
    sockets.uninstall();
    aborts.uninstall();
    warnings.stop();
  }
  return result;
}

// --- memory per idle connection: one child process per kind and round ---

/** Opens one idle connection of `kind` in the child; resolves with its handle once open. */
async function openIdle(kind, url) {
  if (kind === 'ours') {
    const transport = createTransport({ url });
    transport.onerror = () => {};
    await transport.start();
    if (transport.state !== 'open') throw new Error(`ours: state ${transport.state} after start()`);
    return { close: () => transport.close() };
  }
  if (kind === 'sdk') {
    ensureGlobalWebSocket();
    const transport = new WebSocketClientTransport(new URL(url));
    transport.onerror = () => {};
    transport.onmessage = () => {};
    await transport.start();
    return { close: () => transport.close() };
  }
  const socket = new WebSocket(url, ['mcp'], { perMessageDeflate: false });
  socket.on('message', onRawMessage);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  return {
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', resolve);
        socket.close(1000);
      }),
  };
}
const onRawMessage = () => {};

/** Opens `count` connections, `batch` at a time. */
async function openMany(kind, url, count, batch) {
  const handles = [];
  while (handles.length < count) {
    const n = Math.min(batch, count - handles.length);
    handles.push(...(await Promise.all(Array.from({ length: n }, () => openIdle(kind, url)))));
  }
  return handles;
}

/** Full GCs with pauses between (weak callbacks and finalizers run), then process.memoryUsage(). */
async function settledMemory() {
  for (let i = 0; i < 4; i += 1) {
    collectGarbage();
    await sleep(25);
  }
  collectGarbage();
  const m = process.memoryUsage();
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  return {
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    rss: m.rss,
    heapTotal: m.heapTotal,
    resources,
  };
}

/**
 * The child's side (`--idle-child <kind>`): warm up, read a baseline, open the connections,
 * read again (and again after `holdMs` when asked), print `READY <json>`; close all when
 * stdin says `close`, print `DONE <json>` and exit.
 */
async function idleChild({ kind, url, connections, holdMs }) {
  const limit = openFilesLimit();
  if (limit < connections + 64)
    throw new Error(`open-files limit ${limit} is too low for ${connections} connections`);
  if (typeof globalThis.gc !== 'function') throw new Error('the idle-connection child needs --expose-gc');
  const warm = await openMany(kind, url, WS_MEMORY.warmupConnections, WS_MEMORY.warmupConnections);
  await Promise.all(warm.map((h) => h.close()));
  warm.length = 0;
  await sleep(200);
  const before = await settledMemory();
  const began = performance.now();
  const handles = await openMany(kind, url, connections, WS_MEMORY.batch);
  const openMs = performance.now() - began;
  await sleep(WS_MEMORY.settleMs);
  const after = await settledMemory();
  let held;
  if (holdMs > 0) {
    await sleep(holdMs);
    held = await settledMemory();
  }
  process.stdout.write(
    `READY ${JSON.stringify({ kind, connections, openMs, before, after, held, holdMs, openFilesLimit: limit })}\n`,
  );
  await new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      text += chunk;
      if (text.includes('close\n')) resolve();
    });
    process.stdin.on('end', resolve);
  });
  const closing = performance.now();
  await Promise.all(handles.map((h) => h.close()));
  process.stdout.write(`DONE ${JSON.stringify({ closeMs: performance.now() - closing })}\n`);
  process.exit(0);
}

/** Runs one child for `kind`; resolves with its readings and the server's connection count while open. */
async function measureIdle(kind, server, { connections, holdMs }) {
  const args = [
    '--expose-gc',
    SELF,
    '--idle-child',
    kind,
    '--url',
    server.url,
    '--connections',
    String(connections),
    '--hold-ms',
    String(holdMs),
  ];
  const child = spawnNode(args, { fds: connections * 2 + 512, stdio: ['pipe', 'pipe', 'inherit'] });
  livePids.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = lineReader(child, `idle child (${kind})`);
  try {
    const pingsBefore = (await server.count()).pings;
    const ready = JSON.parse(
      (await withTimeout(lines.next(/^READY /), WS_MEMORY.timeoutMs + holdMs, `idle child (${kind})`)).slice(
        6,
      ),
    );
    const count = await server.count();
    const done = lines.next(/^DONE /);
    child.stdin.write('close\n');
    const closed = JSON.parse((await withTimeout(done, 30_000, `idle child (${kind}) close`)).slice(5));
    await withTimeout(exited, 10_000, `idle child (${kind}) exit`);
    const perConnection = (from, to) => {
      const kib = (field) => (to[field] - from[field]) / connections / KiB;
      const sum = (m) => m.heapUsed + m.external + m.arrayBuffers;
      return {
        heapUsed: kib('heapUsed'),
        external: kib('external'),
        arrayBuffers: kib('arrayBuffers'),
        sum: (sum(to) - sum(from)) / connections / KiB,
        heapUsedPlusExternal: (to.heapUsed + to.external - from.heapUsed - from.external) / connections / KiB,
        rss: kib('rss'),
      };
    };
    return {
      ...ready,
      closeMs: closed.closeMs,
      serverOpen: count.open,
      serverPingsWhileOpen: count.pings - pingsBefore,
      perConnectionKiB: perConnection(ready.before, ready.after),
      heldPerConnectionKiB: ready.held === undefined ? undefined : perConnection(ready.before, ready.held),
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    return { kind, failed: true, error: errorText(error) };
  } finally {
    livePids.delete(child.pid);
  }
}

/** The idle-connection memory check: kinds interleaved over rounds, each in a fresh child. */
async function runMemory(server, { connections, rounds, holdMs, log }) {
  const perKind = Object.fromEntries(WS_MEMORY.kinds.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r += 1) {
    for (const kind of WS_MEMORY.kinds) {
      // The server must be back to no connections, so each child meets the same server.
      for (let i = 0; i < 50 && (await server.count()).open > 0; i += 1) await sleep(100);
      const result = await measureIdle(kind, server, { connections, holdMs });
      perKind[kind].push(result);
      log(
        result.failed
          ? `  ws memory round ${r} ${kind.padEnd(4)}: FAILED: ${result.error}`
          : `  ws memory round ${r} ${kind.padEnd(4)}: ${thousands(connections)} open in ${result.openMs.toFixed(0)} ms ` +
              `(server sees ${result.serverOpen}); per connection: heapUsed ${result.perConnectionKiB.heapUsed.toFixed(1)} KiB, ` +
              `external ${result.perConnectionKiB.external.toFixed(1)}, arrayBuffers ${result.perConnectionKiB.arrayBuffers.toFixed(1)}, ` +
              `sum ${result.perConnectionKiB.sum.toFixed(1)}, rss ${result.perConnectionKiB.rss.toFixed(1)} KiB` +
              (result.heldPerConnectionKiB === undefined
                ? ''
                : `; after ${result.holdMs} ms idle: sum ${result.heldPerConnectionKiB.sum.toFixed(1)}, rss ` +
                  `${result.heldPerConnectionKiB.rss.toFixed(1)} KiB (${result.serverPingsWhileOpen} pings at the server)`),
      );
    }
  }
  const summary = {};
  for (const kind of WS_MEMORY.kinds) {
    const ok = perKind[kind].filter((r) => !r.failed);
    if (ok.length === 0) {
      summary[kind] = { failed: true, error: perKind[kind][0]?.error, rounds: perKind[kind] };
      continue;
    }
    const field = (f, key = 'perConnectionKiB') => median(ok.map((r) => r[key][f]));
    const fields = ['heapUsed', 'external', 'arrayBuffers', 'sum', 'heapUsedPlusExternal', 'rss'];
    summary[kind] = {
      perConnectionKiB: Object.fromEntries(fields.map((f) => [f, field(f)])),
      heldPerConnectionKiB:
        holdMs > 0 ? Object.fromEntries(fields.map((f) => [f, field(f, 'heldPerConnectionKiB')])) : undefined,
      minSum: Math.min(...ok.map((r) => r.perConnectionKiB.sum)),
      maxSum: Math.max(...ok.map((r) => r.perConnectionKiB.sum)),
      openMs: median(ok.map((r) => r.openMs)),
      closeMs: median(ok.map((r) => r.closeMs)),
      serverOpen: Math.min(...ok.map((r) => r.serverOpen)),
      serverPingsWhileOpen: median(ok.map((r) => r.serverPingsWhileOpen)),
      resourcesAfter: ok[0].after.resources,
      openFilesLimit: ok[0].openFilesLimit,
      failedRounds: perKind[kind].length - ok.length,
      rounds: perKind[kind],
    };
  }
  return { connections, rounds, holdMs, kinds: summary };
}

// --- the whole benchmark ---

/**
 * The whole WebSocket benchmark: interleaved rounds, the growth checks, then the idle-connection
 * memory check. Never throws for a failing client; each failure is recorded where it happened.
 */
export async function runWebSocket({
  rounds,
  count,
  leakCalls = WS_GROWTH.ours.calls,
  sdkCalls = WS_GROWTH.sdk.calls,
  connections = WS_MEMORY.connections,
  memoryRounds = WS_MEMORY.rounds,
  holdMs = 0,
  inProcess = false,
  skip = [],
  log = () => {},
} = {}) {
  const server = await startEchoServer();
  log(`  ws echo server pid ${server.pid} on 127.0.0.1:${server.port}; SDK WebSocket: ${SDK_WEBSOCKET}`);
  const result = {
    settings: {
      scenarios: WS_SCENARIOS,
      growth: WS_GROWTH,
      memory: WS_MEMORY,
      rounds,
      count,
      leakCalls,
      sdkCalls,
      connections,
      memoryRounds,
      holdMs,
      inProcess,
    },
    window: WINDOW,
    paramsBytes: JSON.stringify(PARAMS).length,
    sdkWebSocket: SDK_WEBSOCKET,
    wsVersion: WS_VERSION,
    sdkVersion: SDK_VERSION,
  };
  try {
    if (!skip.includes('round-trips'))
      result.modes = await runScenarios(server, { rounds, count, inProcess, log });
    if (!skip.includes('growth')) {
      log(`ws growth: ours over ${thousands(leakCalls)} calls, the SDK over ${thousands(sdkCalls)} ...`);
      result.growth = {
        ours: await growth('ours', server, { ...WS_GROWTH.ours, calls: leakCalls, log }),
        sdk: await growth('sdk', server, {
          ...WS_GROWTH.sdk,
          calls: sdkCalls,
          checkpointEvery: sdkCalls,
          warmup: WS_GROWTH.ours.warmup,
          log,
        }),
        heapSlackMiB: WS_GROWTH.heapSlackMiB,
      };
    }
    if (!skip.includes('memory')) {
      log(
        `ws memory: ${thousands(connections)} idle connections per child process, ${memoryRounds} rounds of ` +
          `${WS_MEMORY.kinds.join(', ')}${holdMs > 0 ? `, held ${holdMs} ms` : ''} ...`,
      );
      result.memory = await runMemory(server, { connections, rounds: memoryRounds, holdMs, log });
    }
    return result;
  } finally {
    await server.close();
  }
}

// --- targets and tables (used by bench/run.js) ---

const cpuFigure = (us) => (Number.isFinite(us) ? (us >= 100 ? us.toFixed(0) : us.toFixed(1)) : 'n/a');
const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
const kib = (value) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');
const signed = (value, digits = 1) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;

/**
 * The WebSocket targets: ours ≥ 0.8× the bare ws loop (in the SDK Client, and the transport
 * alone), at most 64 KiB more per idle connection than a bare ws client, no growth over
 * 100,000 calls.
 */
export function wsTargets(ws) {
  const targets = [];
  for (const m of Object.values(ws.modes ?? {})) {
    const v = m.variants;
    const ratio = (a, b) => (a.failed || b.failed ? Number.NaN : a.callsPerSec / b.callsPerSec);
    for (const variant of ['ours', 'ours-transport']) {
      targets.push({
        name:
          variant === 'ours'
            ? 'WebSocket: ours (in SDK Client) ≥ 0.8× raw ws throughput'
            : 'WebSocket: ours (transport alone) ≥ 0.8× raw ws throughput',
        ratio: ratio(v[variant], v.raw),
        op: '>=',
        bound: 0.8,
        why: v[variant].failed ? `failed: ${cell(v[variant].error)}` : undefined,
      });
    }
  }
  if (ws.memory !== undefined) {
    const { ours, raw } = ws.memory.kinds;
    const failed = ours.failed || raw.failed;
    const extra = failed ? Number.NaN : ours.perConnectionKiB.sum - raw.perConnectionKiB.sum;
    targets.push({
      name: `WebSocket: ours ≤ raw ws + ${WS_MEMORY.maxExtraKiB} KiB per idle connection (heapUsed + external + arrayBuffers, ${thousands(ws.memory.connections)} open)`,
      ratio: extra,
      op: '<=',
      bound: WS_MEMORY.maxExtraKiB,
      measured: failed ? 'n/a' : `${signed(extra)} KiB`,
      why: failed ? `failed: ${cell(ours.error ?? raw.error)}` : undefined,
    });
  }
  const g = ws.growth?.ours;
  if (g?.failed) {
    targets.push({
      name: `WebSocket: no listener or heap growth over ${thousands(g.calls)} calls (ours)`,
      ratio: Number.NaN,
      op: '<=',
      bound: 0,
      why: `ours failed: ${cell(g.error)}`,
    });
  } else if (g !== undefined) {
    const heapGrowth = g.after.heapUsedMiB - g.first.heapUsedMiB;
    targets.push(
      {
        name: `WebSocket: no listener growth over ${thousands(g.calls)} calls (ours; on its WebSocket and net.Socket, and abort listeners)`,
        ratio:
          g.after.socketListeners +
          g.after.abortListeners -
          g.before.socketListeners -
          g.before.abortListeners,
        op: '<=',
        bound: 0,
        measured: `${g.before.socketListeners} + ${g.before.abortListeners} → ${g.after.socketListeners} + ${g.after.abortListeners}`,
      },
      {
        name: `WebSocket: no heap growth over ${thousands(g.calls)} calls (ours; ${thousands(g.first.calls)} → ${thousands(g.after.calls)} calls, ≤ ${ws.growth.heapSlackMiB} MiB after GC)`,
        ratio: heapGrowth,
        op: '<=',
        bound: ws.growth.heapSlackMiB,
        measured: `${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} MiB`,
      },
      {
        name: `WebSocket: no growth of active handles over ${thousands(g.calls)} calls (ours)`,
        ratio: g.after.activeResources - g.before.activeResources,
        op: '<=',
        bound: 0,
        measured: `${g.before.activeResources} → ${g.after.activeResources}`,
      },
    );
  }
  for (const t of targets)
    t.met = Number.isFinite(t.ratio) && (t.op === '>=' ? t.ratio >= t.bound : t.ratio <= t.bound);
  return targets;
}

/** The markdown tables of the WebSocket benchmark, as lines. */
export function wsTables(ws) {
  const lines = [];
  const out = (line = '') => lines.push(line);
  if (ws.modes !== undefined) {
    out('### Round trips over WebSocket (echo server on ws, separate process)');
    out();
    out(
      '| Frames | Variant | calls/s (median round) | range over rounds | p50 ms | p99 ms | vs SDK | vs raw | client CPU µs/call | server CPU µs/call |',
    );
    out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const m of Object.values(ws.modes)) {
      const v = m.variants;
      const label = `${m.label}, ${m.window} in flight, ${thousands(m.count)} calls after ${thousands(m.warmup)} warm-up, ${m.rounds} rounds, ${m.isolation}`;
      for (const variant of WS_VARIANTS) {
        const r = v[variant];
        const first = variant === 'ours' ? label : '';
        if (r.failed) {
          out(
            `| ${first} | ${WS_VARIANT_NAMES[variant]} | ERROR (${r.phase}): ${cell(r.error)} | | | | | | | |`,
          );
          continue;
        }
        const vs = (other) => (other.failed ? 'n/a' : `${(r.callsPerSec / other.callsPerSec).toFixed(2)}×`);
        const note = r.failedRounds > 0 ? ` (${r.failedRounds} rounds failed: ${cell(r.firstFailure)})` : '';
        out(
          `| ${first} | ${WS_VARIANT_NAMES[variant]} | ${thousands(r.callsPerSec)}${note} | ` +
            `${thousands(r.minCallsPerSec)}–${thousands(r.maxCallsPerSec)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
            `${vs(v.sdk)} | ${vs(v.raw)} | ${cpuFigure(r.clientCpuUsPerCall)} | ${cpuFigure(r.serverCpuUsPerCall)} |`,
        );
      }
    }
    out();
    out(
      `Each call: \`client.callTool({name: 'echo', arguments: {text}})\` (${ws.paramsBytes} B params) through the v1 SDK ` +
        '`Client` for ours and the SDK; the raw loop sends the same JSON-RPC text on a bare `ws` socket and parses ' +
        `the answer itself. The SDK transport runs on ${ws.sdkWebSocket}. Latency per call from the median round ` +
        '(nearest-rank percentiles). CPU µs/call: user+system time of the client process and of the echo server over ' +
        'the measured calls, median over rounds. ' +
        (Object.values(ws.modes)[0]?.isolation === 'one process'
          ? 'All rounds ran in this one process, as in the HTTP benchmark.'
          : 'Each round ran in a fresh child process (one client per process, as an application runs it); the ' +
            'variants in one process tune the JIT for each other (see docs/benchmarks.md).'),
    );
    out();
  }
  if (ws.growth !== undefined) {
    out('### WebSocket: listeners and heap over many calls');
    out();
    out(
      '| Client | Calls | Listeners on its WebSocket + net.Socket | Abort listeners left | Heap used after GC (MiB) | Active resources | calls/s | Warnings |',
    );
    out('|---|---:|---|---|---|---|---:|---|');
    for (const [name, g] of [
      ['ours', ws.growth.ours],
      ['SDK', ws.growth.sdk],
    ]) {
      if (g.failed) {
        out(`| ${name} | ${thousands(g.calls)} | ERROR: ${cell(g.error)} | | | | | |`);
        continue;
      }
      const path =
        g.checkpoints.length > 1
          ? `; every ${thousands(g.checkpoints[0].calls)} calls: ${g.checkpoints.map((c) => c.heapUsedMiB.toFixed(1)).join(' → ')}`
          : ` → ${g.after.heapUsedMiB.toFixed(1)} after the calls`;
      out(
        `| ${name} | ${thousands(g.calls)} | ${g.before.socketListeners} after warm-up → ${g.after.socketListeners} at the end | ` +
          `${g.before.abortListeners} → ${g.after.abortListeners} | ${g.before.heapUsedMiB.toFixed(1)} after warm-up${path} | ` +
          `${g.before.activeResources} → ${g.after.activeResources} | ${thousands(g.callsPerSec)} | ` +
          `${g.warnings.length ? cell(g.warnings.join('; ')) : 'none'} |`,
      );
    }
    out();
    out(
      'Listeners: every listener on the `ws` WebSocket object and on its `net.Socket` (WebSockets remembered weakly ' +
        'via `WebSocket.prototype.setSocket` during the check). Abort listeners: on live AbortSignals that gained one ' +
        'during the check. Both after a full GC. Active resources: `process.getActiveResourcesInfo().length`.',
    );
    out();
  }
  if (ws.memory !== undefined) {
    const mem = ws.memory;
    const raw = mem.kinds.raw;
    out(
      `### WebSocket: memory per idle connection (${thousands(mem.connections)} open at once, each kind in a fresh child process)`,
    );
    out();
    out(
      '| Client | heapUsed KiB/conn | external | arrayBuffers | heapUsed + external + arrayBuffers | vs raw | range over rounds | rss KiB/conn | rss vs raw | open all (ms) |',
    );
    out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const kind of WS_MEMORY.kinds) {
      const k = mem.kinds[kind];
      if (k.failed) {
        out(`| ${WS_MEMORY_NAMES[kind]} | ERROR: ${cell(k.error)} | | | | | | | | |`);
        continue;
      }
      const p = k.perConnectionKiB;
      const vs = (field) => (raw.failed ? 'n/a' : `${signed(p[field] - raw.perConnectionKiB[field])}`);
      out(
        `| ${WS_MEMORY_NAMES[kind]} | ${kib(p.heapUsed)} | ${kib(p.external)} | ${kib(p.arrayBuffers)} | ${kib(p.sum)} | ` +
          `${vs('sum')} | ${kib(k.minSum)}–${kib(k.maxSum)} | ${kib(p.rss)} | ${vs('rss')} | ${thousands(k.openMs)} |`,
      );
    }
    out();
    if (mem.holdMs > 0) {
      out(`After ${thousands(mem.holdMs)} ms idle (the heartbeat's first probe included), same children:`);
      out();
      out(
        '| Client | heapUsed + external + arrayBuffers KiB/conn | vs raw | rss KiB/conn | pings at the server |',
      );
      out('|---|---:|---:|---:|---:|');
      for (const kind of WS_MEMORY.kinds) {
        const k = mem.kinds[kind];
        if (k.failed) continue;
        const h = k.heldPerConnectionKiB;
        out(
          `| ${kind} | ${kib(h.sum)} | ${raw.failed ? 'n/a' : signed(h.sum - raw.heldPerConnectionKiB.sum)} | ` +
            `${kib(h.rss)} | ${thousands(k.serverPingsWhileOpen)} |`,
        );
      }
      out();
    }
    const resources = (kind) =>
      mem.kinds[kind].failed
        ? 'n/a'
        : Object.entries(mem.kinds[kind].resourcesAfter)
            .map(([name, n]) => `${n} ${name}`)
            .join(', ');
    out(
      `Per connection: (reading with all ${thousands(mem.connections)} open − baseline) ÷ ${thousands(mem.connections)}, ` +
        `median over ${mem.rounds} child processes per kind (interleaved). Each child warms up with ` +
        `${WS_MEMORY.warmupConnections} connections opened and closed, runs full GCs (\`global.gc()\`), reads ` +
        '`process.memoryUsage()`, opens the connections ' +
        `${WS_MEMORY.batch} at a time, waits ${WS_MEMORY.settleMs} ms, runs full GCs and reads again. Node counts ` +
        '`arrayBuffers` inside `external` as well, so the sum counts Buffer memory twice (as the issue defines it); ' +
        `heapUsed + external alone: raw ${kib(raw.perConnectionKiB?.heapUsedPlusExternal)}, ours ` +
        `${kib(mem.kinds.ours.perConnectionKiB?.heapUsedPlusExternal)} KiB. The server (another process) saw ` +
        `${mem.kinds.ours.serverOpen ?? 'n/a'} of ours open at the reading. Active resources with all open: raw ` +
        `${resources('raw')}; ours ${resources('ours')}.`,
    );
  }
  return lines;
}

// --- command line ---

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      count: { type: 'string' },
      'leak-calls': { type: 'string' },
      'sdk-calls': { type: 'string' },
      connections: { type: 'string' },
      'memory-rounds': { type: 'string' },
      'hold-ms': { type: 'string' },
      skip: { type: 'string' },
      'in-process': { type: 'boolean' },
      'round-child': { type: 'string' },
      'server-pid': { type: 'string' },
      warmup: { type: 'string' },
      'idle-child': { type: 'string' },
      url: { type: 'string' },
      drive: { type: 'string' },
      calls: { type: 'string' },
    },
  });
  const number = (text) => (text === undefined ? undefined : Number(text));
  if (values['idle-child'] !== undefined) {
    await idleChild({
      kind: values['idle-child'],
      url: values.url,
      connections: number(values.connections),
      holdMs: number(values['hold-ms']) ?? 0,
    });
    return;
  }
  if (values['round-child'] !== undefined) {
    await roundChild({
      variant: values['round-child'],
      url: values.url,
      serverPid: number(values['server-pid']),
      warmup: number(values.warmup),
      count: number(values.count),
    });
    return;
  }
  const log = (line) => console.error(line);
  if (values.drive !== undefined) {
    // One variant, one long run (for `node --cpu-prof`).
    const server = await startEchoServer();
    const client = WS_FACTORIES[values.drive](server);
    try {
      await client.start();
      const calls = number(values.calls) ?? 200_000;
      const r = await drive(client, {
        count: calls,
        window: WINDOW,
        params: PARAMS,
        firstId: 1,
        timeoutMs: 600_000,
      });
      log(
        `${values.drive}: ${thousands(calls)} calls, ${thousands(r.callsPerSec)} calls/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, client CPU ${r.clientCpuUsPerCall.toFixed(1)} µs/call`,
      );
    } finally {
      await client.close();
      await server.close();
    }
    return;
  }
  const ws = await runWebSocket({
    rounds: number(values.rounds),
    count: number(values.count),
    leakCalls: number(values['leak-calls']),
    sdkCalls: number(values['sdk-calls']),
    connections: number(values.connections),
    memoryRounds: number(values['memory-rounds']),
    holdMs: number(values['hold-ms']),
    inProcess: values['in-process'] === true,
    skip: values.skip?.split(',') ?? [],
    log,
  });
  console.log(wsTables(ws).join('\n'));
  console.log();
  for (const t of wsTargets(ws))
    console.log(
      `- ${t.name}: ${t.measured ?? `${t.ratio.toFixed(2)}×`} ${t.met ? 'met' : `NOT met${t.why ? ` (${t.why})` : ''}`}`,
    );
}

if (process.argv[1] === SELF) await main();
