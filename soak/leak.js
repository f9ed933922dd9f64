// @ts-check
// The leak check: per transport, a baseline after a warm-up, then `cycles` connect/call/close
// cycles (createTransport + an SDK Client) and a tenth as many supervisor cycles (three servers
// each); then a forced GC, the event loop left to settle, and a count of what is held above the
// baseline: child processes, containers, file descriptors by kind, libuv handles by kind (and,
// through an async hook, the unref()'d ones too), listeners on the shared emitters. Every count
// must be 0; the heap delta is information. docs/reliability.md ("Leak check") has the details.
//
//   npm run build --silent && node soak/leak.js [--cycles N] [--supervisor-cycles N] [transport ...]
//
// transports: stdio http-2025 http-2026 sse ws (or websocket) docker (default: all). Exit code 1 on any leak,
// failed cycle or error. `npm run soak` runs it as its `leak` section (soak/run.js).

import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { releaseEngine } from './engine.js';
import { directCycle, SUPERVISOR_SERVERS, supervisorCycle } from './leak-cycles.js';
import {
  collectGarbage,
  excessOver,
  FD_KINDS,
  isClean,
  stopTrackingAsyncResources,
  takeSample,
  trackAsyncResources,
} from './leak-probe.js';
import { TARGETS } from './leak-targets.js';

/** Cycles per variant before the baseline: one-time work (imports, pools, exit hooks) happens here. */
const WARMUP_CYCLES = 5;
/** How long the process may take to give back what the cycles held (keep-alive pools time out in 5 s). */
const SETTLE_MS = 10_000;
/** How often the settling process is sampled. */
const SETTLE_POLL_MS = 250;
/** A run stops counting failed cycles past this many: the rest would fail the same way. */
const MAX_ERRORS = 10;

/**
 * @typedef {import('./leak-probe.js').Excess} Excess
 * @typedef {import('./leak-targets.js').PreparedTarget} PreparedTarget
 */

/**
 * One transport's result.
 * @typedef {object} LeakRow
 * @property {string} transport the id (`stdio`, `http-2025`, ...)
 * @property {string} label the name in the table
 * @property {number} cycles direct cycles run
 * @property {number} supervisorCycles supervisor cycles run (each with SUPERVISOR_SERVERS.length servers)
 * @property {number} errors cycles that failed
 * @property {string | undefined} firstError the first failure's message
 * @property {number} durationMs the cycles' wall time
 * @property {number} settleMs how long after the last cycle the counts took to reach the baseline (or gave up)
 * @property {Excess | undefined} excess what was held above the baseline; undefined when skipped or broken
 * @property {string | undefined} skipped why the transport did not run
 * @property {boolean} ok nothing above the baseline and no failed cycle (a skip is ok)
 */

/**
 * @typedef {object} LeakOptions
 * @property {number} [cycles] direct cycles per transport (default 1000)
 * @property {number} [supervisorCycles] supervisor cycles per transport (default cycles / 10, at least 1)
 * @property {readonly string[]} [transports] ids from TARGETS (default all)
 * @property {(line: string) => void} [log] progress lines (default console.log)
 */

/** The transport ids, in table order. */
export const LEAK_TRANSPORTS = TARGETS.map((target) => target.id);

/** The soak's names for the same transports (`node soak/run.js leak websocket`). */
const ALIASES = /** @type {Readonly<Record<string, string>>} */ ({ websocket: 'ws' });

/**
 * A sample after the garbage is collected, with the engine's container count taken first (the
 * question opens a socket, which must be closed again before descriptors are counted).
 * @param {PreparedTarget} target
 */
async function settledSample(target) {
  await collectGarbage();
  const containers = target.countContainers === undefined ? undefined : await target.countContainers();
  await collectGarbage();
  return takeSample(containers);
}

