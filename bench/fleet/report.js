// The fleet benchmarks' targets and markdown tables: the reconnect spread of four jitter
// policies (`herd`), and 1,000 connections in one process (`scale`).

import { cell, kib, settle, signed } from '../lib/report.js';
import { thousands } from '../lib/stats.js';
import { SCALE, SCALE_NAMES } from './setup.js';

/** @import { Target } from '../lib/types.js' */
/** @import { HerdResult } from './herd.js' */
/** @import { ScaleResult, ScaleRun } from './scale.js' */

/**
 * Markdown: the summary per variant, then the histogram windows side by side.
 * @param {HerdResult} herd
 */
export function herdTables(herd) {
  /** @type {string[]} */
  const lines = [];
  const { results, windowMs } = herd;
  const r0 = results[0];
  if (r0 === undefined) return lines;
  lines.push(
    `### Reconnect spread: ${r0.servers} connections, one shared backend killed and back after ${r0.downMs} ms`,
    '',
    '| Reconnect jitter | attempts | first retries | busiest 100 ms window | windows holding first retries | all links down after | all open again after |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    lines.push(
      `| ${r.variant} | ${r.attempts} | ${r.firstRetries} | ${r.busiestWindow} | ${r.windowsUsedByFirstRetries} | ` +
        `${r.noticedMs.toFixed(0)} ms | ${r.recoveredMs.toFixed(0)} ms |`,
    );
  }
  lines.push(
    '',
    `Attempts per ${windowMs} ms window after the cut (initialDelayMs ${r0.initialDelayMs}):`,
    '',
  );
  lines.push(`| window (ms) | ${results.map((r) => r.variant).join(' | ')} |`);
  lines.push(`|---|${results.map(() => '---:').join('|')}|`);
  const length = Math.max(...results.map((r) => r.histogram.length));
  for (let w = 0; w < length; w += 1) {
    const counts = results.map((r) => r.histogram[w] ?? 0);
    if (counts.every((n) => n === 0)) continue;
    const bar = (/** @type {number} */ n) => (n === 0 ? '' : `${n} ${'▇'.repeat(Math.ceil(n / 4))}`);
    lines.push(`| ${w * windowMs}–${(w + 1) * windowMs} | ${counts.map(bar).join(' | ')} |`);
  }
  return lines;
}

/**
 * The supervisor default spreads the herd: no 100 ms window holds a quarter of it, and its first
 * retries fill 8 windows or more.
 * @param {HerdResult} herd
 * @returns {Target[]}
 */
export function herdTargets(herd) {
  const fleet = herd.results[0];
  if (fleet === undefined) return [];
  return settle([
    {
      name: `Reconnect spread: busiest 100 ms window ≤ 25 % of ${fleet.servers} supervised connections`,
      ratio: fleet.busiestWindow / fleet.servers,
      op: '<=',
      bound: 0.25,
      measured: `${fleet.busiestWindow} of ${fleet.servers}`,
    },
    {
      name: 'Reconnect spread: first retries over ≥ 8 windows of 100 ms',
      ratio: fleet.windowsUsedByFirstRetries,
      op: '>=',
      bound: 8,
      measured: String(fleet.windowsUsedByFirstRetries),
    },
  ]);
}

const PHASES = ['open', 'idle', 'down', 'recovery'];

/** A kind's run, or undefined when it failed. */
const ran = (/** @type {ScaleResult} */ scale, /** @type {string} */ kind) => {
  const run = scale.kinds[kind];
  return run === undefined || 'failed' in run ? undefined : run;
};

/** The worst p99 of the event-loop delay over a run's phases (ms). */
const worstP99 = (/** @type {ScaleRun} */ run) =>
  Math.max(...PHASES.map((p) => run.delay[p]?.p99Ms ?? Number.NEGATIVE_INFINITY));

/**
 * The scale targets: every supervised connection opens; at most 16 KiB more per idle connection
 * than a bare socket; after the backend's restart every one is open again, no 100 ms window
 * holds more than 10 % of the attempts, and the event-loop delay p99 stays under 50 ms in every
 * phase.
 * @param {ScaleResult} scale
 * @returns {Target[]}
 */
