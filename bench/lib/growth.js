// The growth checks of the HTTP and WebSocket benchmarks: a client over many calls, with a
// reading after a full GC (heap, active resources, and what the trackers count) every so many.

import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { collectGarbage, drive, round, sleep, thousands } from '../lib.js';
import { closeClient, errorText, PARAMS, WINDOW } from './mcp.js';

const MiB = 1024 * 1024;

/** The objects still alive in a set of WeakRefs; dead ones, and those `gone(o)` is true for, leave the set. */
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
  const seen = [];
  const onWarning = (warning) => seen.push(`${warning.name}: ${warning.message}`.slice(0, 200));
  process.on('warning', onWarning);
  return {
    seen,
    stop: () => process.off('warning', onWarning),
  };
}

/**
 * A client (`makeClient()`) over `calls` calls after `warmup`, with a reading after a full GC
 * (heap, rss, active resources, and `counters()`) every `checkpointEvery` calls. `result` holds
 * what the caller names the check by; `what` starts each progress line, and `listeners(reading,
 * atCheckpoint)` says what the counters found. `uninstall()` runs at the end, whatever happens.
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
  const checkpoints = [];
  Object.assign(result, { calls, checkpoints, warnings: warnings.seen });
  const reading = () => ({ ...snapshotMemory(), ...counters() });
  let client;
  try {
    client = makeClient();
    await client.start();
    const drv = (count, firstId) =>
      drive(client, { count, window: WINDOW, params: PARAMS, firstId, timeoutMs });
    await drv(warmup, 1);
    await sleep(50);
    result.before = reading();
    log(
      `${what}: after ${warmup} warm-up calls: heap ${result.before.heapUsedMiB} MiB, ` +
        `${result.before.activeResources} active resources, ${listeners(result.before, false)}`,
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
        `${what}: ${thousands(done)} calls: heap ${point.heapUsedMiB} MiB, rss ${point.rssMiB} MiB, ` +
          `${point.activeResources} active resources, ${listeners(point, true)} (${thousands(r.callsPerSec)} calls/s)`,
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
    log(`${what}: FAILED: ${result.error}`);
  } finally {
    await closeClient(client, result);
    await sleep(50);
    result.afterClose = reading();
    uninstall();
    warnings.stop();
  }
  return result;
}
