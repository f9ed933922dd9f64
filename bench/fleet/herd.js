// The thundering-herd check: 100 WebSocket connections under one supervisor, all to one shared
// backend (bench/echo-server.mjs ws, a real child process), which is killed with SIGKILL and
// started again on the same port `downMs` later. Every connection notices at the same instant;
// what matters is when each retries. Recorded: the time of every connection attempt after the
// cut (entry into `connecting`), in 100 ms windows, for the supervisor's default
// (±50 %) and, side by side in the same run, for full jitter, the single-transport default
// (±20 %) and no jitter.

import { performance } from 'node:perf_hooks';
import { createSupervisor } from '../../dist/index.js';
import { startEchoServer } from '../websocket/setup.js';
import { HERD, histogram, WINDOW_MS } from './setup.js';

/** @import { Log } from '../lib/types.js' */

/**
 * @typedef {{
 *   variant: string, jitter: number | string, servers: number, downMs: number, initialDelayMs: number,
 *   attempts: number, firstRetries: number, busiestWindow: number, windowsUsedByFirstRetries: number,
 *   noticedMs: number, restartedMs: number, recoveredMs: number, histogram: number[],
 * }} HerdRun
 */
/** @typedef {{ windowMs: number, results: HerdRun[] }} HerdResult */

/** The variants compared: the reconnect jitter each fleet runs with. */
export const HERD_VARIANTS = /** @type {{ name: string, jitter: number | 'full' | undefined }[]} */ ([
  { name: 'supervisor default (±50 %)', jitter: undefined },
  { name: 'full jitter', jitter: 'full' },
  { name: '±20 % (createTransport default)', jitter: 0.2 },
  { name: 'no jitter', jitter: 0 },
]);

/**
 * Resolves once `predicate()` holds (checked every 10 ms); rejects after `timeoutMs`.
 * @param {() => boolean} predicate
 * @param {number} timeoutMs
 * @param {string} what
 */
export async function until(predicate, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One fleet through one backend restart: every attempt's time after the cut.
 * @param {{ servers: number, downMs: number, initialDelayMs: number, jitter: number | 'full' | undefined, seed: number }} options
 */
async function runVariant({ servers, downMs, initialDelayMs, jitter, seed }) {
  let backend = await startEchoServer(0);
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
    /** @type {{ ms: number, attempt: number }[]} */
    const attempts = [];
    /** @type {number | undefined} */
    let cutAt;
    supervisor.subscribe((status) => {
      if (cutAt !== undefined && status.state === 'connecting')
        attempts.push({ ms: performance.now() - cutAt, attempt: status.attempt });
    });
    const cut = performance.now();
    cutAt = cut;
    await backend.kill();
    await until(
      () => supervisor.status().every((s) => s.state === 'reconnecting'),
      10_000,
      'every link down',
    );
    const noticedMs = performance.now() - cut;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, downMs - noticedMs)));
    backend = await startEchoServer(port);
    const restartedMs = performance.now() - cut;
    await until(opened, 60_000, 'every connection open again');
    const recoveredMs = performance.now() - cut;
    return { attempts, noticedMs, restartedMs, recoveredMs };
  } finally {
    await supervisor.close();
    await backend.close();
  }
}

/**
 * The four fleets, one after the other, each through one backend restart.
 * @param {{ log: Log, servers?: number | undefined, downMs?: number | undefined, initialDelayMs?: number | undefined }} options
 * @returns {Promise<HerdResult>}
 */
export async function runHerd({
  log,
  servers = HERD.servers,
  downMs = HERD.downMs,
  initialDelayMs = HERD.initialDelayMs,
}) {
  /** @type {HerdRun[]} */
  const results = [];
  for (const [i, variant] of HERD_VARIANTS.entries()) {
    log(`  ${servers} connections, ${variant.name}: backend killed, back after ${downMs} ms ...`);
    const run = await runVariant({ servers, downMs, initialDelayMs, jitter: variant.jitter, seed: 1000 + i });
    const counts = histogram(run.attempts.map((a) => a.ms));
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
