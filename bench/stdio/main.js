// The stdio section of `npm run bench`: round trips of our transport, the SDK's
// StdioClientTransport and a raw child_process baseline against the one echo server (small
// and 9 MiB messages, rounds interleaved), then one 12 MiB echo above the SDK's limit.
// The parts: setup.js (settings, names), clients.js, throughput.js, large.js, report.js.
//
// Run alone: node --expose-gc bench/stdio/main.js [--rounds N]
// (or `node --expose-gc bench/run.js stdio`, after `npm run build`)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childPids } from '../lib/children.js';
import { printTargets } from '../lib/report.js';
import { sleep } from '../lib/stats.js';
import { runLargeCheck } from './large.js';
import { stdioTables, stdioTargets } from './report.js';
import { runStdioRoundTrips } from './throughput.js';

/** @import { Log, Section } from '../lib/types.js' */
/** @import { StdioResult } from './report.js' */

/**
 * The round trips, then the 12 MiB check.
 * @param {{ log: Log, rounds?: number | undefined }} options
 * @returns {Promise<StdioResult>}
 */
export async function runStdio({ log, rounds }) {
  const modes = await runStdioRoundTrips({ rounds, log });
  log('above 10 MiB: a 12 MiB echo ...');
  const large = await runLargeCheck({ log });
  return { modes, large };
}

/** @type {Section<StdioResult>} */
export const stdioSection = {
  name: 'stdio',
  intro: 'stdio round trips (ours, sdk, raw interleaved), then a 12 MiB echo ...',
  run: runStdio,
  tables: stdioTables,
  targets: stdioTargets,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  const log = (/** @type {string} */ line) => console.error(line);
  const stdio = await runStdio({
    log,
    rounds: values.rounds === undefined ? undefined : Number(values.rounds),
  });
  console.log(stdioTables(stdio).join('\n'));
  printTargets(stdioTargets(stdio));
  await sleep(100);
  console.log(`child processes left: ${childPids().length}`);
}
