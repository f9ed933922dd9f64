// The HTTP growth checks: our transport over 100,000 calls (heap, active resources, abort
// listeners at each checkpoint), and the listeners on the SDK's shared AbortSignal after 5,000.

import { getEventListeners } from 'node:events';
import { PARAMS, WINDOW } from '../lib/clients.js';
import { closeClient, drive } from '../lib/driver.js';
import { collectWarnings, runGrowth, snapshotMemory, trackAbortListeners } from '../lib/growth.js';
import { errorText, sleep, thousands } from '../lib/stats.js';
import { HTTP_FACTORIES } from './clients.js';
import { GROWTH } from './setup.js';

/** @import { BenchClient, Log } from '../lib/types.js' */
/** @import { GrowthResult, Reading } from '../lib/growth.js' */
/** @import { HttpEchoServer } from './setup.js' */

/**
 * @typedef {{
 *   variant: 'sdk', calls: number, mode: string, warnings: string[],
 *   before: Reading<AbortCounters & { sharedSignalListeners: number }>,
 *   after: Reading<AbortCounters & { sharedSignalListeners: number }>,
 *   sharedSignalListeners: number, callsPerSec: number, transportErrors: string[],
 *   failed?: boolean, error?: string, closeError?: string,
 * }} SdkGrowth
 */

/**
 * The factory of a variant.
 * @param {string} variant
 */
function factoryOf(variant) {
  const factory = HTTP_FACTORIES[variant];
  if (factory === undefined) throw new Error(`no HTTP variant ${variant}`);
  return factory;
}

/**
 * Our transport over `calls` calls (JSON mode), after a warm-up: heap used and active resources
 * after a full GC at each checkpoint, and the abort listeners left on live AbortSignals.
 * @param {HttpEchoServer} server
 * @param {{ calls: number, log: Log }} options
 */
export function oursGrowth(server, { calls, log }) {
  const settings = GROWTH.ours;
  const tracker = trackAbortListeners();
  return runGrowth({
    ...settings,
    calls,
    makeClient: () => factoryOf('ours')(server, settings.mode),
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

/**
 * The SDK over `calls` calls: listeners on its shared AbortSignal (`_abortController.signal`).
 * @param {HttpEchoServer} server
 * @param {{ calls: number, log: Log }} options
 * @returns {Promise<SdkGrowth>}
 */
export async function sdkGrowth(server, { calls, log }) {
  const settings = GROWTH.sdk;
  const tracker = trackAbortListeners();
  const warnings = collectWarnings();
  const result = /** @type {SdkGrowth} */ ({
    variant: 'sdk',
    calls,
    mode: settings.mode,
    warnings: warnings.seen,
  });
  /** @type {BenchClient | undefined} */
  let client;
  try {
    const started = factoryOf('sdk')(server, settings.mode);
    client = started;
    await started.start();
    // The SDK's private controller: its listeners are what this check counts.
    const signal = /** @type {{ _abortController?: AbortController }} */ (started.transport)._abortController
      ?.signal;
    const shared = () => (signal === undefined ? Number.NaN : getEventListeners(signal, 'abort').length);
    result.before = { ...snapshotMemory(), sharedSignalListeners: shared(), ...tracker.outstanding() };
    const r = await drive(started, {
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
    result.transportErrors = started.errors.slice(0, 5);
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
export function countListenerWarnings() {
  const printers = /** @type {((warning: Error) => void)[]} */ (process.listeners('warning'));
  for (const printer of printers) process.off('warning', printer);
  const counted = { MaxListenersExceededWarning: 0 };
  const onWarning = (/** @type {Error} */ warning) => {
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

/** @typedef {ReturnType<ReturnType<typeof trackAbortListeners>['outstanding']>} AbortCounters */
/** @typedef {{ ours: GrowthResult<AbortCounters>, sdk: SdkGrowth, heapSlackMiB: number }} HttpGrowth */
