// Formatting of the benchmark tables and targets (markdown), shared by bench/run.js and every
// section.

import { thousands } from './stats.js';

/** @import { ModeResult, Target, VariantSummary } from './types.js' */
/** @import { GrowthResult } from './growth.js' */

/** CPU µs per call for a table cell. */
export const cpuFigure = (/** @type {number} */ us) =>
  Number.isFinite(us) ? (us >= 100 ? us.toFixed(0) : us.toFixed(1)) : 'n/a';
/** Any text made safe for one table cell. */
export const cell = (/** @type {unknown} */ text) =>
  String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
/** KiB with one decimal, or n/a. */
export const kib = (/** @type {number | undefined} */ value) =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(1) : 'n/a';
/** A difference with its sign. */
export const signed = (/** @type {number} */ value, digits = 1) =>
  `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
/** a / b in calls/s, NaN when either failed (or is missing). */
export const throughputRatio = (
  /** @type {VariantSummary | undefined} */ a,
  /** @type {VariantSummary | undefined} */ b,
) =>
  a === undefined || b === undefined || a.failed || b.failed ? Number.NaN : a.callsPerSec / b.callsPerSec;

/**
 * Sets `met` on each target (a NaN or infinite ratio is never met); returns the targets.
 * @param {Target[]} targets
 */
export function settle(targets) {
  for (const t of targets)
    t.met = Number.isFinite(t.ratio) && (t.op === '>=' ? t.ratio >= t.bound : t.ratio <= t.bound);
  return targets;
}

/** The Measured and Met cells of a target. */
export const measuredText = (/** @type {Target} */ t) =>
  t.measured ?? (Number.isFinite(t.ratio) ? `${t.ratio.toFixed(2)}×` : 'n/a');
export const metText = (/** @type {Target} */ t) => (t.met ? 'met' : `NOT met${t.why ? ` (${t.why})` : ''}`);

/** Prints targets as a list (when a benchmark runs alone). */
export function printTargets(/** @type {Target[]} */ targets) {
  for (const t of targets) console.log(`- ${t.name}: ${measuredText(t)} ${metText(t)}`);
}

/**
 * The round-trip table of the HTTP, WebSocket and Docker benchmarks: one row per variant and
 * mode, `label(mode)` in the first column of each mode's first row.
 * @param {(line?: string) => void} out
 * @param {{
 *   heading: string, column: string, modes: Record<string, ModeResult>, variants: readonly string[],
 *   names: Record<string, string>, label: (mode: ModeResult) => string,
 * }} options
 */
export function roundTripTable(out, { heading, column, modes, variants, names, label }) {
  out(heading);
  out();
  out(
    `| ${column} | Variant | calls/s (median round) | range over rounds | p50 ms | p99 ms | vs SDK | vs raw | client CPU µs/call | server CPU µs/call |`,
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of Object.values(modes)) {
    const v = m.variants;
    for (const variant of variants) {
      const r = v[variant];
      if (r === undefined) continue;
      const first = variant === variants[0] ? label(m) : '';
      if (r.failed) {
        out(`| ${first} | ${names[variant]} | ERROR (${r.phase}): ${cell(r.error)} | | | | | | | |`);
        continue;
      }
      const vs = (/** @type {VariantSummary | undefined} */ other) =>
        other === undefined || other.failed ? 'n/a' : `${(r.callsPerSec / other.callsPerSec).toFixed(2)}×`;
      const note = r.failedRounds > 0 ? ` (${r.failedRounds} rounds failed: ${cell(r.firstFailure)})` : '';
      out(
        `| ${first} | ${names[variant]} | ${thousands(r.callsPerSec)}${note} | ` +
          `${thousands(r.minCallsPerSec)}–${thousands(r.maxCallsPerSec)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
          `${vs(v.sdk)} | ${vs(v.raw)} | ${cpuFigure(r.clientCpuUsPerCall)} | ${cpuFigure(r.serverCpuUsPerCall)} |`,
      );
    }
  }
  out();
}

/**
 * The growth targets of our transport (`g`, from runGrowth): no listener growth (the target
 * `listeners(g)` gives its name, ratio and measured figure), no heap growth beyond `heapSlackMiB` from the
 * first to the last checkpoint, no growth of active handles. One unmet target when it failed.
 * @template {Record<string, number>} C
 * @param {string} prefix
 * @param {GrowthResult<C>} g
 * @param {number} heapSlackMiB
 * @param {(g: GrowthResult<C>) => { name: string, ratio: number, measured: string }} listeners
 * @returns {Target[]}
 */
export function growthTargets(prefix, g, heapSlackMiB, listeners) {
  if (g.failed)
    return [
      {
        name: `${prefix}: no listener or heap growth over ${thousands(g.calls)} calls (ours)`,
        ratio: Number.NaN,
        op: '<=',
        bound: 0,
        why: `ours failed: ${cell(g.error)}`,
      },
    ];
  const heapGrowth = g.after.heapUsedMiB - g.first.heapUsedMiB;
  return [
    { ...listeners(g), op: '<=', bound: 0 },
    {
      name: `${prefix}: no heap growth over ${thousands(g.calls)} calls (ours; ${thousands(g.first.calls)} → ${thousands(g.after.calls)} calls, ≤ ${heapSlackMiB} MiB after GC)`,
      ratio: heapGrowth,
      op: '<=',
      bound: heapSlackMiB,
      measured: `${signed(heapGrowth, 2)} MiB`,
    },
    {
      name: `${prefix}: no growth of active handles over ${thousands(g.calls)} calls (ours)`,
      ratio: g.after.activeResources - g.before.activeResources,
      op: '<=',
      bound: 0,
      measured: `${g.before.activeResources} → ${g.after.activeResources}`,
    },
  ];
}
