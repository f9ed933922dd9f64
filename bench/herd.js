// The thundering-herd check: 100 WebSocket connections under one supervisor, all to one shared
// backend (bench/ws-echo-server.mjs, a real child process), which is killed with SIGKILL and
// started again on the same port `downMs` later. Every connection notices at the same instant;
// what matters is when each retries. Recorded: the time of every connection attempt after the
// cut (entry into `connecting`), in 100 ms windows, for the supervisor's default
// (±50 %) and, side by side in the same run, for full jitter, the single-transport default
// (±20 %) and no jitter.

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSupervisor } from '../dist/index.js';
import { echoServer } from './lib/children.js';
import { settle } from './lib/report.js';

const SERVER = fileURLToPath(new URL('./ws-echo-server.mjs', import.meta.url));
const WINDOW_MS = 100;

/** The variants compared: the reconnect jitter each fleet runs with. */
export const HERD_VARIANTS = [
  { name: 'supervisor default (±50 %)', jitter: undefined },
  { name: 'full jitter', jitter: 'full' },
  { name: '±20 % (createTransport default)', jitter: 0.2 },
  { name: 'no jitter', jitter: 0 },
];

function startBackend(port) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return echoServer(child, 'ws echo backend');
}

async function until(predicate, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One fleet through one backend restart: every attempt's time after the cut. */
async function runVariant({ servers, downMs, initialDelayMs, jitter, seed }) {
  let backend = await startBackend(0);
  const port = backend.port;
  const reconnect = { initialDelayMs, maxDelayMs: 30_000, ...(jitter === undefined ? {} : { jitter }) };
  const config = {
    servers: Object.fromEntries(
      Array.from({ length: servers }, (_, i) => [
        `server-${i}`,
        { url: `ws://127.0.0.1:${port}/mcp`, reconnect, heartbeat: { intervalMs: 0 } },
      ]),
    ),
    seed,
  };
  const supervisor = createSupervisor(config);
  try {
    await supervisor.start();
    const opened = () => supervisor.status().every((s) => s.state === 'open');
    await until(opened, 20_000, 'every connection open');
    const attempts = [];
    let cutAt;
    supervisor.subscribe((status) => {
      if (cutAt !== undefined && status.state === 'connecting')
        attempts.push({ ms: performance.now() - cutAt, attempt: status.attempt });
    });
    cutAt = performance.now();
    process.kill(backend.pid, 'SIGKILL');
    await backend.close();
    await until(
      () => supervisor.status().every((s) => s.state === 'reconnecting'),
      10_000,
      'every link down',
    );
    const noticedMs = performance.now() - cutAt;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, downMs - noticedMs)));
    backend = await startBackend(port);
    const restartedMs = performance.now() - cutAt;
    await until(opened, 60_000, 'every connection open again');
    const recoveredMs = performance.now() - cutAt;
    return { attempts, noticedMs, restartedMs, recoveredMs };
  } finally {
    await supervisor.close();
    await backend.close();
  }
}

/** Attempts per 100 ms window, from the cut to the last attempt. */
export function histogram(attempts) {
  const last = Math.max(0, ...attempts.map((a) => a.ms));
  const counts = Array.from({ length: Math.floor(last / WINDOW_MS) + 1 }, () => 0);
  for (const a of attempts) counts[Math.floor(a.ms / WINDOW_MS)] += 1;
  return counts;
}

export async function runHerd({ log, servers = 100, downMs = 1500, initialDelayMs = 1000 }) {
  const results = [];
  for (const [i, variant] of HERD_VARIANTS.entries()) {
    log(`  ${servers} connections, ${variant.name}: backend killed, back after ${downMs} ms ...`);
    const run = await runVariant({ servers, downMs, initialDelayMs, jitter: variant.jitter, seed: 1000 + i });
    const counts = histogram(run.attempts);
    const first = run.attempts.filter((a) => a.attempt === 1);
    results.push({
      variant: variant.name,
      jitter: variant.jitter ?? 'supervisor default',
      servers,
      downMs,
      initialDelayMs,
      attempts: run.attempts.length,
      firstRetries: first.length,
      busiestWindow: Math.max(...counts),
      windowsUsedByFirstRetries: new Set(first.map((a) => Math.floor(a.ms / WINDOW_MS))).size,
      noticedMs: run.noticedMs,
      restartedMs: run.restartedMs,
      recoveredMs: run.recoveredMs,
      histogram: counts,
    });
  }
  return { windowMs: WINDOW_MS, results };
}

/** Markdown: the summary per variant, then the histogram windows side by side. */
export function herdTables(herd) {
  const lines = [];
  const { results, windowMs } = herd;
  const r0 = results[0];
  lines.push(
    `### Reconnect spread: ${r0.servers} connections, one shared backend killed and back after ${r0.downMs} ms`,
    '',
    '| Reconnect jitter | attempts | first retries | busiest 100 ms window | windows holding first retries | all links down after | all open again after |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    lines.push(
      `| ${r.variant} | ${r.attempts} | ${r.firstRetries} | ${r.busiestWindow} | ${r.windowsUsedByFirstRetries} | ` +
        `${r.noticedMs.toFixed(0)} ms | ${r.recoveredMs.toFixed(0)} ms |`,
    );
  }
  lines.push(
    '',
    `Attempts per ${windowMs} ms window after the cut (initialDelayMs ${r0.initialDelayMs}):`,
    '',
  );
  lines.push(`| window (ms) | ${results.map((r) => r.variant).join(' | ')} |`);
  lines.push(`|---|${results.map(() => '---:').join('|')}|`);
  const length = Math.max(...results.map((r) => r.histogram.length));
  for (let w = 0; w < length; w += 1) {
    const counts = results.map((r) => r.histogram[w] ?? 0);
    if (counts.every((n) => n === 0)) continue;
    const bar = (n) => (n === 0 ? '' : `${n} ${'▇'.repeat(Math.ceil(n / 4))}`);
    lines.push(`| ${w * windowMs}–${(w + 1) * windowMs} | ${counts.map(bar).join(' | ')} |`);
  }
  return lines;
}

/** The supervisor default spreads the herd: no 100 ms window holds a quarter of it, and its first retries fill 8 windows or more. */
export function herdTargets(herd) {
  const fleet = herd.results[0];
  return settle([
    {
      name: `Reconnect spread: busiest 100 ms window ≤ 25 % of ${fleet.servers} supervised connections`,
      ratio: fleet.busiestWindow / fleet.servers,
      op: '<=',
      bound: 0.25,
      measured: `${fleet.busiestWindow} of ${fleet.servers}`,
    },
    {
      name: 'Reconnect spread: first retries over ≥ 8 windows of 100 ms',
      ratio: fleet.windowsUsedByFirstRetries,
      op: '>=',
      bound: 8,
      measured: String(fleet.windowsUsedByFirstRetries),
    },
  ]);
}