/**
 * Runs `count` cycles of one variant; failures are counted, the first one kept.
 * @param {number} count
 * @param {(index: number) => Promise<void>} cycle
 * @param {{ errors: number, firstError: string | undefined }} tally
 * @param {(done: number) => void} progress
 */
async function runCycles(count, cycle, tally, progress) {
  for (let index = 0; index < count && tally.errors < MAX_ERRORS; index += 1) {
    try {
      await cycle(index);
    } catch (error) {
      tally.errors += 1;
      tally.firstError ??= error instanceof Error ? error.message : String(error);
    }
    progress(index + 1);
  }
}

/**
 * One transport: warm-up, baseline, cycles, settle, count.
 * @param {import('./leak-targets.js').Target} spec
 * @param {PreparedTarget} target
 * @param {{ cycles: number, supervisorCycles: number, log: (line: string) => void }} options
 * @returns {Promise<LeakRow>}
 */
async function checkTarget(spec, target, { cycles, supervisorCycles, log }) {
  const tally = { errors: 0, firstError: /** @type {string | undefined} */ (undefined) };
  const id = spec.id;
  for (let index = 0; index < WARMUP_CYCLES; index += 1)
    await directCycle(target, `warm-${id}-${index}`, index === 0);
  await supervisorCycle(target, `warm-${id}-sup`, true);
  const baseline = await settledSample(target);
  const began = Date.now();
  const step = Math.max(1, Math.round(cycles / 10));
  await runCycles(
    cycles,
    (i) => directCycle(target, `leak-${id}-${i}`, false),
    tally,
    (done) => {
      if (done % step === 0 || done === cycles)
        log(
          `  ${id}: ${done}/${cycles} cycles, ${tally.errors} failed, ${((Date.now() - began) / 1000).toFixed(1)} s`,
        );
    },
  );
  const supStep = Math.max(1, Math.round(supervisorCycles / 4));
  await runCycles(
    supervisorCycles,
    (i) => supervisorCycle(target, `leak-${id}-sup${i}`, false),
    tally,
    (done) => {
      if (done % supStep === 0 || done === supervisorCycles)
        log(
          `  ${id}: ${done}/${supervisorCycles} supervisor cycles (${SUPERVISOR_SERVERS.length} servers each)`,
        );
    },
  );
  const durationMs = Date.now() - began;
  const settleBegan = Date.now();
  let excess = excessOver(baseline, await settledSample(target));
  // What was still held right after the cycles and then given back: information, not a leak.
  const transient = isClean(excess) ? [] : describeExcess({ ...emptyRow(spec, {}), excess });
  while (!isClean(excess) && Date.now() - settleBegan < SETTLE_MS) {
    await sleep(SETTLE_POLL_MS);
    excess = excessOver(baseline, await settledSample(target));
  }
  const settleMs = Date.now() - settleBegan;
  if (transient.length > 0 && isClean(excess))
    log(`  ${id}: held right after the cycles, given back within ${settleMs} ms: ${transient.join('; ')}`);
  return {
    transport: id,
    label: spec.label,
    cycles,
    supervisorCycles,
    errors: tally.errors,
    firstError: tally.firstError,
    durationMs,
    settleMs,
    excess,
    skipped: undefined,
    ok: tally.errors === 0 && isClean(excess),
  };
}

/**
 * A row for a transport that did not run: skipped (ok), or broken before its cycles (not ok).
 * @param {import('./leak-targets.js').Target} spec
 * @param {{ skipped?: string, error?: string }} why
 * @returns {LeakRow}
 */
function emptyRow(spec, why) {
  return {
    transport: spec.id,
    label: spec.label,
    cycles: 0,
    supervisorCycles: 0,
    errors: why.error === undefined ? 0 : 1,
    firstError: why.error,
    durationMs: 0,
    settleMs: 0,
    excess: undefined,
    skipped: why.skipped,
    ok: why.error === undefined,
  };
}

/**
 * Runs the leak check over the transports, one after another, each against its own baseline.
 * @param {LeakOptions} [options]
 * @returns {Promise<{ rows: LeakRow[], ok: boolean }>}
 */
