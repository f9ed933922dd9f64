// Round-trip benchmark over stdio: our transport vs the SDK's StdioClientTransport vs a raw
// child_process baseline, all against the same NDJSON echo server (bench/echo-server.mjs).
//
// Run alone: node --expose-gc bench/stdio.js   (bench/run.js runs it with the decode benchmark)

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createTransport } from '../dist/index.js';
import { collectGarbage, drive, median, sleep, withTimeout } from './lib.js';

export const SERVER = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
export const VARIANTS = ['ours', 'sdk', 'raw'];

/** Human names of the variants, for tables. */
export const VARIANT_NAMES = {
  ours: 'mcp-lifeline createTransport',
  sdk: 'SDK StdioClientTransport 1.32.2',
  raw: 'raw child_process baseline',
  'raw-detached': 'raw baseline, spawned detached',
};

const MiB = 1024 * 1024;

/** The scenarios: same settings for all three variants. */
export const SCENARIOS = {
  small: {
    label: '~200 B params',
    // {"name":"echo","arguments":{"message":"xxx…"}} is 192 bytes serialized.
    params: { name: 'echo', arguments: { message: 'x'.repeat(150) } },
    warmup: 2000,
    count: 20000,
    window: 64,
    rounds: 5,
    variants: VARIANTS,
    timeoutMs: 120_000,
  },
  large: {
    label: '9 MiB params',
    params: { name: 'echo', arguments: { message: 'x'.repeat(9 * MiB) } },
    warmup: 4,
    count: 40,
    window: 4,
    rounds: 3,
    variants: VARIANTS,
    timeoutMs: 180_000,
  },
};

// --- child-process bookkeeping: nothing may outlive the bench ---

const livePids = new Set();
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      // Our transport spawns its server in its own process group: kill the group; else the pid.
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/** Pids of this process's live children (from /proc; Linux only, empty elsewhere). */
export function childPids() {
  const pids = [];
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

// --- the three clients, behind one interface: start(), send(id, params), onResponse, close() ---

function makeRequest(id, params) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params };
}

/**
 * Drives any SDK-shaped transport (start / send / onmessage / close) for the window driver:
 * both clients below are measured through exactly the same code.
 */
function transportClient(name, transport) {
  const client = {
    name,
    transport,
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
    closed: false,
    async start() {
      await transport.start();
      if (transport.pid !== undefined && transport.pid !== null) {
        client.pid = transport.pid;
        livePids.add(transport.pid);
      }
    },
    send(id, params) {
      transport.send(makeRequest(id, params)).catch((error) => client.onFailure?.(error));
    },
    async close() {
      await transport.close();
      livePids.delete(client.pid);
    },
  };
  transport.onmessage = (message) => {
    if (!('method' in message)) client.onResponse?.(message.id, message);
  };
  transport.onerror = (error) => client.errors.push(error.message);
  transport.onclose = () => {
    client.closed = true;
    client.onClosed?.();
  };
  return client;
}

/** a. mcp-lifeline's createTransport(), driven at the transport level. */
export function oursClient(extra = {}) {
  const transport = createTransport({
    command: process.execPath,
    args: [SERVER],
    heartbeat: { intervalMs: 0 },
    ...extra,
  });
  return transportClient('ours', transport);
}

/** b. The SDK's StdioClientTransport (v1), driven the same way. */
export function sdkClient(extra = {}) {
  return transportClient(
    'sdk',
    new StdioClientTransport({ command: process.execPath, args: [SERVER], ...extra }),
  );
}

/**
 * c. The raw baseline: spawn, JSON lines on stdin, stdout split on '\n' by a linear splitter
 * (pieces of a partial line kept in a list, joined once when its newline arrives) + JSON.parse.
 */
