// `npm run bench`: builds, then runs every section in turn: stdio (round trips, then a 12 MiB
// echo above the SDK's limit), decode, Streamable HTTP (round trips, growth over 100,000
// calls), WebSocket (round trips, growth, memory per idle connection), Docker (start to open,
// round trips; skipped with a notice where no engine can run), the reconnect spread of a
// supervised fleet (herd), and 1,000 connections in one process (scale); prints markdown
// tables and the targets; writes .bench-out/results.json and results.md.
// A benchmark, not a test: it asserts nothing and exits 0 whether targets are met or not.
//
// Each section lives in its own folder (bench/<section>/main.js) and runs alone from there, or
// by name here: `node --expose-gc bench/run.js websocket` (or any of the SECTIONS; several at
// once). Without a name, all of them run.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeSection } from './decode/main.js';
import { dockerSection } from './docker/main.js';
import { herdSection, scaleSection } from './fleet/main.js';
import { httpSection } from './http/main.js';
import { childPids } from './lib/children.js';
import { measuredText, metText } from './lib/report.js';
import { sourceRevision } from './lib/revision.js';
import { round, sleep } from './lib/stats.js';
import { stdioSection } from './stdio/main.js';
import { SCENARIOS } from './stdio/setup.js';
import { wsSection } from './websocket/main.js';

/** @import { Section, Target } from './lib/types.js' */

/** Every section, in the order they run. */
const SECTIONS = /** @type {Section<any>[]} */ ([
  stdioSection,
  decodeSection,
  httpSection,
  wsSection,
  dockerSection,
  herdSection,
  scaleSection,
]);
const names = SECTIONS.map((s) => s.name);
const picked = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = picked.filter((name) => !names.includes(name));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${names.join(', ')} (none: all)`);
  process.exit(2);
}
const chosen = SECTIONS.filter((s) => picked.length === 0 || picked.includes(s.name));

const OUT_DIR = fileURLToPath(new URL('../.bench-out/', import.meta.url));
const began = performance.now();
const log = (/** @type {string} */ line) => console.error(line); // progress on stderr, tables on stdout

const cpus = os.cpus();
const machine = {
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: cpus.length,
  cpuModel: cpus[0]?.model ?? 'unknown',
  totalMemGiB: round(os.totalmem() / 1024 ** 3, 1),
  exposeGc: typeof globalThis.gc === 'function',
  loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
  /** @type {number[]} */
  loadAvgAtEnd: [],
  ...sourceRevision(),
};
log(
  `mcp-lifeline bench: node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ` +
    `load average ${machine.loadAvgAtStart.join(' ')}${machine.exposeGc ? '' : ' (no --expose-gc)'}`,
);

/** @type {Record<string, unknown>} */
const results = {};
/** @type {Target[]} */
const targets = [];
/** @type {string[]} */
const tables = [];
for (const section of chosen) {
  log(section.intro);
  const result = await section.run({ log });
  results[section.name] = result;
  tables.push(...section.tables(result), '');
  targets.push(...section.targets(result));
}

machine.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
await sleep(200); // let exit events land
const leftover = childPids();
const totalSeconds = (performance.now() - began) / 1000;

// --- tables ---

/** @type {string[]} */
const lines = [];
const out = (line = '') => lines.push(line);
out('## mcp-lifeline benchmarks');
out();
out(
  `node ${machine.node} (V8 ${machine.v8}), ${machine.platform}, ${machine.cpus} CPUs (${machine.cpuModel}), ` +
    `${machine.totalMemGiB} GiB; commit ${machine.commit}${machine.srcDirty ? ' + uncommitted src changes' : ''}; load average ${machine.loadAvgAtStart.join(' ')} at start, ` +
    `${machine.loadAvgAtEnd.join(' ')} at end; total ${totalSeconds.toFixed(0)} s.`,
);
out();
for (const line of tables) out(line);
out('### Targets');
out();
out('| Target | Measured | Met |');
out('|---|---:|---|');
for (const t of targets) out(`| ${t.name} | ${measuredText(t)} | ${metText(t)} |`);
out();
out(
  `Child processes left after the run: ${leftover.length}${leftover.length ? ` (${leftover.join(', ')})` : ''}.`,
);

console.log(lines.join('\n'));

// --- machine-readable results ---

const json = {
  date: new Date().toISOString(),
  command: picked.length === 0 ? 'npm run bench' : `node --expose-gc bench/run.js ${picked.join(' ')}`,
  sections: chosen.map((s) => s.name),
  machine,
  totalSeconds,
  settings: { stdio: SCENARIOS },
  ...results,
  targets,
  childProcessesLeft: leftover,
};
mkdirSync(OUT_DIR, { recursive: true });
// The 9 MiB params would fill the file: their size stands in for them.
const replacer = (/** @type {string} */ key, /** @type {unknown} */ value) =>
  key === 'params' && typeof value === 'object' ? { bytes: JSON.stringify(value).length } : value;
writeFileSync(new URL('results.json', `file://${OUT_DIR}`), `${JSON.stringify(json, replacer, 2)}\n`);
writeFileSync(new URL('results.md', `file://${OUT_DIR}`), `${lines.join('\n')}\n`);
log(`results: .bench-out/results.json (and results.md), ${totalSeconds.toFixed(0)} s`);
