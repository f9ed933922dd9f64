// The WebSocket round trips: rounds of the variants interleaved, each round in a fresh child
// process (the entry run with `--round-child <variant>`) or, with --in-process, all here.

import { spawn } from 'node:child_process';
import { withChild } from '../lib/children.js';
import { measureRound } from '../lib/driver.js';
import { runScenarios } from '../lib/rounds.js';
import { errorText, withTimeout } from '../lib/stats.js';
import { factoryOf } from './clients.js';
import { ENTRY, WS_SCENARIOS, WS_VARIANTS } from './setup.js';

/** @import { Log, ModeResult, RoundResult, Scenario } from '../lib/types.js' */
/** @typedef {{ url: string, pid: number | undefined }} Server */

/**
 * One measured round of one variant in this process (never throws; see lib/driver.js).
 * @param {string} variant
 * @param {Scenario} scenario
 * @param {Server} server
 */
const measureRoundHere = (variant, scenario, server) =>
  measureRound(() => factoryOf(variant)(server), scenario);

/**
 * One measured round of one variant in a fresh child process (`--round-child`), against the
 * shared echo server. In one process the variants' rounds tune the JIT for each other: after a
 * round of the bare ws loop, ours in the SDK Client costs 14–16 µs of CPU per call instead of
 * 11 µs (docs/benchmarks.md). A child per round measures each client as an application runs it.
 */
/**
 * @param {string} variant
 * @param {Scenario} scenario
 * @param {Server} server
 * @returns {Promise<RoundResult>}
 */
async function measureRoundInChild(variant, scenario, server) {
  const args = [
    '--expose-gc',
    ENTRY,
    '--round-child',
    variant,
    '--url',
    server.url,
    '--server-pid',
    String(server.pid ?? ''),
    '--warmup',
    String(scenario.warmup),
    '--count',
    String(scenario.count),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const what = `round child (${variant})`;
  try {
    return await withChild(child, what, async ({ lines, exited }) => {
      const line = await withTimeout(lines.next(/^ROUND /), scenario.timeoutMs * 2, what);
      await withTimeout(exited, 10_000, `${what} exit`);
      return JSON.parse(line.slice(6));
    });
  } catch (error) {
    return { failed: true, phase: 'child', error: errorText(error) };
  }
}

/**
 * The child's side of measureRoundInChild: one round, `ROUND <json>` on stdout, exit.
 * @param {{ variant: string, url: string, serverPid: number | undefined, warmup: number, count: number }} options
 */
export async function roundChild({ variant, url, serverPid, warmup, count }) {
  const scenario = { ...WS_SCENARIOS.text, warmup, count };
  const result = await measureRoundHere(variant, scenario, { url, pid: serverPid });
  process.stdout.write(`ROUND ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/**
 * Runs the scenarios: rounds of the variants interleaved (ours, sdk, raw, ours-transport, ours, ...).
 * @param {Server} server
 * @param {{ rounds?: number | undefined, count?: number | undefined, inProcess: boolean, log: Log }} options
 * @returns {Promise<Record<string, ModeResult>>}
 */
export function runRoundTrips(server, { rounds, count, inProcess, log }) {
  const measure = inProcess ? measureRoundHere : measureRoundInChild;
  return runScenarios({
    scenarios: WS_SCENARIOS,
    variants: WS_VARIANTS,
    rounds,
    count,
    measure: (variant, scenario) => measure(variant, scenario, server),
    prefix: () => '  ws',
    describe: () => ({ isolation: inProcess ? 'one process' : 'a child process per round' }),
    log,
  });
}