export function rawClient({ detached = false } = {}) {
  let child;
  let pieces = [];
  const client = {
    name: detached ? 'raw-detached' : 'raw',
    onResponse: undefined,
    onFailure: undefined,
    errors: [],
    start() {
      child = spawn(process.execPath, [SERVER], { stdio: ['pipe', 'pipe', 'inherit'], detached });
      child.stdin.on('error', (error) => client.errors.push(error.message));
      child.stdout.on('data', (chunk) => {
        let start = 0;
        let newline = chunk.indexOf(10);
        while (newline !== -1) {
          let line;
          if (pieces.length === 0) {
            line = chunk.toString('utf8', start, newline);
          } else {
            pieces.push(chunk.subarray(start, newline));
            line = Buffer.concat(pieces).toString('utf8');
            pieces = [];
          }
          if (line.length > 0) {
            const message = JSON.parse(line);
            client.onResponse?.(message.id, message);
          }
          start = newline + 1;
          newline = chunk.indexOf(10, start);
        }
        if (start < chunk.length) pieces.push(chunk.subarray(start));
      });
      return new Promise((resolve, reject) => {
        child.once('spawn', () => {
          client.pid = child.pid;
          livePids.add(child.pid);
          resolve();
        });
        child.once('error', reject);
      });
    },
    send(id, params) {
      child.stdin.write(`${JSON.stringify(makeRequest(id, params))}\n`);
    },
    async close() {
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      try {
        await withTimeout(exited, 5000, 'raw child exit');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      livePids.delete(client.pid);
    },
  };
  return client;
}

export const FACTORIES = {
  ours: () => oursClient(),
  sdk: () => sdkClient(),
  raw: () => rawClient(),
  // Not in the default run: the raw baseline spawned `detached: true`, as our stdio link spawns
  // its server (own session and process group). For bench/profile.js.
  'raw-detached': () => rawClient({ detached: true }),
};

/** One measured round of one variant in one scenario: a fresh server, warm-up, then measure. */
async function measureRound(variant, scenario) {
  collectGarbage();
  const client = FACTORIES[variant]();
  await client.start();
  try {
    const { params, window, timeoutMs } = scenario;
    await drive(client, { count: scenario.warmup, window, params, firstId: 1, timeoutMs });
    const result = await drive(client, {
      count: scenario.count,
      window,
      params,
      firstId: 1 + scenario.warmup,
      timeoutMs,
    });
    result.transportErrors = client.errors.length;
    return result;
  } finally {
    await client.close();
  }
}

/**
 * Runs every scenario: its rounds, the variants interleaved in each (ours, sdk, raw, ours, sdk,
 * raw, ...); reports every round and the median round (by calls/s) of each variant.
 */
export async function runStdio({ scenarios = Object.keys(SCENARIOS), rounds, log = () => {} } = {}) {
  const out = {};
  for (const key of scenarios) {
    const scenario = SCENARIOS[key];
    const roundCount = rounds ?? scenario.rounds;
    const perVariant = Object.fromEntries(scenario.variants.map((v) => [v, []]));
    for (let round = 1; round <= roundCount; round += 1) {
      for (const variant of scenario.variants) {
        const result = await measureRound(variant, scenario);
        perVariant[variant].push(result);
        log(
          `  ${key} round ${round} ${variant.padEnd(12)}: ${result.callsPerSec.toFixed(1)} calls/s, ` +
            `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
            `CPU/call client ${result.clientCpuUsPerCall.toFixed(1)} µs, server ${result.serverCpuUsPerCall.toFixed(1)} µs`,
        );
      }
    }
    const summary = {};
    for (const variant of scenario.variants) {
      const runs = perVariant[variant];
      const mid = median(runs.map((r) => r.callsPerSec));
      // The median round: the one whose calls/s is the median (an odd number of rounds).
      const chosen = runs.reduce((a, b) =>
        Math.abs(b.callsPerSec - mid) < Math.abs(a.callsPerSec - mid) ? b : a,
      );
      summary[variant] = {
        callsPerSec: chosen.callsPerSec,
        p50Ms: chosen.p50Ms,
        p99Ms: chosen.p99Ms,
        minCallsPerSec: Math.min(...runs.map((r) => r.callsPerSec)),
        maxCallsPerSec: Math.max(...runs.map((r) => r.callsPerSec)),
        // Medians over all rounds (CPU per call varies far less than throughput between rounds).
        clientCpuUsPerCall: median(runs.map((r) => r.clientCpuUsPerCall)),
        serverCpuUsPerCall: median(runs.map((r) => r.serverCpuUsPerCall)),
        errors: runs.reduce((n, r) => n + r.errors + r.transportErrors, 0),
        rounds: runs,
      };
    }
    out[key] = {
      label: scenario.label,
      paramsBytes: JSON.stringify(scenario.params).length,
      warmup: scenario.warmup,
      count: scenario.count,
      window: scenario.window,
      rounds: roundCount,
      variants: summary,
    };
  }
  return out;
}

/**
 * Above the SDK's 10 MiB: a 12 MiB echo through our transport (limits.maxMessageBytes 32 MiB)
 * and through the SDK's transport, each bounded by a timeout.
 */
export async function runLargeCheck({ log = () => {}, timeoutMs = 20_000 } = {}) {
  const bytes = 12 * MiB;
  const params = { name: 'echo', arguments: { message: 'x'.repeat(bytes) } };
  const result = { messageChars: bytes, ours: undefined, sdk: undefined };

  for (const variant of ['ours', 'sdk']) {
    collectGarbage();
    const client = variant === 'ours' ? oursClient({ limits: { maxMessageBytes: 32 * MiB } }) : sdkClient();
    await client.start();
    const began = performance.now();
    // The SDK closes itself when its buffer overflows: stop waiting then, not at the timeout.
    const answered = new Promise((resolve) => {
      client.onResponse = (id, message) => resolve({ id, message });
      client.onClosed = () => resolve({ closed: true });
    });
    client.send(1, params);
    let outcome;
    try {
      const { message, closed } = await withTimeout(answered, timeoutMs, `${variant} 12 MiB echo`);
      if (closed) throw new Error('the transport closed before any answer');
      const echoed = message.result?.echo?.arguments?.message;
      outcome = {
        answered: true,
        intact: typeof echoed === 'string' && echoed.length === bytes,
        error: message.error,
        ms: performance.now() - began,
      };
    } catch (error) {
      outcome = { answered: false, timeout: error.message, ms: performance.now() - began };
    }
    outcome.transportErrors = [...new Set(client.errors)];
    if (variant === 'sdk') outcome.closedByTransport = client.closed;
    await client.close();
    result[variant] = outcome;
    log(`  12 MiB ${variant}: ${JSON.stringify(outcome).slice(0, 300)}`);
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (line) => console.log(line);
  const stdio = await runStdio({ log });
  console.log(JSON.stringify(stdio, (k, v) => (k === 'rounds' && Array.isArray(v) ? undefined : v), 2));
  await runLargeCheck({ log });
  await sleep(100);
  console.log(`child processes left: ${childPids().length}`);
}
