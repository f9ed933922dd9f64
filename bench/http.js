// Round-trip benchmark over Streamable HTTP: our transport and the SDK's
// StreamableHTTPClientTransport (both inside the v1 SDK Client, `client.callTool`), and a bare
// `undici.request` loop, against the same minimal echo server (bench/http-echo-server.mjs, a
// separate process on node:http), with JSON responses and with SSE responses, 64 in flight.
// Then the growth checks: our transport over 100,000 calls (heap, active resources, abort
// listeners), and the SDK's shared AbortSignal after 5,000 calls.
//
// Run alone: node --expose-gc bench/http.js [--rounds N] [--count N] [--leak-calls N]
// (bench/run.js runs it after the stdio benchmark.)

import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Pool } from 'undici';
import { createTransport } from '../dist/index.js';
import { collectGarbage, drive, median, round, sleep, thousands, withTimeout } from './lib.js';

export const HTTP_SERVER = fileURLToPath(new URL('./http-echo-server.mjs', import.meta.url));
export const HTTP_VARIANTS = ['ours', 'sdk', 'raw', 'ours-transport'];

/** Human names of the variants, for tables. */
export const HTTP_VARIANT_NAMES = {
  ours: 'mcp-lifeline createTransport({type: "http"}) in SDK Client',
  sdk: 'SDK StreamableHTTPClientTransport 1.32.2 in SDK Client',
  raw: 'bare undici.request, Pool of 64 (no MCP client)',
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
};

const MiB = 1024 * 1024;
const WINDOW = 64;
/** The same small payload for every variant: `{"name":"echo","arguments":{"text":"xxx…"}}`, 139 B. */
const PARAMS = { name: 'echo', arguments: { text: 'x'.repeat(100) } };
const PROTOCOL_VERSION = '2025-06-18';
const CONNECT_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** The scenarios: same settings for every variant. */
export const HTTP_SCENARIOS = {
  json: { label: 'JSON responses', mode: 'json', warmup: 1000, count: 10_000, rounds: 5, timeoutMs: 60_000 },
  sse: { label: 'SSE responses', mode: 'sse', warmup: 1000, count: 10_000, rounds: 5, timeoutMs: 60_000 },
};

/** The growth checks. */
export const GROWTH = {
  ours: { calls: 100_000, checkpointEvery: 10_000, warmup: 2000, mode: 'json', timeoutMs: 120_000 },
  sdk: { calls: 5000, mode: 'json', timeoutMs: 60_000 },
  /** Allowed heap growth (after a full GC) between the first and the last checkpoint, in MiB. */
  heapSlackMiB: 2,
};

// --- the echo server: one child process for the whole HTTP benchmark ---

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

/** Starts bench/http-echo-server.mjs; resolves once it printed its port. */
export async function startEchoServer() {
  const child = spawn(process.execPath, [HTTP_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  livePids.add(child.pid);
  const port = await withTimeout(
    new Promise((resolve, reject) => {
      let text = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        text += chunk;
        const match = /PORT (\d+)\n/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`echo server exited (${code}) before listening`)));
    }),
    10_000,
    'HTTP echo server start',
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid,
    port,
    url: (mode) => `http://127.0.0.1:${port}/mcp?mode=${mode}`,
    async close() {
      child.stdin.end();
      try {
        await withTimeout(exited, 5000, 'HTTP echo server exit');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      livePids.delete(child.pid);
    },
  };
}

// --- the three clients, behind the interface of lib.js drive(): start, send, onResponse, close ---

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

/** a. Our transport. */
export function oursClient(server, mode) {
  const transport = createTransport({ type: 'http', url: server.url(mode), heartbeat: { intervalMs: 0 } });
  return mcpClient('ours', transport, server.pid);
}

/**
 * a'. Our transport driven directly, without the SDK Client (for information: splits the cost
 * of the Client from the cost of the transport). Does the legacy handshake itself.
 */
