// The HTTP benchmark's targets and markdown tables.

import { cell, growthTargets, roundTripTable, settle, throughputRatio } from '../lib/report.js';
import { thousands } from '../lib/stats.js';
import { GROWTH, HTTP_VARIANT_NAMES, HTTP_VARIANTS } from './setup.js';

/** @import { Target } from '../lib/types.js' */
/** @import { HttpResult } from './main.js' */

/**
 * The HTTP targets: ≥ 3× the SDK, ≥ 0.7× the bare loop, no growth after 100,000 calls.
 * @param {HttpResult} http
 * @returns {Target[]}
 */
export function httpTargets(http) {
  /** @type {Target[]} */
  const targets = [];
  for (const m of Object.values(http.modes)) {
    const v = m.variants;
    const why = v.ours?.failed ? `ours failed: ${cell(v.ours.error)}` : undefined;
    targets.push(
      {
        name: `HTTP ${m.label}: ours ≥ 3× SDK throughput`,
        ratio: throughputRatio(v.ours, v.sdk),
        op: '>=',
        bound: 3,
        why,
      },
      {
        name: `HTTP ${m.label}: ours ≥ 0.7× raw throughput`,
        ratio: throughputRatio(v.ours, v.raw),
        op: '>=',
        bound: 0.7,
        why,
      },
    );
  }
  targets.push(
    ...growthTargets('HTTP', http.growth.ours, http.growth.heapSlackMiB, (g) => ({
      name: `HTTP: no abort-listener growth over ${thousands(g.calls)} calls (ours; listeners left at the end)`,
      ratio: g.after.listeners - g.before.listeners,
      measured: `${g.before.listeners} → ${g.after.listeners}`,
    })),
  );
  return settle(targets);
}

/**
 * The markdown tables of the HTTP benchmark, as lines.
 * @param {HttpResult} http
 */
export function httpTables(http) {
  /** @type {string[]} */
  const lines = [];
  const out = (line = '') => lines.push(line);
  roundTripTable(out, {
    heading: '### Round trips over Streamable HTTP (echo server on node:http, separate process)',
    column: 'Responses',
    modes: http.modes,
    variants: HTTP_VARIANTS,
    names: HTTP_VARIANT_NAMES,
    label: (m) =>
      `${m.label}, ${m.window} in flight, ${thousands(m.count)} calls after ${thousands(m.warmup)} warm-up, ${m.rounds} rounds`,
  });
  out(
    `Each call: \`client.callTool({name: 'echo', arguments: {text}})\` (${http.paramsBytes} B params) through the v1 SDK ` +
      '`Client` for ours and the SDK; the raw loop POSTs the same JSON-RPC body with the same headers and parses ' +
      'the answer itself. Latency per call from the median round (nearest-rank percentiles). CPU µs/call: ' +
      'user+system time of this process and of the echo server over the measured calls, median over rounds.',
  );
  out();
  out('### Streamable HTTP: listeners and heap over many calls (JSON responses)');
  out();
  out(
    '| Client | Calls | Abort listeners left | Heap used after GC (MiB) | Active resources | calls/s | Warnings |',
  );
  out('|---|---:|---|---|---|---:|---|');
  const g = http.growth.ours;
  if (g.failed) {
    out(`| ours | ${thousands(g.calls)} | ERROR: ${cell(g.error)} | | | | |`);
  } else {
    const path = g.checkpoints.map((c) => c.heapUsedMiB.toFixed(1)).join(' → ');
    out(
      `| ours | ${thousands(g.calls)} | ${g.before.listeners} after warm-up → ${g.after.listeners} at the end ` +
        `(${thousands(g.after.addCalls)} added, ${thousands(g.after.removeCalls)} removed) | ` +
        `${g.before.heapUsedMiB.toFixed(1)} after warm-up; every ${thousands(GROWTH.ours.checkpointEvery)} calls: ${path} | ` +
        `${g.before.activeResources} → ${g.after.activeResources} | ${thousands(g.callsPerSec)} | ${g.warnings.length ? cell(g.warnings.join('; ')) : 'none'} |`,
    );
  }
  const s = http.growth.sdk;
  if (s.failed) {
    out(`| SDK | ${thousands(s.calls)} | ERROR: ${cell(s.error)} | | | | |`);
  } else {
    const warned = [...new Set(s.warnings.map((w) => w.split(':')[0]))];
    out(
      `| SDK | ${thousands(s.calls)} | ${s.sharedSignalListeners} on its shared AbortSignal right after the calls ` +
        `(${s.after.sharedSignalListeners} after a full GC) | ${s.before.heapUsedMiB.toFixed(1)} → ${s.after.heapUsedMiB.toFixed(1)} | ` +
        `${s.before.activeResources} → ${s.after.activeResources} | ${thousands(s.callsPerSec)} | ` +
        `${warned.length ? `${s.warnings.length}× ${warned.join(', ')}` : 'none'} |`,
    );
  }
  out();
  out(
    'Abort listeners left: listeners still attached to live AbortSignals (AbortSignal.prototype.addEventListener ' +
      'instrumented during the check; signals held weakly; counted after a full GC). Active resources: ' +
      '`process.getActiveResourcesInfo().length`. The SDK figure is ' +
      '`getEventListeners(transport._abortController.signal, "abort").length`.',
  );
  return lines;
}
