/**
 * What `createSupervisor()` checks before anything is spawned, and each server's configuration
 * as the fleet runs it: the supervisor's own keys, `defaults` (policy keys only), and every
 * server's configuration as `createTransport()` would check it. Every problem of every server
 * goes into one `ConfigError`.
 */

import { ConfigError } from '../errors.js';
import { nextRandom, randomSeed } from '../machines/policy.js';
import { checkNumber, describe } from '../runtime/options/common.js';
import { checkKeys, keysOf, POLICY_NAMES } from '../runtime/options/keys.js';
import { policyProblems, resolveConfig, type TransportConfig } from '../runtime/options/resolve.js';
import type { SupervisorConfig } from './types.js';

/**
 * The reconnect jitter of a supervised server that names none: ±50 % (one connection alone
 * defaults to ±20 %). Wide enough that a fleet's first retries after a shared backend's
 * restart spread over a whole initial delay, yet never earlier than half of it, so fewer early
 * attempts hit a backend still down than with full jitter; docs/benchmarks.md has the histograms.
 */
export const FLEET_JITTER = 0.5;

const SUPERVISOR_KEYS = keysOf<SupervisorConfig>({
  servers: true,
  defaults: true,
  inspect: true,
  logger: true,
  clock: true,
  seed: true,
  closeDeadlineMs: true,
  journal: true,
  control: true,
});

/** One server as the fleet runs it. */
export interface FleetServer {
  name: string;
  config: TransportConfig;
}

/**
 * Checks a supervisor's configuration and gives each server's configuration under the fleet.
 * Problems of a server start `server "name": `, as a config file's do.
 *
 * @throws {ConfigError} listing every problem of the supervisor and of every server.
 */
export function fleetServers(config: SupervisorConfig): FleetServer[] {
  if (!isPlainObject(config))
    throw new ConfigError([
      `expected a supervisor configuration object with servers, got ${describe(config)}`,
    ]);
  const problems: string[] = [];
  checkKeys(config, SUPERVISOR_KEYS, '', problems);
  checkNumber(problems, 'closeDeadlineMs', config.closeDeadlineMs, 0);
  let defaults: Record<string, unknown> = {};
  if (isPlainObject(config.defaults)) {
    const own = policyProblems(config.defaults, 'defaults');
    problems.push(...own);
    // Broken defaults are reported once here, not again under every server they would reach.
    if (own.length === 0) defaults = config.defaults;
  } else if (config.defaults !== undefined) {
    problems.push(
      `defaults: expected an object of ${POLICY_NAMES.join(', ')}, got ${describe(config.defaults)}`,
    );
  }

  const seeds = seedStream(config.seed);
  const built: FleetServer[] = [];
  const names = new Set<string>();
  for (const { name, server } of serverEntries(config.servers, problems)) {
    // Drawn in configuration order, one per entry: a server's seed depends on its place alone.
    const seed = seeds();
    const where = `server ${JSON.stringify(name)}`;
    if (names.has(name)) problems.push(`${where}: the name is used twice`);
    names.add(name);
    if (!isPlainObject(server)) {
      problems.push(`${where}: expected a configuration object, got ${describe(server)}`);
      continue;
    }
    const merged = fleetConfig(name, server as unknown as TransportConfig, config, defaults, seed);
    try {
      resolveConfig(merged);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.push(`${where}: ${problem}`);
    }
    built.push({ name, config: merged });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return built;
}

/** `{ name: config }` or `[{ name, config }]`, as a list; pushes a problem for anything else. */
function serverEntries(servers: unknown, problems: string[]): { name: string; server: unknown }[] {
  if (Array.isArray(servers)) {
    const entries: { name: string; server: unknown }[] = [];
    servers.forEach((entry: unknown, index) => {
      if (isPlainObject(entry) && typeof entry.name === 'string' && entry.name !== '')
        entries.push({ name: entry.name, server: entry.config });
      else problems.push(`servers[${index}]: expected { name, config } with a non-empty name`);
    });
    return entries;
  }
  if (isPlainObject(servers)) return Object.entries(servers).map(([name, server]) => ({ name, server }));
  problems.push(
    `servers: expected an object of configurations by name, or a list of { name, config }, got ${describe(servers)}`,
  );
  return [];
}

/** A stream of distinct seeds: derived from `seed` when given, random otherwise. */
function seedStream(seed: number | undefined): () => number {
  let state = seed ?? randomSeed();
  return () => {
    const [unit, next] = nextRandom(state);
    state = next;
    return Math.floor(unit * 0x7fffffff);
  };
}

/**
 * A server's configuration under the supervisor: the defaults under its own policy (key by
 * key), the fleet's jitter unless one of them names a jitter, the system's clock, logger, name and seed.
 */
function fleetConfig(
  name: string,
  server: TransportConfig,
  fleet: SupervisorConfig,
  defaults: Record<string, unknown>,
  seed: number,
): TransportConfig {
  const merged: TransportConfig = { ...server, name: server.name ?? name, seed: server.seed ?? seed };
  for (const key of POLICY_NAMES) {
    const own = server[key];
    const base = defaults[key];
    if (base === undefined) continue;
    // A server's key that holds undefined is absent: the default's value stands.
    (merged as unknown as Record<string, unknown>)[key] =
      isPlainObject(own) && isPlainObject(base)
        ? { ...base, ...Object.fromEntries(Object.entries(own).filter(([, value]) => value !== undefined)) }
        : (own ?? base);
  }
  // A reconnect that is not an object keeps its value, for resolveConfig to report.
  const reconnect: unknown = merged.reconnect;
  if (reconnect === undefined || (isPlainObject(reconnect) && reconnect.jitter === undefined))
    merged.reconnect = { ...reconnect, jitter: FLEET_JITTER };
  if (fleet.clock !== undefined) merged.clock = fleet.clock;
  if (fleet.logger !== undefined && server.logger === undefined) merged.logger = fleet.logger;
  if (fleet.journal !== undefined && server.journal === undefined) merged.journal = fleet.journal;
  if (fleet.control !== undefined && server.control === undefined) merged.control = fleet.control;
  delete merged.inspect; // the system's inspector sees every child
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
