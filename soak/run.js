// @ts-check
// `npm run soak` (builds, then runs this against the built package):
//
//   node soak/run.js [transport ...] [--seconds N] [--seed S] [--json FILE] [--no-anchor]
//   node soak/run.js leak [transport ...] [--cycles N] [--json FILE]
//
// Transports: stdio, http, http-tcp-proxy, http-nginx, sse, websocket, docker (none named: all). For each,
// 8 callers send a steady stream of `echo` calls through one SDK Client over our transport for N seconds
// (default 30) while faults are injected at random (seeded) times; then the same through the official
// SDK transport, the anchor row beside ours. One markdown table goes to stdout, progress to stderr.
// Exit code 1 when a row of ours has a hung or wrong call, an unrecovered fault or a failure beyond the
// calls in flight at a fault (the anchor rows never fail the run), or a transport could not run where it
// must (CI set: nginx or a Docker engine missing); 2 for bad arguments. A transport that cannot run
// elsewhere is skipped with its reason, in the table and on stderr.
// `leak` runs the leak check of soak/leak.js instead (when that file is there); `soak leak` runs both.
// Ctrl-C ends the run early: no more faults, the calls still out are waited for, the table printed
// (exit code 130).

import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describeRevision } from '../bench/lib/revision.js';
import { releaseEngine } from './engine.js';
import { formatSoakTable } from './table.js';
import { openTarget, TRANSPORTS } from './targets.js';
import { collectWarnings, errorText, takeWarnings } from './util.js';
import { runVariant } from './variant.js';

const USAGE =
  'usage: node soak/run.js [soak] [leak] [transport ...] [--seconds N] [--seed S] [--json FILE] [--no-anchor] [--cycles N]\n' +
  `soak transports: ${TRANSPORTS.join(', ')} (none named: all); the leak check names its own (see soak/leak.js)`;

/** @typedef {import('./targets.js').TransportName} TransportName */

