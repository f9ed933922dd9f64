// Start to open: each variant started, answered once and closed, over and over (the variants
// interleaved, after a warm-up start each that does not count); after every close of a Docker
// variant, the containers of this process still on the engine are counted (0 when close
// removed its container).

import { performance } from 'node:perf_hooks';
import { errorText, PARAMS } from '../lib/mcp.js';
import { median, percentile, withTimeout } from '../lib.js';
import { containersLeft, DOCKER_FACTORIES, ready } from './clients.js';
import { DOCKER_STARTS } from './setup.js';

/** One start: start(), the first answer, close(), and the containers left after it. */
async function startOnce(variant, setup) {
  const client = DOCKER_FACTORIES[variant](setup);
  try {
    await ready(client, variant, setup, PARAMS);
    const closing = performance.now();
    await withTimeout(client.close(), DOCKER_STARTS.timeoutMs, `${variant}: close`);
    const closeMs = performance.now() - closing;
    const left = variant === 'ours-stdio' ? 0 : await containersLeft(setup);
    return { ...client.timings, closeMs, left, steps: client.steps };
  } catch (error) {
    await client.close().catch(() => undefined);
    return { failed: true, error: errorText(error) };
  }
}

/** Median and p90 (nearest rank) of one timing over the starts. */
function spread(runs, field) {
  const sorted = runs.map((r) => r[field]).sort((a, b) => a - b);
  return { median: median(sorted), p90: percentile(sorted, 90), min: sorted[0], max: sorted.at(-1) };
}

function summarize(runs) {
  const ok = runs.filter((r) => !r.failed);
  const failures = runs.filter((r) => r.failed);
  if (ok.length === 0) return { failed: true, error: failures[0]?.error, runs };
  return {
    openMs: spread(ok, 'openMs'),
    answerMs: spread(ok, 'answerMs'),
    closeMs: spread(ok, 'closeMs'),
    containersLeft: Math.max(...ok.map((r) => r.left)),
    // The raw attach client's engine calls, each a median (ms).
    steps:
      ok[0].steps === undefined
        ? undefined
        : Object.fromEntries(
            Object.keys(ok[0].steps).map((step) => [step, median(ok.map((r) => r.steps[step]))]),
          ),
    failedStarts: failures.length,
    firstFailure: failures[0]?.error,
    runs,
  };
}

/** `starts` counted starts of each variant, interleaved, after `warmup` starts each. */
export async function runStarts(setup, variants, { starts = DOCKER_STARTS.starts, log }) {
  const perVariant = Object.fromEntries(variants.map((v) => [v, []]));
  const { warmup } = DOCKER_STARTS;
  for (let i = 1; i <= warmup + starts; i += 1) {
    for (const variant of variants) {
      const r = await startOnce(variant, setup);
      if (i > warmup) perVariant[variant].push(r);
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
    variants: Object.fromEntries(variants.map((v) => [v, summarize(perVariant[v])])),
  };
}
