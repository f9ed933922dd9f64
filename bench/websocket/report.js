// The WebSocket benchmark's targets and markdown tables (used by bench/run.js and the entry).

import { cell, growthTargets, kib, roundTripTable, settle, signed, throughputRatio } from '../lib/report.js';
import { thousands } from '../lib/stats.js';
import { WS_MEMORY, WS_MEMORY_NAMES, WS_VARIANT_NAMES, WS_VARIANTS } from './setup.js';

/** @import { Target } from '../lib/types.js' */
/** @import { GrowthResult } from '../lib/growth.js' */
/** @import { WsCounters } from './growth.js' */
/** @import { KindSummary, WsMemory } from './memory.js' */
/** @import { WsResult } from './main.js' */
/** @typedef {(line?: string) => void} Out */

/**
 * The WebSocket targets: ours ≥ 0.8× the bare ws loop (in the SDK Client, and the transport
 * alone), at most 16 KiB more per idle connection than a bare ws client, no growth over
 * 100,000 calls.
 * @param {WsResult} ws
 * @returns {Target[]}
 */
export function wsTargets(ws) {
  /** @type {Target[]} */
  const targets = [];
  for (const m of Object.values(ws.modes ?? {})) {
    const v = m.variants;
    for (const [variant, how] of /** @type {const} */ ([
      ['ours', 'in SDK Client'],
      ['ours-transport', 'transport alone'],
    ])) {
      targets.push({
        name: `WebSocket: ours (${how}) ≥ 0.8× raw ws throughput`,
        ratio: throughputRatio(v[variant], v.raw),
        op: '>=',
        bound: 0.8,
        why: v[variant]?.failed ? `failed: ${cell(v[variant]?.error)}` : undefined,
      });
    }
  }
  if (ws.memory !== undefined) {
    const { ours, raw } = ws.memory.kinds;
    const extra =
      ours === undefined || raw === undefined || ours.failed || raw.failed
        ? Number.NaN
        : ours.perConnectionKiB.sum - raw.perConnectionKiB.sum;
    const failed = !Number.isFinite(extra);
    targets.push({
      name: `WebSocket: ours ≤ raw ws + ${WS_MEMORY.maxExtraKiB} KiB per idle connection (heapUsed + external + arrayBuffers, ${thousands(ws.memory.connections)} open)`,
      ratio: extra,
      op: '<=',
      bound: WS_MEMORY.maxExtraKiB,
      measured: failed ? 'n/a' : `${signed(extra)} KiB`,
      why: failed ? `failed: ${cell((ours?.failed && ours.error) || (raw?.failed && raw.error))}` : undefined,
    });
  }
  if (ws.growth !== undefined)
    targets.push(
      ...growthTargets('WebSocket', ws.growth.ours, ws.growth.heapSlackMiB, (g) => ({
        name: `WebSocket: no listener growth over ${thousands(g.calls)} calls (ours; on its WebSocket and net.Socket, and abort listeners)`,
        ratio:
          g.after.socketListeners +
          g.after.abortListeners -
          g.before.socketListeners -
          g.before.abortListeners,
        measured: `${g.before.socketListeners} + ${g.before.abortListeners} → ${g.after.socketListeners} + ${g.after.abortListeners}`,
      })),
    );
  return settle(targets);
}

/**
 * @param {WsResult & { modes: NonNullable<WsResult['modes']> }} ws
 * @param {Out} out
 */
