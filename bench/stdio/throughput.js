// The stdio round trips: every scenario's rounds, the variants interleaved in each (ours, sdk,
// raw, ours, sdk, raw, ...), each round a fresh client and server (lib/driver.js measureRound).

import { measureRound } from '../lib/driver.js';
import { runScenarios } from '../lib/rounds.js';
import { FACTORIES } from './clients.js';
import { SCENARIOS, VARIANTS } from './setup.js';

/** @import { Log, ModeResult } from '../lib/types.js' */

/**
 * Runs the scenarios (by key, all by default); `rounds` overrides each scenario's.
 * @param {{ scenarios?: ('small' | 'large')[], rounds?: number | undefined, log: Log }} options
 * @returns {Promise<Record<string, ModeResult>>}
 */
export function runStdioRoundTrips({ scenarios = ['small', 'large'], rounds, log }) {
  return runScenarios({
    scenarios: Object.fromEntries(scenarios.map((key) => [key, SCENARIOS[key]])),
    variants: VARIANTS,
    rounds,
    measure: (variant, scenario) => {
      const factory = FACTORIES[variant];
      if (factory === undefined) throw new Error(`no stdio variant ${variant}`);
      return measureRound(factory, scenario);
    },
    prefix: (key) => `  stdio ${key}`,
    log,
  });
}