export function oursTransportClient(server, mode) {
  const transport = createTransport({ type: 'http', url: server.url(mode), heartbeat: { intervalMs: 0 } });
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

/** b. The SDK's v1 Streamable HTTP transport. */
export function sdkClient(server, mode) {
  const transport = new StreamableHTTPClientTransport(new URL(server.url(mode)));
  return mcpClient('sdk', transport, server.pid);
}

/** The first `data:` payload of an SSE body (enough for this server's one-event streams). */
function sseData(text) {
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
 */
export function rawClient(server, mode) {
  const url = new URL(server.url(mode));
  const path = `${url.pathname}${url.search}`;
  const pool = new Pool(url.origin, { connections: WINDOW });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (message) => {
    const response = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(message) });
    const text = await response.body.text();
    if (response.statusCode === 202) return { response, message: undefined };
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const type = String(response.headers['content-type'] ?? '');
    const body = type.startsWith('text/event-stream') ? sseData(text) : text;
    return { response, message: JSON.parse(body) };
  };
  const client = {
    name: 'raw',
    pid: server.pid,
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
    async start() {
      const { response } = await withTimeout(
        post({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: PROTOCOL_VERSION,
            capabilities: {},
            clientInfo: { name: 'lifeline-bench-raw', version: '1.0.0' },
          },
        }),
        CONNECT_TIMEOUT_MS,
        'raw: initialize',
      );
      headers['mcp-session-id'] = response.headers['mcp-session-id'];
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    },
    send(id, params) {
      post({ jsonrpc: '2.0', id, method: 'tools/call', params }).then(
        ({ message }) => client.onResponse?.(message.id, message),
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

export const HTTP_FACTORIES = {
  ours: oursClient,
  sdk: sdkClient,
  raw: rawClient,
  'ours-transport': oursTransportClient,
};

// --- measurement ---

const errorText = (error) => String(error?.message ?? error).slice(0, 300);

/**
 * One measured round of one variant: a fresh client, warm-up, then measure. Never throws: a
 * failure (an error, a timeout, a hang at connect or close) comes back as `{ failed, error }`.
 */
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

async function measureRound(variant, scenario, server) {
  collectGarbage();
  let client;
  let result;
  let phase = 'create';
  try {
    client = HTTP_FACTORIES[variant](server, scenario.mode);
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

/** Runs the scenarios: rounds of the variants interleaved (ours, sdk, raw, ours, ...). */
async function runScenarios(server, { scenarios, rounds, count, log }) {
  const out = {};
  for (const key of scenarios) {
    const scenario = { ...HTTP_SCENARIOS[key] };
    if (count !== undefined) scenario.count = count;
    const roundCount = rounds ?? scenario.rounds;
    const perVariant = Object.fromEntries(HTTP_VARIANTS.map((v) => [v, []]));
    for (let r = 1; r <= roundCount; r += 1) {
      for (const variant of HTTP_VARIANTS) {
        const result = await measureRound(variant, scenario, server);
        perVariant[variant].push(result);
        log(
          result.failed
            ? `  http ${key} round ${r} ${variant.padEnd(14)}: FAILED in ${result.phase}: ${result.error}`
            : `  http ${key} round ${r} ${variant.padEnd(14)}: ${result.callsPerSec.toFixed(0)} calls/s, ` +
                `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, CPU/call client ` +
                `${result.clientCpuUsPerCall.toFixed(1)} µs, server ${result.serverCpuUsPerCall.toFixed(1)} µs` +
                (result.transportErrors ? `, ${result.transportErrors} transport errors` : ''),
        );
      }
    }
    out[key] = {
      label: scenario.label,
      mode: scenario.mode,
      paramsBytes: JSON.stringify(PARAMS).length,
      warmup: scenario.warmup,
      count: scenario.count,
      window: WINDOW,
      rounds: roundCount,
      variants: Object.fromEntries(HTTP_VARIANTS.map((v) => [v, summarize(perVariant[v])])),
    };
  }
  return out;
}

// --- growth checks ---

/**
 * Counts abort listeners that were added to AbortSignals and never removed: while installed,
 * every AbortSignal that gains an 'abort' listener is remembered weakly until its listeners
 * are removed again. `outstanding()` (after a GC) reports the signals still alive with abort
 * listeners and how many listeners they hold (the real count, from getEventListeners).
 */
function trackAbortListeners() {
  const proto = AbortSignal.prototype;
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  const entries = new WeakMap();
  const live = new Set();
  let added = 0;
  let removed = 0;
  proto.addEventListener = function addEventListener(type, listener, options) {
    if (type === 'abort') {
      added += 1;
      let entry = entries.get(this);
      if (entry === undefined) {
        entry = { count: 0, ref: new WeakRef(this) };
        entries.set(this, entry);
      }
      entry.count += 1;
      if (entry.count === 1) live.add(entry.ref);
    }
    return add.call(this, type, listener, options);
  };
  proto.removeEventListener = function removeEventListener(type, listener, options) {
    if (type === 'abort') {
      removed += 1;
      const entry = entries.get(this);
      if (entry !== undefined && entry.count > 0) {
        entry.count -= 1;
        if (entry.count === 0) live.delete(entry.ref);
      }
    }
    return remove.call(this, type, listener, options);
  };
  return {
    outstanding() {
      let signals = 0;
      let listeners = 0;
      for (const ref of live) {
        const signal = ref.deref();
        if (signal === undefined) {
          live.delete(ref);
          continue;
        }
        const n = getEventListeners(signal, 'abort').length;
        if (n === 0) continue;
        signals += 1;
        listeners += n;
      }
      return { signals, listeners, addCalls: added, removeCalls: removed };
    },
    uninstall() {
      delete proto.addEventListener;
      delete proto.removeEventListener;
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

/** Collects process warnings (MaxListenersExceededWarning) while a check runs. */
function collectWarnings() {
  const seen = [];
  const onWarning = (warning) => seen.push(`${warning.name}: ${warning.message}`.slice(0, 200));
  process.on('warning', onWarning);
  return {
    seen,
    stop: () => process.off('warning', onWarning),
  };
}

/**
 * Our transport over `calls` calls (JSON mode), after a warm-up: heap used and active resources
 * after a full GC at each checkpoint, and the abort listeners left on live AbortSignals.
 */
async function oursGrowth(server, { calls, log }) {
  const settings = { ...GROWTH.ours, calls };
  const tracker = trackAbortListeners();
  const warnings = collectWarnings();
  const checkpoints = [];
  const result = { variant: 'ours', calls, mode: settings.mode, checkpoints, warnings: warnings.seen };
  let client;
  try {
    client = oursClient(server, settings.mode);
    await client.start();
    const drv = (count, firstId) =>
      drive(client, { count, window: WINDOW, params: PARAMS, firstId, timeoutMs: settings.timeoutMs });
    await drv(settings.warmup, 1);
    await sleep(50);
    result.before = { ...snapshotMemory(), ...tracker.outstanding() };
    log(
      `  http growth ours: after ${settings.warmup} warm-up calls: heap ${result.before.heapUsedMiB} MiB, ` +
        `${result.before.activeResources} active resources, ${result.before.listeners} abort listeners outstanding`,
    );
    const began = performance.now();
    let done = 0;
    let cpuUs = 0;
    while (done < calls) {
      const n = Math.min(settings.checkpointEvery, calls - done);
      const r = await drv(n, 1 + settings.warmup + done);
      cpuUs += r.clientCpuUsPerCall * n;
      done += n;
      await sleep(20);
      const point = {
        calls: done,
        ...snapshotMemory(),
        ...tracker.outstanding(),
        callsPerSec: r.callsPerSec,
      };
      checkpoints.push(point);
      log(
        `  http growth ours: ${thousands(done)} calls: heap ${point.heapUsedMiB} MiB, rss ${point.rssMiB} MiB, ` +
          `${point.activeResources} active resources, ${point.listeners} abort listeners on ${point.signals} live signals ` +
          `(${thousands(r.callsPerSec)} calls/s)`,
      );
    }
    result.elapsedMs = performance.now() - began;
    result.callsPerSec = (calls / result.elapsedMs) * 1000;
    result.clientCpuUsPerCall = cpuUs / calls;
    result.after = checkpoints[checkpoints.length - 1];
    result.first = checkpoints[0];
    result.transportErrors = client.errors.slice(0, 5);
    result.stats = client.transport.stats === undefined ? undefined : { ...client.transport.stats };
  } catch (error) {
    result.failed = true;
    result.error = errorText(error);
    result.transportErrors = client?.errors.slice(0, 5);
    log(`  http growth ours: FAILED: ${result.error}`);
  } finally {
    await closeClient(client, result);
    await sleep(50);
    result.afterClose = { ...snapshotMemory(), ...tracker.outstanding() };
    tracker.uninstall();
    warnings.stop();
  }
  return result;
}

/** The SDK over `calls` calls: listeners on its shared AbortSignal (`_abortController.signal`). */
async function sdkGrowth(server, { calls, log }) {
  const settings = GROWTH.sdk;
  const tracker = trackAbortListeners();
  const warnings = collectWarnings();
  const result = { variant: 'sdk', calls, mode: settings.mode, warnings: warnings.seen };
  let client;
  try {
    client = sdkClient(server, settings.mode);
    await client.start();
    const signal = client.transport._abortController?.signal;
    const shared = () => (signal === undefined ? Number.NaN : getEventListeners(signal, 'abort').length);
    result.before = { ...snapshotMemory(), sharedSignalListeners: shared(), ...tracker.outstanding() };
    const r = await drive(client, {
      count: calls,
      window: WINDOW,
      params: PARAMS,
      firstId: 1,
      timeoutMs: settings.timeoutMs,
    });
    result.callsPerSec = r.callsPerSec;
    // Right after the calls (as an application would see it), then after a full GC.
    result.sharedSignalListeners = shared();
    await sleep(50);
    result.after = { ...snapshotMemory(), sharedSignalListeners: shared(), ...tracker.outstanding() };
    result.transportErrors = client.errors.slice(0, 5);
    log(
      `  http growth sdk: ${thousands(calls)} calls: ${result.sharedSignalListeners} listeners on the shared ` +
        `AbortSignal (${result.after.sharedSignalListeners} after a full GC), heap ${result.before.heapUsedMiB} → ` +
        `${result.after.heapUsedMiB} MiB, ${warnings.seen.length} warnings`,
    );
  } catch (error) {
    result.failed = true;
    result.error = errorText(error);
    log(`  http growth sdk: FAILED: ${result.error}`);
  } finally {
    await closeClient(client, result);
    tracker.uninstall();
    warnings.stop();
  }
  return result;
}

/**
 * Node prints every MaxListenersExceededWarning (thousands of lines from the SDK's shared
 * AbortSignal, and printing them would slow the SDK down): while the HTTP benchmark runs they
 * are counted instead; any other warning is printed as usual.
 */
function countListenerWarnings() {
  const printers = process.listeners('warning');
  for (const printer of printers) process.off('warning', printer);
  const counted = { MaxListenersExceededWarning: 0 };
  const onWarning = (warning) => {
    if (warning?.name === 'MaxListenersExceededWarning') counted.MaxListenersExceededWarning += 1;
    else for (const printer of printers) printer(warning);
  };
  process.on('warning', onWarning);
  return {
    counted,
    restore() {
      process.off('warning', onWarning);
      for (const printer of printers) process.on('warning', printer);
    },
  };
}

/**
 * The whole HTTP benchmark: interleaved rounds per response mode, then the growth checks.
 * Never throws for a failing client; each failure is recorded where it happened.
 */
export async function runHttp({
  scenarios = Object.keys(HTTP_SCENARIOS),
  rounds,
  count,
  leakCalls = GROWTH.ours.calls,
  sdkCalls = GROWTH.sdk.calls,
  log = () => {},
} = {}) {
  const server = await startEchoServer();
  log(`  http echo server pid ${server.pid} on 127.0.0.1:${server.port}`);
  const warnings = countListenerWarnings();
  try {
    const modes = await runScenarios(server, { scenarios, rounds, count, log });
    log(`http growth: ours over ${thousands(leakCalls)} calls, the SDK over ${thousands(sdkCalls)} ...`);
    const growth = {
      ours: await oursGrowth(server, { calls: leakCalls, log }),
      sdk: await sdkGrowth(server, { calls: sdkCalls, log }),
      heapSlackMiB: GROWTH.heapSlackMiB,
    };
    // Let warnings emitted on the last ticks land before counting.
    await sleep(20);
    return {
      settings: { scenarios: HTTP_SCENARIOS, growth: GROWTH, rounds, count, leakCalls, sdkCalls },
      window: WINDOW,
      paramsBytes: JSON.stringify(PARAMS).length,
      modes,
      growth,
      maxListenersWarnings: warnings.counted.MaxListenersExceededWarning,
    };
  } finally {
    warnings.restore();
    await server.close();
    if (warnings.counted.MaxListenersExceededWarning > 0)
      log(
        `  (${thousands(warnings.counted.MaxListenersExceededWarning)} MaxListenersExceededWarning counted, not printed)`,
      );
  }
}

// --- targets and tables (used by bench/run.js) ---

/** The HTTP targets: ≥ 3× the SDK, ≥ 0.7× the bare loop, no growth after 100,000 calls. */
export function httpTargets(http) {
  const targets = [];
  for (const m of Object.values(http.modes)) {
    const v = m.variants;
    const ratio = (a, b) => (a.failed || b.failed ? Number.NaN : a.callsPerSec / b.callsPerSec);
    const why = v.ours.failed ? `ours failed: ${cell(v.ours.error)}` : undefined;
    targets.push(
      {
        name: `HTTP ${m.label}: ours ≥ 3× SDK throughput`,
        ratio: ratio(v.ours, v.sdk),
        op: '>=',
        bound: 3,
        why,
      },
      {
        name: `HTTP ${m.label}: ours ≥ 0.7× raw throughput`,
        ratio: ratio(v.ours, v.raw),
        op: '>=',
        bound: 0.7,
        why,
      },
    );
  }
  const g = http.growth.ours;
  if (g.failed) {
    targets.push({
      name: `HTTP: no listener or heap growth over ${thousands(g.calls)} calls (ours)`,
      ratio: Number.NaN,
      op: '<=',
      bound: 0,
      why: `ours failed: ${cell(g.error)}`,
    });
  } else {
    const heapGrowth = g.after.heapUsedMiB - g.first.heapUsedMiB;
    targets.push(
      {
        name: `HTTP: no abort-listener growth over ${thousands(g.calls)} calls (ours; listeners left at the end)`,
        ratio: g.after.listeners - g.before.listeners,
        op: '<=',
        bound: 0,
        measured: `${g.before.listeners} → ${g.after.listeners}`,
      },
      {
        name: `HTTP: no heap growth over ${thousands(g.calls)} calls (ours; ${thousands(g.first.calls)} → ${thousands(g.after.calls)} calls, ≤ ${http.growth.heapSlackMiB} MiB after GC)`,
        ratio: heapGrowth,
        op: '<=',
        bound: http.growth.heapSlackMiB,
        measured: `${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} MiB`,
      },
      {
        name: `HTTP: no growth of active handles over ${thousands(g.calls)} calls (ours)`,
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

const cpuFigure = (us) => (Number.isFinite(us) ? (us >= 100 ? us.toFixed(0) : us.toFixed(1)) : 'n/a');
const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The markdown tables of the HTTP benchmark, as lines. */
export function httpTables(http) {
  const lines = [];
  const out = (line = '') => lines.push(line);
  out('### Round trips over Streamable HTTP (echo server on node:http, separate process)');
  out();
  out(
    '| Responses | Variant | calls/s (median round) | range over rounds | p50 ms | p99 ms | vs SDK | vs raw | client CPU µs/call | server CPU µs/call |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of Object.values(http.modes)) {
    const v = m.variants;
    const label = `${m.label}, ${m.window} in flight, ${thousands(m.count)} calls after ${thousands(m.warmup)} warm-up, ${m.rounds} rounds`;
    for (const variant of HTTP_VARIANTS) {
      const r = v[variant];
      const first = variant === 'ours' ? label : '';
      if (r.failed) {
        out(
          `| ${first} | ${HTTP_VARIANT_NAMES[variant]} | ERROR (${r.phase}): ${cell(r.error)} | | | | | | | |`,
        );
        continue;
      }
      const vs = (other) => (other.failed ? 'n/a' : `${(r.callsPerSec / other.callsPerSec).toFixed(2)}×`);
      const note = r.failedRounds > 0 ? ` (${r.failedRounds} rounds failed: ${cell(r.firstFailure)})` : '';
      out(
        `| ${first} | ${HTTP_VARIANT_NAMES[variant]} | ${thousands(r.callsPerSec)}${note} | ` +
          `${thousands(r.minCallsPerSec)}–${thousands(r.maxCallsPerSec)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
          `${vs(v.sdk)} | ${vs(v.raw)} | ${cpuFigure(r.clientCpuUsPerCall)} | ${cpuFigure(r.serverCpuUsPerCall)} |`,
      );
    }
  }
  out();
  out(
    `Each call: \`client.callTool({name: 'echo', arguments: {text}})\` (${http.paramsBytes} B params) through the v1 SDK ` +
      '`Client` for ours and the SDK; the raw loop POSTs the same JSON-RPC body with the same headers and parses ' +
      'the answer itself. Latency per call from the median round (nearest-rank percentiles). CPU µs/call: ' +
      'user+system time of this process and of the echo server over the measured calls, median over rounds.',
  );
  out();
  out('### Streamable HTTP: listeners and heap over many calls (JSON responses)');
  out();
  out(
    '| Client | Calls | Abort listeners left | Heap used after GC (MiB) | Active resources | calls/s | Warnings |',
  );
  out('|---|---:|---|---|---|---:|---|');
  const g = http.growth.ours;
  if (g.failed) {
    out(`| ours | ${thousands(g.calls)} | ERROR: ${cell(g.error)} | | | | |`);
  } else {
    const path = g.checkpoints.map((c) => c.heapUsedMiB.toFixed(1)).join(' → ');
    out(
      `| ours | ${thousands(g.calls)} | ${g.before.listeners} after warm-up → ${g.after.listeners} at the end ` +
        `(${thousands(g.after.addCalls)} added, ${thousands(g.after.removeCalls)} removed) | ` +
        `${g.before.heapUsedMiB.toFixed(1)} after warm-up; every ${thousands(GROWTH.ours.checkpointEvery)} calls: ${path} | ` +
        `${g.before.activeResources} → ${g.after.activeResources} | ${thousands(g.callsPerSec)} | ${g.warnings.length ? cell(g.warnings.join('; ')) : 'none'} |`,
    );
  }
  const s = http.growth.sdk;
  if (s.failed) {
    out(`| SDK | ${thousands(s.calls)} | ERROR: ${cell(s.error)} | | | | |`);
  } else {
    const warned = [...new Set(s.warnings.map((w) => w.split(':')[0]))];
    out(
      `| SDK | ${thousands(s.calls)} | ${s.sharedSignalListeners} on its shared AbortSignal right after the calls ` +
        `(${s.after.sharedSignalListeners} after a full GC) | ${s.before.heapUsedMiB.toFixed(1)} → ${s.after.heapUsedMiB.toFixed(1)} | ` +
        `${s.before.activeResources} → ${s.after.activeResources} | ${thousands(s.callsPerSec)} | ` +
        `${warned.length ? `${s.warnings.length}× ${warned.join(', ')}` : 'none'} |`,
    );
  }
  out();
  out(
    'Abort listeners left: listeners still attached to live AbortSignals (AbortSignal.prototype.addEventListener ' +
      'instrumented during the check; signals held weakly; counted after a full GC). Active resources: ' +
      '`process.getActiveResourcesInfo().length`. The SDK figure is ' +
      '`getEventListeners(transport._abortController.signal, "abort").length`.',
  );
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      count: { type: 'string' },
      'leak-calls': { type: 'string' },
      mode: { type: 'string' },
    },
  });
  const log = (line) => console.error(line);
  const http = await runHttp({
    scenarios: values.mode ? [values.mode] : undefined,
    rounds: values.rounds ? Number(values.rounds) : undefined,
    count: values.count ? Number(values.count) : undefined,
    leakCalls: values['leak-calls'] ? Number(values['leak-calls']) : undefined,
    log,
  });
  console.log(httpTables(http).join('\n'));
  console.log();
  for (const t of httpTargets(http))
    console.log(
      `- ${t.name}: ${t.measured ?? `${t.ratio.toFixed(2)}×`} ${t.met ? 'met' : `NOT met${t.why ? ` (${t.why})` : ''}`}`,
    );
}