function roundTripLines(ws, out) {
  const isolation = Object.values(ws.modes)[0]?.isolation;
  roundTripTable(out, {
    heading: '### Round trips over WebSocket (echo server on ws, separate process)',
    column: 'Frames',
    modes: ws.modes,
    variants: WS_VARIANTS,
    names: WS_VARIANT_NAMES,
    label: (m) =>
      `${m.label}, ${m.window} in flight, ${thousands(m.count)} calls after ${thousands(m.warmup)} warm-up, ${m.rounds} rounds, ${m.isolation}`,
  });
  out(
    `Each call: \`client.callTool({name: 'echo', arguments: {text}})\` (${ws.paramsBytes} B params) through the v1 SDK ` +
      '`Client` for ours and the SDK; the raw loop sends the same JSON-RPC text on a bare `ws` socket and parses ' +
      `the answer itself. The SDK transport runs on ${ws.sdkWebSocket}. Latency per call from the median round ` +
      '(nearest-rank percentiles). CPU µs/call: user+system time of the client process and of the echo server over ' +
      'the measured calls, median over rounds. ' +
      (isolation === 'one process'
        ? 'All rounds ran in this one process, as in the HTTP benchmark.'
        : 'Each round ran in a fresh child process (one client per process, as an application runs it); the ' +
          'variants in one process tune the JIT for each other (see docs/benchmarks.md).'),
  );
  out();
}

/**
 * @param {{ ours: GrowthResult<WsCounters>, sdk: GrowthResult<WsCounters> }} growth
 * @param {Out} out
 */
function growthLines(growth, out) {
  out('### WebSocket: listeners and heap over many calls');
  out();
  out(
    '| Client | Calls | Listeners on its WebSocket + net.Socket | Abort listeners left | Heap used after GC (MiB) | Active resources | calls/s | Warnings |',
  );
  out('|---|---:|---|---|---|---|---:|---|');
  for (const [name, g] of /** @type {const} */ ([
    ['ours', growth.ours],
    ['SDK', growth.sdk],
  ])) {
    if (g.failed) {
      out(`| ${name} | ${thousands(g.calls)} | ERROR: ${cell(g.error)} | | | | | |`);
      continue;
    }
    const path =
      g.checkpoints.length > 1
        ? `; every ${thousands(g.first.calls)} calls: ${g.checkpoints.map((c) => c.heapUsedMiB.toFixed(1)).join(' → ')}`
        : ` → ${g.after.heapUsedMiB.toFixed(1)} after the calls`;
    out(
      `| ${name} | ${thousands(g.calls)} | ${g.before.socketListeners} after warm-up → ${g.after.socketListeners} at the end | ` +
        `${g.before.abortListeners} → ${g.after.abortListeners} | ${g.before.heapUsedMiB.toFixed(1)} after warm-up${path} | ` +
        `${g.before.activeResources} → ${g.after.activeResources} | ${thousands(g.callsPerSec)} | ` +
        `${g.warnings.length ? cell(g.warnings.join('; ')) : 'none'} |`,
    );
  }
  out();
  out(
    'Listeners: every listener on the `ws` WebSocket object and on its `net.Socket` (WebSockets remembered weakly ' +
      'via `WebSocket.prototype.setSocket` during the check). Abort listeners: on live AbortSignals that gained one ' +
      'during the check. Both after a full GC. Active resources: `process.getActiveResourcesInfo().length`.',
  );
  out();
}

/**
 * A table with a row per idle-connection kind: `first(kind)`, then the cells `row(k)` gives, or
 * the text `failed(k)` gives for a kind that failed (no row without `failed`).
 * @typedef {Exclude<KindSummary, { failed: true }>} KindMeasured
 * @param {Out} out
 * @param {string} header
 * @param {Record<string, KindSummary>} kinds
 * @param {{ first: (kind: string) => string | undefined, row: (k: KindMeasured) => string[], failed?: (k: Extract<KindSummary, { failed: true }>) => string }} cells
 */
function kindTable(out, header, kinds, { first, row, failed }) {
  out(header);
  out(
    `|---|${header
      .split(' | ')
      .slice(1)
      .map(() => '---:|')
      .join('')}`,
  );
  for (const kind of WS_MEMORY.kinds) {
    const k = kinds[kind];
    if (k === undefined) continue;
    if (k.failed) {
      if (failed !== undefined) out(`| ${first(kind)} | ${failed(k)} |`);
      continue;
    }
    out(`| ${first(kind)} | ${row(k).join(' | ')} |`);
  }
  out();
}

/**
 * @param {WsMemory} mem
 * @param {Out} out
 */
