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
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Pool } from 'undici';
import { createTransport } from '../dist/index.js';
import { echoServer } from './lib/children.js';
import { collectWarnings, runGrowth, snapshotMemory, trackAbortListeners } from './lib/growth.js';
import {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  clientFields,
  closeClient,
  directClient,
  errorText,
  initializeRequest,
  mcpClient,
  measureRound,
  PARAMS,
  PARAMS_BYTES,
  PROTOCOL_VERSION,
  WINDOW,
} from './lib/mcp.js';
import { cell, growthTargets, printTargets, roundTripTable, settle, throughputRatio } from './lib/report.js';
import { runScenarios } from './lib/rounds.js';
import { drive, sleep, thousands, withTimeout } from './lib.js';

export const HTTP_SERVER = fileURLToPath(new URL('./http-echo-server.mjs', import.meta.url));
export const HTTP_VARIANTS = ['ours', 'sdk', 'raw', 'ours-transport'];

/** Human names of the variants, for tables. */
export const HTTP_VARIANT_NAMES = {
  ours: 'mcp-lifeline createTransport({type: "http"}) in SDK Client',
  sdk: 'SDK StreamableHTTPClientTransport 1.32.2 in SDK Client',
  raw: 'bare undici.request, Pool of 64 (no MCP client)',
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
};

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

/** Starts bench/http-echo-server.mjs; resolves once it printed its port. */
export async function startEchoServer() {
  const child = spawn(process.execPath, [HTTP_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const server = await echoServer(child, 'HTTP echo server');
  return { ...server, url: (mode) => `http://127.0.0.1:${server.port}/mcp?mode=${mode}` };
}

// --- the clients, behind the interface of lib.js drive() (see lib/mcp.js) ---

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
    ...clientFields('raw', server.pid),
    async start() {
      const { response } = await withTimeout(
        post(initializeRequest('lifeline-bench-raw')),
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

/** Our transport on the echo server (heartbeat off while measuring). */
const ourTransport = (server, mode) =>
  createTransport({ type: 'http', url: server.url(mode), heartbeat: { intervalMs: 0 } });

/**
 * The variants: a. our transport and b. the SDK's v1 Streamable HTTP transport, both inside the
 * SDK Client; c. the bare undici loop; a'. our transport driven directly, for information.
 */
export const HTTP_FACTORIES = {
  ours: (server, mode) => mcpClient('ours', ourTransport(server, mode), server.pid),
  sdk: (server, mode) =>
    mcpClient('sdk', new StreamableHTTPClientTransport(new URL(server.url(mode))), server.pid),
  raw: rawClient,
  'ours-transport': (server, mode) => directClient(ourTransport(server, mode), server.pid),
};

// --- round trips ---

/** Runs the scenarios: rounds of the variants interleaved (ours, sdk, raw, ours-transport, ours, ...). */
function runModes(server, { scenarios, rounds, count, log }) {
  return runScenarios({
    scenarios: Object.fromEntries(scenarios.map((key) => [key, HTTP_SCENARIOS[key]])),
    variants: HTTP_VARIANTS,
    rounds,
    count,
    measure: (variant, scenario) =>
      measureRound(() => HTTP_FACTORIES[variant](server, scenario.mode), scenario),
    prefix: (key) => `  http ${key}`,
    describe: (scenario) => ({ mode: scenario.mode }),
    log,
  });
}

// --- growth checks ---

/**
 * Our transport over `calls` calls (JSON mode), after a warm-up: heap used and active resources
 * after a full GC at each checkpoint, and the abort listeners left on live AbortSignals.
 */
function oursGrowth(server, { calls, log }) {
  const settings = GROWTH.ours;
  const tracker = trackAbortListeners();
  return runGrowth({
    ...settings,
    calls,
    makeClient: () => HTTP_FACTORIES.ours(server, settings.mode),
    result: { variant: 'ours', mode: settings.mode },
    counters: () => tracker.outstanding(),
    uninstall: () => tracker.uninstall(),
    what: '  http growth ours',
    listeners: (p, atCheckpoint) =>
      atCheckpoint
        ? `${p.listeners} abort listeners on ${p.signals} live signals`
        : `${p.listeners} abort listeners outstanding`,
    log,
  });
}

/** The SDK over `calls` calls: listeners on its shared AbortSignal (`_abortController.signal`). */
async function sdkGrowth(server, { calls, log }) {
  const settings = GROWTH.sdk;
  const tracker = trackAbortListeners();
  const warnings = collectWarnings();
  const result = { variant: 'sdk', calls, mode: settings.mode, warnings: warnings.seen };
  let client;
  try {
    client = HTTP_FACTORIES.sdk(server, settings.mode);
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
    const modes = await runModes(server, { scenarios, rounds, count, log });
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
      paramsBytes: PARAMS_BYTES,
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
    const why = v.ours.failed ? `ours failed: ${cell(v.ours.error)}` : undefined;
    targets.push(
      {
        name: `HTTP ${m.label}: ours ≥ 3× SDK throughput`,
        ratio: throughputRatio(v.ours, v.sdk),
        op: '>=',
        bound: 3,
        why,
      },
      {
        name: `HTTP ${m.label}: ours ≥ 0.7× raw throughput`,
        ratio: throughputRatio(v.ours, v.raw),
        op: '>=',
        bound: 0.7,
        why,
      },
    );
  }
  targets.push(
    ...growthTargets('HTTP', http.growth.ours, http.growth.heapSlackMiB, (g) => ({
      name: `HTTP: no abort-listener growth over ${thousands(g.calls)} calls (ours; listeners left at the end)`,
      ratio: g.after.listeners - g.before.listeners,
      measured: `${g.before.listeners} → ${g.after.listeners}`,
    })),
  );
  return settle(targets);
}

/** The markdown tables of the HTTP benchmark, as lines. */
export function httpTables(http) {
  const lines = [];
  const out = (line = '') => lines.push(line);
  roundTripTable(out, {
    heading: '### Round trips over Streamable HTTP (echo server on node:http, separate process)',
    column: 'Responses',
    modes: http.modes,
    variants: HTTP_VARIANTS,
    names: HTTP_VARIANT_NAMES,
    label: (m) =>
      `${m.label}, ${m.window} in flight, ${thousands(m.count)} calls after ${thousands(m.warmup)} warm-up, ${m.rounds} rounds`,
  });
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
  printTargets(httpTargets(http));
}