export function scaleTargets(scale) {
  const raw = ran(scale, 'raw');
  const sup = ran(scale, 'supervised');
  const failure = Object.values(scale.kinds).find((k) => 'failed' in k);
  const why =
    failure !== undefined && 'failed' in failure
      ? `${failure.kind} failed: ${cell(failure.error)}`
      : undefined;
  const n = scale.connections;
  const extra =
    raw === undefined || sup === undefined ? Number.NaN : sup.perConnectionKiB.sum - raw.perConnectionKiB.sum;
  const r = sup?.recovery;
  const share = r === undefined || r.attempts === 0 ? Number.NaN : r.busiestWindow / r.attempts;
  const worst = sup === undefined ? Number.NaN : worstP99(sup);
  return settle([
    {
      name: `Scale: ${thousands(n)} supervised connections in one process all reach open`,
      ratio: sup === undefined ? Number.NaN : sup.serverOpen,
      op: '>=',
      bound: n,
      measured: sup === undefined ? 'n/a' : `${thousands(sup.serverOpen)} of ${thousands(n)}`,
      why,
    },
    {
      name: `Scale: ≤ bare socket + ${SCALE.maxExtraKiB} KiB per idle supervised connection (heapUsed + external + arrayBuffers, ${thousands(n)} open)`,
      ratio: extra,
      op: '<=',
      bound: SCALE.maxExtraKiB,
      measured: Number.isFinite(extra) ? `${signed(extra)} KiB` : 'n/a',
      why,
    },
    {
      name: `Scale: all ${thousands(n)} open again after the shared backend restarts`,
      ratio: r === undefined ? Number.NaN : r.openAtEnd,
      op: '>=',
      bound: n,
      measured:
        r === undefined
          ? 'n/a'
          : `${thousands(r.openAtEnd)} of ${thousands(n)} in ${thousands(r.recoveredMs ?? Number.NaN)} ms`,
      why,
    },
    {
      name: `Scale: attempts spread, no ${scale.windowMs} ms window with more than ${SCALE.maxWindowShare * 100} % of them`,
      ratio: share,
      op: '<=',
      bound: SCALE.maxWindowShare,
      measured:
        r === undefined ? 'n/a' : `${r.busiestWindow} of ${r.attempts} (${(share * 100).toFixed(1)} %)`,
      why,
    },
    {
      name: `Scale: event-loop delay p99 < ${SCALE.maxDelayP99Ms} ms throughout (the worst of open, idle, down, recovery)`,
      ratio: worst,
      op: '<=',
      bound: SCALE.maxDelayP99Ms,
      measured: Number.isFinite(worst) ? `${worst.toFixed(1)} ms` : 'n/a',
      why,
    },
  ]);
}

/**
 * The markdown tables of the scale check, as lines.
 * @param {ScaleResult} scale
 */
export function scaleTables(scale) {
  /** @type {string[]} */
  const lines = [];
  const out = (line = '') => lines.push(line);
  const n = thousands(scale.connections);
  out(
    `### ${n} connections in one process: one shared WebSocket backend, killed and back after ${scale.downMs} ms (each kind in a fresh child process)`,
  );
  out();
  out(
    '| Connections | open all at once (ms) | heapUsed + external + arrayBuffers KiB/conn | vs bare sockets | rss KiB/conn | event-loop delay p99 ms: open / idle / down / recovery | all phases p99 / max ms | all open again after the restart | attempts | busiest 100 ms window |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const raw = ran(scale, 'raw');
  for (const kind of SCALE.kinds) {
    const run = scale.kinds[kind];
    if (run === undefined) continue;
    if ('failed' in run) {
      out(`| ${SCALE_NAMES[kind]} | ERROR: ${cell(run.error)} | | | | | | | | |`);
      continue;
    }
    const p = run.perConnectionKiB;
    const delays = PHASES.map((name) => {
      const d = run.delay[name];
      return d === undefined ? '–' : d.p99Ms.toFixed(1);
    }).join(' / ');
    const all = run.delay.all;
    const r = run.recovery;
    out(
      `| ${SCALE_NAMES[kind]} | ${thousands(run.openMs)} | ${kib(p.sum)} | ${raw === undefined ? 'n/a' : signed(p.sum - raw.perConnectionKiB.sum)} | ` +
        `${kib(p.rss)} | ${delays} | ${all === undefined ? 'n/a' : `${all.p99Ms.toFixed(1)} / ${all.maxMs.toFixed(0)}`} | ` +
        `${r === undefined ? 'n/a (bare sockets do not reconnect)' : `${thousands(r.openAtEnd)} of ${n} after ${thousands(r.recoveredMs ?? Number.NaN)} ms`} | ` +
        `${r === undefined ? '' : thousands(r.attempts)} | ` +
        `${r === undefined ? '' : `${r.busiestWindow} (${((100 * r.busiestWindow) / Math.max(1, r.attempts)).toFixed(1)} % of attempts)`} |`,
    );
  }
  out();
  const sup = ran(scale, 'supervised');
  const r = sup?.recovery;
  if (r !== undefined) {
    const windows = r.histogram.flatMap((count, w) => (count > 0 ? [`${w * scale.windowMs}: ${count}`] : []));
    const downAfter = (/** @type {ScaleRun | undefined} */ run) =>
      run?.down?.allDownMs === undefined ? 'never all at once' : `${thousands(run.down.allDownMs)} ms`;
    out(
      `Supervised fleet, attempts per ${scale.windowMs} ms window after the kill (window start ms: attempts): ${windows.join(', ')}. ` +
        `Every link was down ${downAfter(sup)} after the kill (bare sockets: ${downAfter(raw)}); the ` +
        `backend was back ${thousands(r.restartedMs)} ms after it.`,
    );
    out();
  }
  out(
    `Each kind runs in a fresh child process that opens all ${n} connections at once (bare \`ws\` sockets, or one ` +
      `\`createSupervisor()\` with a server per connection and the default policy, then \`start()\`), stays idle ` +
      `${thousands(scale.idleMs)} ms, and reads its memory after full GCs (\`global.gc()\`, the baseline read after ` +
      `${SCALE.warmupConnections} connections opened and closed); per connection: (reading − baseline) ÷ ${n}. ` +
      `Event-loop delay: \`perf_hooks.monitorEventLoopDelay({ resolution: ${SCALE.resolutionMs} })\` per phase (open: ` +
      'from the first connection to all open; idle; down: the kill to the restart, the bare sockets closing too; ' +
      "recovery: the restart to all open again), paused while the GCs of the memory reading run; Node counts each sample's whole interval, so an idle " +
      `loop reads about ${SCALE.resolutionMs} ms. An attempt is an entry into \`connecting\` (\`supervisor.subscribe()\`).`,
  );
  return lines;
}