export async function runLeakCheck({ cycles = 1000, supervisorCycles, transports, log = console.log } = {}) {
  const wanted =
    transports === undefined || transports.length === 0
      ? LEAK_TRANSPORTS
      : transports.map((name) => ALIASES[name] ?? name);
  const unknown = wanted.filter((id) => !LEAK_TRANSPORTS.includes(id));
  if (unknown.length > 0)
    throw new Error(`unknown transport ${unknown.join(', ')} (known: ${LEAK_TRANSPORTS.join(', ')})`);
  const supCycles = supervisorCycles ?? Math.max(1, Math.round(cycles / 10));
  /** @type {LeakRow[]} */
  const rows = [];
  trackAsyncResources();
  try {
    for (const spec of TARGETS.filter((target) => wanted.includes(target.id)))
      rows.push(await checkTransport(spec, { cycles, supervisorCycles: supCycles, log }));
  } finally {
    stopTrackingAsyncResources();
  }
  return { rows, ok: rows.every((row) => row.ok) };
}

/**
 * One transport, its server started and stopped around it; never throws.
 * @param {import('./leak-targets.js').Target} spec
 * @param {{ cycles: number, supervisorCycles: number, log: (line: string) => void }} options
 * @returns {Promise<LeakRow>}
 */
async function checkTransport(spec, options) {
  const { cycles, supervisorCycles, log } = options;
  const message = (/** @type {unknown} */ error) => (error instanceof Error ? error.message : String(error));
  log(`leak: ${spec.label}: ${cycles} cycles + ${supervisorCycles} supervisor cycles`);
  let target;
  try {
    target = await spec.prepare({ log });
  } catch (error) {
    log(`  ${spec.id}: could not start: ${message(error)}`);
    return emptyRow(spec, { error: `could not start: ${message(error)}` });
  }
  if ('skipped' in target) {
    log(`  ${spec.id}: skipped: ${target.skipped}`);
    return emptyRow(spec, { skipped: target.skipped });
  }
  log(`  server: ${target.server}`);
  try {
    const row = await checkTarget(spec, target, options);
    log(
      `  ${spec.id}: ${row.ok ? 'ok' : 'NOT OK'}, ${row.cycles} + ${row.supervisorCycles} cycles in ` +
        `${(row.durationMs / 1000).toFixed(1)} s, ${row.errors} failed`,
    );
    for (const line of describeExcess(row)) log(`  ${line}`);
    return row;
  } catch (error) {
    log(`  ${spec.id}: ${message(error)}`);
    return emptyRow(spec, { error: message(error) });
  } finally {
    await target.teardown();
  }
}

/**
 * @param {Record<string, number>} counts
 */
function formatCounts(counts) {
  const entries = Object.entries(counts);
  return entries.length === 0 ? '0' : entries.map(([key, count]) => `${key} +${count}`).join(', ');
}

/** @param {number} bytes */
function formatBytes(bytes) {
  const kib = bytes / 1024;
  return `${kib >= 0 ? '+' : '−'}${Math.abs(kib) >= 1024 ? `${(Math.abs(kib) / 1024).toFixed(1)} MiB` : `${Math.abs(kib).toFixed(0)} KiB`}`;
}

/**
 * What a row held above its baseline, one line per finding (empty when clean): which children,
 * which descriptors, which handles and listeners.
 * @param {LeakRow} row
 * @returns {string[]}
 */
