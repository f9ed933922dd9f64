// The growth checks of the HTTP and WebSocket benchmarks: a client over many calls, with a
// reading after a full GC (heap, active resources, and what the trackers count) every so many.

import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { PARAMS, WINDOW } from './clients.js';
import { closeClient, drive } from './driver.js';
import { collectGarbage, errorText, round, sleep, thousands } from './stats.js';

/** @import { BenchClient, Log } from './types.js' */

const MiB = 1024 * 1024;

/**
 * The objects still alive in a set of WeakRefs; dead ones, and those `gone(o)` is true for, leave the set.
 * @template {object} T
 * @param {Set<WeakRef<T>>} refs
 * @param {(o: T) => boolean} [gone]
 * @returns {Generator<T>}
 */
export function* alive(refs, gone = () => false) {
  for (const ref of refs) {
    const o = ref.deref();
    if (o === undefined || gone(o)) refs.delete(ref);
    else yield o;
  }
}

/**
 * Counts abort listeners that were added to AbortSignals and never removed: while installed,
 * every AbortSignal that gains an 'abort' listener is remembered weakly until its listeners
 * are removed again. `outstanding()` (after a GC) reports the signals still alive with abort
 * listeners and how many listeners they hold (the real count, from getEventListeners).
 */
export function trackAbortListeners() {
  /** @type {{ addEventListener?: EventTarget['addEventListener'], removeEventListener?: EventTarget['removeEventListener'] }} */
  const proto = AbortSignal.prototype;
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  /** @type {WeakMap<AbortSignal, { count: number, ref: WeakRef<AbortSignal> }>} */
  const entries = new WeakMap();
  /** @type {Set<WeakRef<AbortSignal>>} */
  const live = new Set();
  let added = 0;
  let removed = 0;
  /** @type {(this: AbortSignal, ...args: Parameters<EventTarget['addEventListener']>) => void} */
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
  /** @type {(this: AbortSignal, ...args: Parameters<EventTarget['removeEventListener']>) => void} */
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
      for (const signal of alive(live)) {
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

/** Heap used and rss after two full GCs, and the number of active resources. */
export function snapshotMemory() {
  collectGarbage();
  collectGarbage();
  const memory = process.memoryUsage();
  return {
    heapUsedMiB: round(memory.heapUsed / MiB, 2),
    rssMiB: round(memory.rss / MiB, 1),
    activeResources: process.getActiveResourcesInfo().length,
  };
}

/** Collects process warnings (MaxListenersExceededWarning, say) while a check runs. */
export function collectWarnings() {
  /** @type {string[]} */
  const seen = [];
  const onWarning = (/** @type {Error} */ warning) =>
    seen.push(`${warning.name}: ${warning.message}`.slice(0, 200));
  process.on('warning', onWarning);
  return {
    seen,
    stop: () => process.off('warning', onWarning),
  };
}

/**
 * A reading: memory, and what the check's `counters()` count.
 * @template {Record<string, number>} [C=Record<string, number>]
 * @typedef {ReturnType<typeof snapshotMemory> & C} Reading
 */
/**
 * @template {Record<string, number>} [C=Record<string, number>]
 * @typedef {Reading<C> & { calls: number, callsPerSec: number }} Checkpoint
 */

/**
 * What runGrowth() fills in: the readings after the warm-up (`before`), at each checkpoint, at
 * the last one (`after`) and after the close; or where it failed.
 * @template {Record<string, number>} [C=Record<string, number>]
 * @typedef {{
 *   variant: string, mode?: string, calls: number, checkpoints: Checkpoint<C>[], warnings: string[],
 *   before: Reading<C>, first: Checkpoint<C>, after: Checkpoint<C>, afterClose: Reading<C>,
 *   elapsedMs: number, callsPerSec: number, clientCpuUsPerCall: number,
 *   transportErrors: string[] | undefined, stats: object | undefined,
 *   failed?: boolean, error?: string, closeError?: string,
 * }} GrowthResult
 */

/**
 * A client (`makeClient()`) over `calls` calls after `warmup`, with a reading after a full GC
 * (heap, rss, active resources, and `counters()`) every `checkpointEvery` calls. `result` holds
 * what the caller names the check by; `what` starts each progress line, and `listeners(reading,
 * atCheckpoint)` says what the counters found. `uninstall()` runs at the end, whatever happens.
 * @template {Record<string, number>} C
 * @param {{
 *   makeClient: () => BenchClient, result: { variant: string, mode?: string }, calls: number,
 *   checkpointEvery: number, warmup: number, timeoutMs: number, counters: () => C,
 *   uninstall: () => void, what: string, listeners: (reading: Reading<C>, atCheckpoint: boolean) => string, log: Log,
 * }} options
 * @returns {Promise<GrowthResult<C>>}
 */
export async function runGrowth({
  makeClient,
  result,
  calls,
  checkpointEvery,
  warmup,
  timeoutMs,
  counters,
  uninstall,
  what,
  listeners,
  log,
}) {
  const warnings = collectWarnings();
  /** @type {Checkpoint<C>[]} */
  const checkpoints = [];
  const out = /** @type {GrowthResult<C>} */ (
    Object.assign(result, { calls, checkpoints, warnings: warnings.seen })
  );
  /** @returns {Reading<C>} */
  const reading = () => ({ ...snapshotMemory(), ...counters() });
  /** @type {BenchClient | undefined} */
  let client;
  try {
    const started = makeClient();
    client = started;
    await started.start();
    const drv = (/** @type {number} */ count, /** @type {number} */ firstId) =>
      drive(started, { count, window: WINDOW, params: PARAMS, firstId, timeoutMs });
    await drv(warmup, 1);
    await sleep(50);
    out.before = reading();
    log(
      `${what}: after ${warmup} warm-up calls: heap ${out.before.heapUsedMiB} MiB, ` +
        `${out.before.activeResources} active resources, ${listeners(out.before, false)}`,
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
      /** @type {Checkpoint<C>} */
      const point = { calls: done, ...reading(), callsPerSec: r.callsPerSec };
      checkpoints.push(point);
      log(
        `${what}: ${thousands(done)} calls: heap ${point.heapUsedMiB} MiB, rss ${point.rssMiB} MiB, ` +
          `${point.activeResources} active resources, ${listeners(point, true)} (${thousands(r.callsPerSec)} calls/s)`,
      );
    }
    const [first, last] = [checkpoints[0], checkpoints.at(-1)];
    if (first === undefined || last === undefined) throw new Error(`${what}: no checkpoint`);
    out.elapsedMs = performance.now() - began;
    out.callsPerSec = (calls / out.elapsedMs) * 1000;
    out.clientCpuUsPerCall = cpuUs / calls;
    out.after = last;
    out.first = first;
    out.transportErrors = started.errors.slice(0, 5);
    const stats = started.transport?.stats;
    out.stats = stats === undefined ? undefined : { ...stats };
  } catch (error) {
    out.failed = true;
    out.error = errorText(error);
    out.transportErrors = client?.errors.slice(0, 5);
    log(`${what}: FAILED: ${out.error}`);
  } finally {
    await closeClient(client, out);
    await sleep(50);
    out.afterClose = reading();
    uninstall();
    warnings.stop();
  }
  return out;
}
