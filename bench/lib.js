// Shared helpers of the benchmarks: statistics, payloads, a windowed request driver, cleanup.
// Plain Node ESM, no dependencies.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** CPU time a process has used so far, in ns (Linux /proc/<pid>/schedstat), or NaN. */
export function processCpuNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100) of a sorted Float64Array or array, nearest-rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Runs a full garbage collection when node runs with --expose-gc (the bench script does). */
export function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Rounds for display. */
export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Formats a number with thousands separators. */
export function thousands(value) {
  return Math.round(value).toLocaleString('en-US');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A client under test, reduced to what the driver needs:
 *   send(id, params): writes one `tools/call` request (fire and forget),
 *   onResponse: set by the driver, called with (id, message) for every response.
 *
 * drive() keeps `window` requests outstanding: it sends `window` at once, then one more as
 * each answer arrives, until `count` answers are in. Latency is per request, from just before
 * the send call to the moment the answer reaches the driver (performance.now()).
 *
 * It also measures the CPU time per call of this process (the client) and of the server
 * (client.pid, from /proc), over the same span.
 *
 * Ids are unique over the life of a client (`firstId` upwards), so a late answer can never be
 * mistaken for a new request's.
 */
export function drive(client, { count, window, params, firstId, timeoutMs }) {
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = processCpuNs(client.pid);
  const latencies = new Float64Array(count);
  const sentAt = new Float64Array(count);
  let sent = 0;
  let received = 0;
  let errors = 0;
  let began = 0;

  const done = new Promise((resolve, reject) => {
    const sendNext = () => {
      const index = sent;
      sent += 1;
      sentAt[index] = performance.now();
      client.send(firstId + index, params);
    };
    client.onResponse = (id, message) => {
      const now = performance.now();
      const index = id - firstId;
      if (!(index >= 0 && index < count)) return;
      latencies[index] = now - sentAt[index];
      if (message.error !== undefined) errors += 1;
      received += 1;
      if (received === count) {
        const elapsedMs = now - began;
        client.onResponse = undefined;
        resolve({ elapsedMs });
        return;
      }
      if (sent < count) sendNext();
    };
    client.onFailure = (error) => reject(error);
    began = performance.now();
    const initial = Math.min(window, count);
    for (let i = 0; i < initial; i += 1) sendNext();
  });

  return withTimeout(done, timeoutMs, `${client.name}: ${count} requests`).then(({ elapsedMs }) => {
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuNs = processCpuNs(client.pid) - serverCpuBefore;
    const sorted = latencies.slice().sort();
    return {
      count,
      window,
      errors,
      elapsedMs,
      callsPerSec: (count / elapsedMs) * 1000,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1],
      // CPU per call: far less sensitive than wall time to other load on the machine.
      clientCpuUsPerCall: (cpu.user + cpu.system) / count,
      serverCpuUsPerCall: serverCpuNs / 1000 / count,
    };
  });
}
