// Small helpers every benchmark uses: statistics, number formatting, timeouts, garbage
// collection, and the CPU time of another process. Plain Node ESM, no dependencies.

import { readFileSync } from 'node:fs';

/** CPU time a process has used so far, in ns (Linux /proc/<pid>/schedstat), or NaN. */
export function processCpuNs(/** @type {number | undefined} */ pid) {
  if (pid === undefined) return Number.NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/** The median of a list of numbers (NaN for none). */
export function median(/** @type {readonly number[]} */ values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? at(sorted, mid) : (at(sorted, mid - 1) + at(sorted, mid)) / 2;
}

/** The p-th percentile (0..100) of a sorted list, nearest-rank; NaN for none. */
export function percentile(/** @type {ArrayLike<number>} */ sorted, /** @type {number} */ p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return at(sorted, Math.min(sorted.length, Math.max(1, rank)) - 1);
}

/** `list[index]`, which the caller knows is there (NaN if not). */
export function at(/** @type {ArrayLike<number>} */ list, /** @type {number} */ index) {
  return list[index] ?? Number.NaN;
}

/** Runs a full garbage collection when node runs with --expose-gc (the bench script does). */
export function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Rounds for display. */
export function round(/** @type {number} */ value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Formats a number with thousands separators. */
export function thousands(/** @type {number} */ value) {
  return Math.round(value).toLocaleString('en-US');
}

/** @returns {Promise<void>} */
export function sleep(/** @type {number} */ ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<never>} */
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The message of anything thrown, shortened for a table cell or a log line. */
export const errorText = (/** @type {unknown} */ error) =>
  String(/** @type {{ message?: unknown } | undefined} */ (error)?.message ?? error).slice(0, 300);
