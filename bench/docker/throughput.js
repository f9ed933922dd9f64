// The Docker round trips: rounds of the variants interleaved (lib/rounds.js), each round a
// fresh client in this process measured by lib/driver.js measureRound (64 in flight, the 139 B
// echo call). The Docker variants also report the CPU per call of the engine's processes and of
// the docker CLI, metered from the server's first answer to the start of close: over the
// warm-up and the measured calls alike, as nothing else runs on the private engine meanwhile.

import { PARAMS } from '../lib/clients.js';
import { measureRound } from '../lib/driver.js';
import { runScenarios } from '../lib/rounds.js';
import { DOCKER_FACTORIES, ready } from './clients.js';
import { DOCKER_SCENARIOS } from './setup.js';

/** @import { Log, ModeResult, RoundResult, Scenario } from '../lib/types.js' */
/** @import { DockerSetup } from './setup.js' */

/**
 * One measured round of one variant (never throws; see lib/driver.js).
 * @param {string} variant
 * @param {Scenario} scenario
 * @param {DockerSetup} setup
 * @returns {Promise<RoundResult>}
 */
async function measureDockerRound(variant, scenario, setup) {
  /** @type {{ engineNs: number, cliNs: number } | undefined} */
  let dockerCpu;
  const factory = DOCKER_FACTORIES[variant];
  if (factory === undefined) return { failed: true, phase: 'create', error: `no Docker variant ${variant}` };
  const result = await measureRound(() => {
    const client = factory(setup);
    const open = client.start;
    const close = client.close;
    client.start = () => ready(client, variant, setup, PARAMS, open);
    client.close = () => {
      dockerCpu = client.dockerCpu?.();
      return close();
    };
    return client;
  }, scenario);
  if (!result.failed && dockerCpu !== undefined) {
    // The first answer (id 0), the warm-up and the measured calls.
    const calls = 1 + scenario.warmup + scenario.count;
    result.engineCpuUsPerCall = dockerCpu.engineNs / 1000 / calls;
    result.cliCpuUsPerCall = dockerCpu.cliNs / 1000 / calls;
  }
  return result;
}

/**
 * Runs the scenarios: rounds of `variants` interleaved (ours, sdk, raw, raw-attach, ours-stdio, ours, ...).
 * @param {DockerSetup} setup
 * @param {string[]} variants
 * @param {{ rounds?: number | undefined, count?: number | undefined, log: Log }} options
 * @returns {Promise<Record<string, ModeResult>>}
 */
export function runDockerRoundTrips(setup, variants, { rounds, count, log }) {
  return runScenarios({
    scenarios: DOCKER_SCENARIOS,
    variants,
    rounds,
    count,
    measure: (variant, scenario) => measureDockerRound(variant, scenario, setup),
    prefix: () => '  docker',
    describe: () => ({ isolation: 'one process, a fresh client and server per round' }),
    log,
  });
}