export function describeExcess(row) {
  const excess = row.excess;
  /** @type {string[]} */
  const lines = [];
  if (row.firstError !== undefined)
    lines.push(`${row.transport}: ${row.errors} failed cycle(s), first: ${row.firstError}`);
  if (excess === undefined) return lines;
  for (const child of excess.children)
    lines.push(`${row.transport}: child pid ${child.pid} ${child.comm} state ${child.state}`);
  if ((excess.containers ?? 0) > 0)
    lines.push(`${row.transport}: ${excess.containers} container(s) of this process`);
  // Which descriptors are new only says something when there are more of them than before.
  const moreFds = FD_KINDS.some((kind) => excess.fds[kind] > 0);
  for (const info of moreFds ? excess.newFds.slice(0, 20) : [])
    lines.push(`${row.transport}: fd ${info.fd} -> ${info.target}`);
  if (Object.keys(excess.resources).length > 0)
    lines.push(`${row.transport}: handles ${formatCounts(excess.resources)}`);
  if (Object.keys(excess.asyncResources).length > 0)
    lines.push(`${row.transport}: async resources ${formatCounts(excess.asyncResources)}`);
  if (Object.keys(excess.listeners).length > 0)
    lines.push(`${row.transport}: listeners ${formatCounts(excess.listeners)}`);
  return lines;
}

/**
 * The rows as one markdown table: each count is what was held above the transport's baseline.
 * @param {readonly LeakRow[]} rows
 * @returns {string}
 */
export function formatLeakTable(rows) {
  const header = [
    "| Transport | Cycles (direct + supervisor×3) | Failed | Children | Containers | FDs socket / pipe / file / anon | Active handles | Async resources (unref'd too) | Listeners | Heap Δ | Settled in | Result |",
    '|---|---:|---:|---:|---:|---:|---|---|---|---:|---:|---|',
  ];
  const lines = rows.map((row) => {
    const excess = row.excess;
    if (excess === undefined) {
      const why = row.skipped === undefined ? `error: ${row.firstError ?? '?'}` : `skipped: ${row.skipped}`;
      return `| ${row.label} | – | ${row.errors} | – | – | – | – | – | – | – | – | ${why.replaceAll('|', '\\|')} |`;
    }
    const fds = FD_KINDS.map((kind) => excess.fds[kind]).join(' / ');
    const containers = excess.containers === undefined ? 'n/a' : String(excess.containers);
    const result = row.ok ? 'ok' : row.errors > 0 && isClean(excess) ? 'FAILED CYCLES' : 'LEAK';
    return (
      `| ${row.label} | ${row.cycles} + ${row.supervisorCycles} | ${row.errors} | ${excess.children.length} | ${containers} | ${fds} | ` +
      `${formatCounts(excess.resources)} | ${formatCounts(excess.asyncResources)} | ${formatCounts(excess.listeners)} | ` +
      `${formatBytes(excess.heapDelta)} | ` +
      `${(row.settleMs / 1000).toFixed(1)} s | ${result} |`
    );
  });
  return [...header, ...lines].join('\n');
}

/** The command line: `node soak/leak.js [--cycles N] [--supervisor-cycles N] [transport ...]`. */
async function main() {
  const { values, positionals } = parseArgs({
    options: { cycles: { type: 'string' }, 'supervisor-cycles': { type: 'string' } },
    allowPositionals: true,
  });
  const count = (/** @type {string | undefined} */ text, /** @type {string} */ flag) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${flag} wants a positive integer, got ${text}`);
    return value;
  };
  /** @type {LeakOptions} */
  const options = { transports: positionals };
  const cycles = count(values.cycles, '--cycles');
  const supervisorCycles = count(values['supervisor-cycles'], '--supervisor-cycles');
  if (cycles !== undefined) options.cycles = cycles;
  if (supervisorCycles !== undefined) options.supervisorCycles = supervisorCycles;
  const began = Date.now();
  const { rows, ok } = await runLeakCheck(options).finally(releaseEngine);
  console.log(`\n${formatLeakTable(rows)}\n`);
  console.log(
    `leak check ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - began) / 1000).toFixed(0)} s (node ${process.version})`,
  );
  return ok;
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Exit explicitly: a leaked handle must fail the check, not hold the process (and CI) open.
  main().then(
    (ok) => process.exit(ok ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
