// Start to open: each variant started, answered once and closed, over and over (the variants
// interleaved, after a warm-up start each that does not count); after every close of a Docker
// variant, the containers of this process still on the engine are counted (0 when close
// removed its container).

import { performance } from 'node:perf_hooks';
import { PARAMS } from '../lib/clients.js';
import { errorText, median, percentile, withTimeout } from '../lib/stats.js';
import { containersLeft, DOCKER_FACTORIES, ready } from './clients.js';
import { DOCKER_STARTS } from './setup.js';

/** @import { Log } from '../lib/types.js' */
/** @import { DockerSetup } from './setup.js' */

/**
 * @typedef {{ openMs: number, answerMs: number, closeMs: number, left: number, steps: Record<string, number> | undefined, failed?: undefined }
 *   | { failed: true, error: string }} StartRun
 */

/**
 * One start: start(), the first answer, close(), and the containers left after it.
 * @param {string} variant
 * @param {DockerSetup} setup
 * @returns {Promise<StartRun>}
 */
async function startOnce(variant, setup) {
  const factory = DOCKER_FACTORIES[variant];
  if (factory === undefined) return { failed: true, error: `no Docker variant ${variant}` };
  const client = factory(setup);
  try {
    await ready(client, variant, setup, PARAMS);
    const closing = performance.now();
    await withTimeout(client.close(), DOCKER_STARTS.timeoutMs, `${variant}: close`);
    const closeMs = performance.now() - closing;
    const left = variant === 'ours-stdio' ? 0 : await containersLeft(setup);
    const { openMs = Number.NaN, answerMs = Number.NaN } = client.timings ?? {};
    return { openMs, answerMs, closeMs, left, steps: client.steps };
  } catch (error) {
    await client.close().catch(() => undefined);
    return { failed: true, error: errorText(error) };
  }
}

/** @typedef {Exclude<StartRun, { failed: true }>} StartMeasured */

/**
 * Median and p90 (nearest rank) of one timing over the starts.
 * @param {StartMeasured[]} runs
 * @param {'openMs' | 'answerMs' | 'closeMs'} field
 */
function spread(runs, field) {
  const sorted = runs.map((r) => r[field]).sort((a, b) => a - b);
  return { median: median(sorted), p90: percentile(sorted, 90), min: sorted[0], max: sorted.at(-1) };
}

/** @param {StartRun[]} runs */
function summarize(runs) {
  const ok = /** @type {StartMeasured[]} */ (runs.filter((r) => !r.failed));
  const failures = /** @type {Extract<StartRun, { failed: true }>[]} */ (runs.filter((r) => r.failed));
  const first = ok[0];
  if (first === undefined)
    return { failed: /** @type {const} */ (true), error: failures[0]?.error, phase: 'start', runs };
  const firstSteps = first.steps;
  return {
    openMs: spread(ok, 'openMs'),
    answerMs: spread(ok, 'answerMs'),
    closeMs: spread(ok, 'closeMs'),
    containersLeft: Math.max(...ok.map((r) => r.left)),
    // The raw attach client's engine calls, each a median (ms).
    steps:
      firstSteps === undefined
        ? undefined
        : Object.fromEntries(
            Object.keys(firstSteps).map((step) => [
              step,
              median(ok.map((r) => r.steps?.[step] ?? Number.NaN)),
            ]),
          ),
    failedStarts: failures.length,
    firstFailure: failures[0]?.error,
    runs,
  };
}

/** @typedef {ReturnType<typeof summarize> | { failed: true, phase: string, error: string | undefined, rounds: [] }} StartSummary */
/** @typedef {{ starts: number, warmup: number, variants: Record<string, StartSummary> }} Starts */

/**
 * `starts` counted starts of each variant, interleaved, after `warmup` starts each.
 * @param {DockerSetup} setup
 * @param {string[]} variants
 * @param {{ starts?: number | undefined, log: Log }} options
 * @returns {Promise<Starts>}
 */
export async function runStarts(setup, variants, { starts = DOCKER_STARTS.starts, log }) {
  /** @type {Record<string, StartRun[]>} */
  const perVariant = Object.fromEntries(variants.map((v) => [v, []]));
  const { warmup } = DOCKER_STARTS;
  for (let i = 1; i <= warmup + starts; i += 1) {
    for (const variant of variants) {
      const r = await startOnce(variant, setup);
      if (i > warmup) perVariant[variant]?.push(r);
      const what = `  docker start ${i > warmup ? i - warmup : 'warm-up'} ${variant.padEnd(10)}`;
      log(
        r.failed
          ? `${what}: FAILED: ${r.error}`
          : `${what}: open ${r.openMs.toFixed(0)} ms, first answer ${r.answerMs.toFixed(0)} ms, ` +
              `close ${r.closeMs.toFixed(0)} ms, containers left ${r.left}`,
      );
    }
  }
  return {
    starts,
    warmup,
    variants: Object.fromEntries(variants.map((v) => [v, summarize(perVariant[v] ?? [])])),
  };
}
