// The Docker section of `npm run bench`: the Docker transport against the same server over
// plain stdio, all talking to bench/echo-server.mjs (in its stdio mode, in the test image,
// test/docker/image.ts, with that file added):
//
// 1. Start to open: the time from start() to open and to the first answer, and the time to
//    close, for ours over Docker, the SDK's StdioClientTransport running `docker run -i --rm`,
//    a raw `docker run -i --rm` child process, a raw attach client (dockerode create, attach,
//    start), and ours over plain stdio; after every close, the containers left are counted.
// 2. Round trips, 64 in flight: the same five variants, rounds interleaved; with the CPU per
//    call of the client, the docker CLI, the engine's processes and the server.
//
// No engine (not root, no dockerd, none answering): the section says why and is skipped. Without
// a `docker` CLI, the two variants that run it are left out.
//
// This file is the entry (bench/run.js imports it); the parts beside it: setup.js (settings,
// names, engine and image, CPU of the engine's processes), ts-hooks.js (loads the test suite's
// TypeScript helpers), clients.js, startup.js, throughput.js and report.js.
//
// Run alone: node --expose-gc bench/docker/main.js [--starts N] [--rounds N] [--count N]
//            [--skip starts,round-trips]
// (`node --expose-gc bench/run.js docker` runs it within the bench, after `npm run build`.)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PARAMS_BYTES, WINDOW } from '../lib/clients.js';
import { printTargets } from '../lib/report.js';
import { containersLeft } from './clients.js';
import { dockerTables, dockerTargets } from './report.js';
import {
  CLI_VARIANTS,
  DOCKER_SCENARIOS,
  DOCKER_STARTS,
  DOCKER_VARIANTS,
  ECHO_IN_IMAGE,
  prepareDocker,
} from './setup.js';
import { runStarts } from './startup.js';
import { runDockerRoundTrips } from './throughput.js';

/** @import { Log, ModeResult, Section } from '../lib/types.js' */
/** @import { DockerSetup } from './setup.js' */
/** @import { Starts } from './startup.js' */

/**
 * @typedef {{ skipped: string } | {
 *   skipped?: undefined, settings: object, variants: string[], window: number, paramsBytes: number,
 *   socketPath: string, engineVersion: string, startedHere: boolean, image: string, echoInImage: string,
 *   cli: DockerSetup['cli'], setupMs: number, starts?: Starts, modes?: Record<string, ModeResult>,
 *   containersLeftAtEnd?: number,
 * }} DockerResult
 */

/**
 * The whole Docker benchmark: the starts, then the round trips. `{ skipped }` without an engine;
 * never throws for a failing client (each failure is recorded where it happened).
 * @param {{ starts?: number | undefined, rounds?: number | undefined, count?: number | undefined, skip?: string[], log: Log }} options
 * @returns {Promise<DockerResult>}
 */
export async function runDocker({ starts, rounds, count, skip = [], log }) {
  const prepared = await prepareDocker({ log });
  if ('skipped' in prepared) {
    log(`  docker: SKIPPED, no engine: ${prepared.skipped}`);
    return { skipped: prepared.skipped };
  }
  const setup = prepared;
  const variants = DOCKER_VARIANTS.filter(
    (v) => setup.cli.version !== undefined || !CLI_VARIANTS.includes(v),
  );
  if (variants.length < DOCKER_VARIANTS.length)
    log(`  docker: ${setup.cli.missing}; leaving out ${CLI_VARIANTS.join(', ')}`);
  /** @type {DockerResult & { skipped?: undefined }} */
  const result = {
    settings: { starts: DOCKER_STARTS, scenarios: DOCKER_SCENARIOS, rounds, count },
    variants,
    window: WINDOW,
    paramsBytes: PARAMS_BYTES,
    socketPath: setup.engine.socketPath,
    engineVersion: setup.engineVersion,
    startedHere: setup.startedHere,
    image: setup.image,
    echoInImage: ECHO_IN_IMAGE,
    cli: setup.cli,
    setupMs: setup.setupMs,
  };
  try {
    if (!skip.includes('starts')) {
      log(`docker starts: ${variants.join(', ')}, interleaved ...`);
      result.starts = await runStarts(setup, variants, { starts, log });
    }
    if (!skip.includes('round-trips')) {
      log(`docker round trips: ${variants.join(', ')}, interleaved ...`);
      result.modes = await runDockerRoundTrips(setup, variants, { rounds, count, log });
    }
    // The variants left out fail in the tables, with the reason.
    const leftOut = {
      failed: /** @type {const} */ (true),
      phase: 'setup',
      error: setup.cli.missing,
      rounds: [],
    };
    for (const group of [result.starts, ...Object.values(result.modes ?? {})])
      for (const variant of DOCKER_VARIANTS) if (group !== undefined) group.variants[variant] ??= leftOut;
    result.containersLeftAtEnd = await containersLeft(setup);
  } finally {
    if (setup.startedHere) {
      log(`  docker: stopping the engine this run started (${setup.engine.socketPath}) ...`);
      await setup.engine.stop();
    }
  }
  return result;
}

/** @type {Section<DockerResult>} */
export const dockerSection = {
  name: 'docker',
  intro: 'Docker: start to open, then round trips (ours, SDK over docker run -i, raw, ours over stdio) ...',
  run: runDocker,
  tables: dockerTables,
  targets: dockerTargets,
};

async function main() {
  const { values } = parseArgs({
    options: {
      starts: { type: 'string' },
      rounds: { type: 'string' },
      count: { type: 'string' },
      skip: { type: 'string' },
    },
  });
  const number = (/** @type {string | undefined} */ text) => (text === undefined ? undefined : Number(text));
  const docker = await runDocker({
    starts: number(values.starts),
    rounds: number(values.rounds),
    count: number(values.count),
    skip: values.skip?.split(',') ?? [],
    log: (line) => console.error(line),
  });
  console.log(dockerTables(docker).join('\n'));
  console.log();
  printTargets(dockerTargets(docker));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