function memoryLines(mem, out) {
  const raw = mem.kinds.raw;
  const rawKiB = raw === undefined || raw.failed ? undefined : raw;
  const vsRaw = (/** @type {number} */ value, /** @type {number | undefined} */ rawValue) =>
    rawValue === undefined ? 'n/a' : signed(value - rawValue);
  out(
    `### WebSocket: memory per idle connection (${thousands(mem.connections)} open at once, each kind in a fresh child process)`,
  );
  out();
  kindTable(
    out,
    '| Client | heapUsed KiB/conn | external | arrayBuffers | heapUsed + external + arrayBuffers | vs raw | range over rounds | rss KiB/conn | rss vs raw | open all (ms) |',
    mem.kinds,
    {
      first: (kind) => WS_MEMORY_NAMES[kind],
      failed: (k) => `ERROR: ${cell(k.error)}${' |'.repeat(8)}`,
      row: ({ perConnectionKiB: p, ...k }) => [
        kib(p.heapUsed),
        kib(p.external),
        kib(p.arrayBuffers),
        kib(p.sum),
        vsRaw(p.sum, rawKiB?.perConnectionKiB.sum),
        `${kib(k.minSum)}–${kib(k.maxSum)}`,
        kib(p.rss),
        vsRaw(p.rss, rawKiB?.perConnectionKiB.rss),
        thousands(k.openMs),
      ],
    },
  );
  if (mem.holdMs > 0) {
    out(`After ${thousands(mem.holdMs)} ms idle (the heartbeat's first probe included), same children:`);
    out();
    kindTable(
      out,
      '| Client | heapUsed + external + arrayBuffers KiB/conn | vs raw | rss KiB/conn | pings at the server |',
      mem.kinds,
      {
        first: (kind) => kind,
        row: ({ heldPerConnectionKiB: h, ...k }) => [
          kib(h?.sum),
          h === undefined ? 'n/a' : vsRaw(h.sum, rawKiB?.heldPerConnectionKiB?.sum),
          kib(h?.rss),
          thousands(k.serverPingsWhileOpen),
        ],
      },
    );
  }
  const resources = (/** @type {string} */ kind) => {
    const k = mem.kinds[kind];
    return k === undefined || k.failed
      ? 'n/a'
      : Object.entries(k.resourcesAfter)
          .map(([name, n]) => `${n} ${name}`)
          .join(', ');
  };
  const ours = mem.kinds.ours;
  const oursKiB = ours === undefined || ours.failed ? undefined : ours;
  out(
    `Per connection: (reading with all ${thousands(mem.connections)} open − baseline) ÷ ${thousands(mem.connections)}, ` +
      `median over ${mem.rounds} child processes per kind (interleaved). Each child warms up with ` +
      `${WS_MEMORY.warmupConnections} connections opened and closed, runs full GCs (\`global.gc()\`), reads ` +
      '`process.memoryUsage()`, opens the connections ' +
      `${WS_MEMORY.batch} at a time, waits ${WS_MEMORY.settleMs} ms, runs full GCs and reads again. Node counts ` +
      '`arrayBuffers` inside `external` as well, so the sum counts Buffer memory twice (as the issue defines it); ' +
      `heapUsed + external alone: raw ${kib(rawKiB?.perConnectionKiB.heapUsedPlusExternal)}, ours ` +
      `${kib(oursKiB?.perConnectionKiB.heapUsedPlusExternal)} KiB. The server (another process) saw ` +
      `${oursKiB?.serverOpen ?? 'n/a'} of ours open at the reading. Active resources with all open: raw ` +
      `${resources('raw')}; ours ${resources('ours')}.`,
  );
}

/**
 * The markdown tables of the WebSocket benchmark, as lines.
 * @param {WsResult} ws
 */
export function wsTables(ws) {
  /** @type {string[]} */
  const lines = [];
  const out = (line = '') => lines.push(line);
  if (ws.modes !== undefined) roundTripLines({ ...ws, modes: ws.modes }, out);
  if (ws.growth !== undefined) growthLines(ws.growth, out);
  if (ws.memory !== undefined) memoryLines(ws.memory, out);
  return lines;
}