/** @param {string[]} argv */
function parseArgs(argv) {
  const options = {
    /** @type {TransportName[]} */ transports: [],
    /** The transport names as given (the leak check has names of its own). @type {string[]} */ names: [],
    sections: new Set(),
    seconds: 30,
    seed: Math.floor(Math.random() * 2 ** 31),
    /** @type {string | undefined} */ json: undefined,
    anchor: true,
    cycles: 1000,
  };
  const number = (/** @type {string} */ flag, /** @type {string | undefined} */ value, min = 1) => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min)
      fail(`${flag} needs a whole number >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = /** @type {string} */ (argv[i]);
    if (arg === '--seconds') options.seconds = number(arg, argv[++i]);
    else if (arg === '--seed') options.seed = number(arg, argv[++i], 0);
    else if (arg === '--cycles') options.cycles = number(arg, argv[++i]);
    else if (arg === '--json') options.json = argv[++i] ?? fail('--json needs a file');
    else if (arg === '--no-anchor') options.anchor = false;
    else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === 'soak' || arg === 'leak') options.sections.add(arg);
    else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else options.names.push(arg);
  }
  if (options.sections.size === 0) options.sections.add('soak');
  if (options.sections.has('soak')) {
    const known = /** @type {readonly string[]} */ (TRANSPORTS);
    const unknown = options.names.filter((name) => !known.includes(name));
    if (unknown.length > 0) fail(`unknown transport ${unknown.join(', ')}`);
  }
  options.transports = /** @type {TransportName[]} */ (
    options.names.length > 0 ? options.names : [...TRANSPORTS]
  );
  return options;
}

/**
 * True where a transport that cannot run is an error, not a skip: under CI (as the test suite treats a
 * missing Docker engine there), or with LIFELINE_REQUIRE_DOCKER=1 for Docker.
 * @param {TransportName} name
 */
function mustRun(name) {
  const ci = process.env.CI;
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return true;
  return name === 'docker' && process.env.LIFELINE_REQUIRE_DOCKER === '1';
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
const log = (/** @type {string} */ line) => console.error(line);
collectWarnings(log);
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log('interrupted: no more faults; finishing the calls still out (Ctrl-C again to quit at once)');
});

const machine = `node ${process.version}, ${os.cpus().length} CPUs, load average ${os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')}, commit ${describeRevision()}`;
/** @type {Record<string, unknown>} */
const report = {
  command: `node soak/run.js ${process.argv.slice(2).join(' ')}`.trim(),
  machine,
  seed: options.seed,
};
let ok = true;

if (options.sections.has('soak')) {
  log(`soak: ${options.seconds} s of faults per transport, seed ${options.seed}; ${machine}`);
  /** @type {import('./variant.js').Row[]} */
  const rows = [];
  /** @type {import('./table.js').Skipped[]} */
  const skipped = [];
  /** @type {string[]} */
  const details = [];
  for (const name of options.transports) {
    if (interrupted) break;
    log(`${name}: starting`);
    /** @type {import('./targets.js').Opened} */
    let target;
    try {
      target = await openTarget(name, { log });
    } catch (error) {
      ok = false;
      skipped.push({ transport: name, skipped: `could not start: ${errorText(error)}` });
      continue;
    }
    if ('skipped' in target) {
      const required = mustRun(name);
      if (required) ok = false;
      const reason = `${target.skipped}${required ? ' (an error here: CI is set, or LIFELINE_REQUIRE_DOCKER=1)' : ''}`;
      log(`${name}: skipped: ${reason}`);
      skipped.push({ transport: name, skipped: reason });
      continue;
    }
    if (target.detail !== undefined) details.push(`${name}: ${target.detail}`);
    const variants = /** @type {Array<'ours' | 'sdk'>} */ (['ours']);
    if (options.anchor && target.sdk !== undefined) variants.push('sdk');
    else if (options.anchor) details.push(`${name}: no SDK anchor: ${target.sdkSkipped ?? 'none'}`);
    for (const client of variants) {
      if (interrupted) break;
      log(`${name}: ${client === 'ours' ? 'mcp-lifeline' : `SDK ${target.sdkName}`} ...`);
      const stopped = () => interrupted;
      const row = await runVariant({
        target,
        client,
        seconds: options.seconds,
        seed: options.seed,
        log,
        stopped,
      });
      if (interrupted) row.notes.push('cut short by Ctrl-C: not every fault kind may have been injected');
      log(
        `  ${row.calls} calls, ${row.failed} failed (${row.failedBeyond} beyond in flight), ${row.hung} hung, ` +
          `${row.wrong} wrong, ${row.recovered}/${row.faultCount} faults recovered`,
      );
      rows.push(row);
      if (client === 'ours' && !row.ok) ok = false;
    }
    await target.close();
  }
  const lines = formatSoakTable(rows, skipped, details);
  console.log(`## Soak: ${options.seconds} s per transport, seed ${options.seed}\n\n${machine}.\n`);
  console.log(lines.join('\n'));
  report.soak = { seconds: options.seconds, rows, skipped, details };
}

if (options.sections.has('leak')) {
  const leakFile = new URL('./leak.js', import.meta.url);
  if (!existsSync(fileURLToPath(leakFile))) {
    console.error('leak: soak/leak.js is not there, so there is no leak check to run');
    ok = false;
    report.leak = { missing: true };
  } else {
    const leak =
      /** @type {{ runLeakCheck: (o: { cycles: number, transports: string[], log: (line: string) => void }) => Promise<{ rows: unknown[], ok: boolean }>, formatLeakTable: (rows: unknown[]) => string | string[] }} */ (
        await import(leakFile.href)
      );
    log(`leak: ${options.cycles} connect/close cycles per transport ...`);
    // The leak check has transport names of its own: those given are passed as they are (none: all).
    const result = await leak.runLeakCheck({ cycles: options.cycles, transports: options.names, log });
    console.log(`\n## Leak check: ${options.cycles} cycles per transport\n`);
    const table = leak.formatLeakTable(result.rows);
    console.log(Array.isArray(table) ? table.join('\n') : table);
    report.leak = result;
    if (!result.ok) ok = false;
    const warned = takeWarnings();
    if (warned.length > 0)
      console.log(`\n${warned.map((line) => `- warning during the leak check: ${line}`).join('\n')}`);
  }
}

// The soak's Docker target and the leak check share one engine: stopped here if this run started it.
await releaseEngine();
if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
// An interrupted run proves nothing either way.
process.exitCode = interrupted ? 130 : ok ? 0 : 1;
