// The HTTP round trips: per response mode, rounds of the variants interleaved (ours, sdk, raw,
// ours-transport, ours, ...), all in this process, each round a fresh client.

import { measureRound } from '../lib/driver.js';
import { runScenarios } from '../lib/rounds.js';
import { HTTP_FACTORIES } from './clients.js';
import { HTTP_SCENARIOS, HTTP_VARIANTS } from './setup.js';

/** @import { Log, ModeResult } from '../lib/types.js' */
/** @import { HttpEchoServer } from './setup.js' */

/**
 * @param {HttpEchoServer} server
 * @param {{ scenarios: ('json' | 'sse')[], rounds?: number | undefined, count?: number | undefined, log: Log }} options
 * @returns {Promise<Record<string, ModeResult>>}
 */
export function runHttpRoundTrips(server, { scenarios, rounds, count, log }) {
  return runScenarios({
    scenarios: Object.fromEntries(scenarios.map((key) => [key, HTTP_SCENARIOS[key]])),
    variants: HTTP_VARIANTS,
    rounds,
    count,
    measure: (variant, scenario) => {
      const factory = HTTP_FACTORIES[variant];
      if (factory === undefined) throw new Error(`no HTTP variant ${variant}`);
      return measureRound(() => factory(server, scenario.mode ?? 'json'), scenario);
    },
    prefix: (key) => `  http ${key}`,
    describe: (scenario) => (scenario.mode === undefined ? {} : { mode: scenario.mode }),
    log,
  });
}
