// Interleaved rounds of the round-trip benchmarks (every transport): every variant measured
// once per round, in turn, each round logged; the median round of each variant with the spread.

import { PARAMS, WINDOW } from './clients.js';
import { median } from './stats.js';

/** @import { Log, ModeResult, RoundMeasured, RoundResult, Scenario, VariantSummary } from './types.js' */

/**
 * The median round of a variant (by calls/s), with the spread over rounds; or its failure.
 * @param {RoundResult[]} runs
 * @returns {VariantSummary}
 */
export function summarizeRounds(runs) {
  const ok = /** @type {RoundMeasured[]} */ (runs.filter((r) => !r.failed));
  const failures = runs.filter((r) => r.failed === true);
  const first = ok[0];
  if (first === undefined)
    return { failed: true, error: failures[0]?.error, phase: failures[0]?.phase, rounds: runs };
  const mid = median(ok.map((r) => r.callsPerSec));
  const chosen = ok.reduce(
    (a, b) => (Math.abs(b.callsPerSec - mid) < Math.abs(a.callsPerSec - mid) ? b : a),
    first,
  );
  return {
    callsPerSec: mid,
    p50Ms: chosen.p50Ms,
    p99Ms: chosen.p99Ms,
    minCallsPerSec: Math.min(...ok.map((r) => r.callsPerSec)),
    maxCallsPerSec: Math.max(...ok.map((r) => r.callsPerSec)),
    clientCpuUsPerCall: median(ok.map((r) => r.clientCpuUsPerCall)),
    serverCpuUsPerCall: median(ok.map((r) => r.serverCpuUsPerCall)),
    errors: ok.reduce((n, r) => n + r.errors + r.transportErrors, 0),
    failedRounds: failures.length,
    firstFailure: failures[0]?.error,
    rounds: runs,
  };
}

/**
 * The progress line of one round.
 * @param {string} what
 * @param {RoundResult} result
 */
function roundLine(what, result) {
  return result.failed
    ? `${what}: FAILED in ${result.phase}: ${result.error}`
    : `${what}: ${result.callsPerSec.toFixed(0)} calls/s, ` +
        `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, CPU/call client ` +
        `${result.clientCpuUsPerCall.toFixed(1)} µs, server ${result.serverCpuUsPerCall.toFixed(1)} µs` +
        (result.transportErrors ? `, ${result.transportErrors} transport errors` : '');
}

/**
 * Runs the scenarios: in each, `rounds` rounds of the variants interleaved (a, b, c, a, b, c,
 * ...), each round measured by `measure(variant, scenario)`. `count` and `rounds`, when given,
 * override the scenario's. `prefix(key)` starts each progress line; `describe(scenario)` adds
 * fields to the summary.
 * @param {{
 *   scenarios: Record<string, Scenario>,
 *   variants: readonly string[],
 *   rounds?: number | undefined,
 *   count?: number | undefined,
 *   measure: (variant: string, scenario: Scenario) => Promise<RoundResult>,
 *   prefix: (key: string) => string,
 *   describe?: (scenario: Scenario) => { mode?: string, isolation?: string },
 *   log: Log,
 * }} options
 * @returns {Promise<Record<string, ModeResult>>}
 */
export async function runScenarios({ scenarios, variants, rounds, count, measure, prefix, describe, log }) {
  /** @type {Record<string, ModeResult>} */
  const out = {};
  for (const [key, settings] of Object.entries(scenarios)) {
    const scenario = { ...settings };
    if (count !== undefined) scenario.count = count;
    const roundCount = rounds ?? scenario.rounds;
    /** @type {Record<string, RoundResult[]>} */
    const perVariant = Object.fromEntries(variants.map((v) => [v, []]));
    for (let r = 1; r <= roundCount; r += 1) {
      for (const variant of variants) {
        const result = await measure(variant, scenario);
        perVariant[variant]?.push(result);
        log(roundLine(`${prefix(key)} round ${r} ${variant.padEnd(14)}`, result));
      }
    }
    out[key] = {
      label: scenario.label,
      ...describe?.(scenario),
      paramsBytes: JSON.stringify(scenario.params ?? PARAMS).length,
      warmup: scenario.warmup,
      count: scenario.count,
      window: scenario.window ?? WINDOW,
      rounds: roundCount,
      variants: Object.fromEntries(variants.map((v) => [v, summarizeRounds(perVariant[v] ?? [])])),
    };
  }
  return out;
}
