/**
 * The `lifeline` block of a config file: our policy, kept beside `mcpServers` / `servers` so
 * hosts that validate server entries strictly never see it.
 *
 * ```json
 * "lifeline": {
 *   "defaults": { "reconnect": { "maxAttempts": 10 } },
 *   "servers": { "github": { "timeouts": { "connectMs": 60000 } } }
 * }
 * ```
 *
 * Unknown keys are problems, with a suggestion for a near miss (the check `createTransport()`
 * and `createSupervisor()` make too): a typo must not pass silently.
 */

import { resolve } from 'node:path';
import type { ControlOptions } from '../observe/control/options.js';
import type { JournalOptions } from '../observe/journal/options.js';
import { observability } from '../runtime/options/common.js';
import { checkKeys, POLICY_NAMES } from '../runtime/options/keys.js';
import { policyProblems } from '../runtime/options/resolve.js';
import type { ServerPolicy } from './types.js';
import { isObject, kind } from './values.js';

/** The `lifeline` block, checked. */
export interface LifelineBlock {
  defaults: ServerPolicy;
  /** Policy by server name. */
  servers: ReadonlyMap<string, ServerPolicy>;
  /** `lifeline.journal`, for every server (a relative `file` resolved against the base folder). */
  journal?: JournalOptions | false;
  /** `lifeline.control`, for every server. */
  control?: boolean | ControlOptions;
}

/**
 * Checks the `lifeline` block; pushes one problem per mistake.
 *
 * @param names every server name in the file (a disabled one included).
 * @param list the key holding the servers (`mcpServers` or `servers`), for messages.
 */
export function checkLifeline(
  value: unknown,
  names: readonly string[],
  list: string,
  problems: string[],
  baseDir: string = process.cwd(),
): LifelineBlock {
  const block: LifelineBlock = { defaults: {}, servers: new Map() };
  if (value === undefined) return block;
  if (!isObject(value)) {
    problems.push(`lifeline: expected an object with defaults and servers, got ${kind(value)}`);
    return block;
  }
  checkKeys(value, ['defaults', 'servers', 'journal', 'control'], 'lifeline', problems);
  readObservability(value, block, baseDir, problems);
  if (value.defaults !== undefined)
    block.defaults = checkPolicy(value.defaults, 'lifeline.defaults', problems);
  const servers = value.servers;
  if (servers === undefined) return block;
  if (!isObject(servers)) {
    problems.push(`lifeline.servers: expected an object of policies by server name, got ${kind(servers)}`);
    return block;
  }
  const map = new Map<string, ServerPolicy>();
  for (const [name, policy] of Object.entries(servers)) {
    const where = `lifeline.servers[${JSON.stringify(name)}]`;
    if (!names.includes(name)) {
      const known = names.length === 0 ? 'none' : names.join(', ');
      problems.push(`${where}: no server of that name in ${list} (it has: ${known})`);
    }
    map.set(name, checkPolicy(policy, where, problems));
  }
  block.servers = map;
  return block;
}

/** `lifeline.journal` and `lifeline.control`, checked as a transport checks them. */
function readObservability(
  value: Record<string, unknown>,
  block: LifelineBlock,
  baseDir: string,
  problems: string[],
): void {
  const { journal, control } = value as { journal?: unknown; control?: unknown };
  if (journal === undefined && control === undefined) return;
  const own: string[] = [];
  observability({ journal, control } as Parameters<typeof observability>[0], own);
  for (const problem of own) problems.push(`lifeline.${problem}`);
  if (own.length > 0) return;
  if (journal !== undefined) {
    const options = journal as JournalOptions | false;
    block.journal =
      options !== false && typeof options.file === 'string'
        ? { ...options, file: resolve(baseDir, options.file) }
        : options;
  }
  if (control !== undefined) block.control = control as boolean | ControlOptions;
}

/** Checks one policy object (`where` prefixes its problems); returns what it holds. */
function checkPolicy(value: unknown, where: string, problems: string[]): ServerPolicy {
  if (!isObject(value)) {
    problems.push(`${where}: expected an object of ${POLICY_NAMES.join(', ')}, got ${kind(value)}`);
    return {};
  }
  // JSON has no Infinity: "Infinity" spells the default of maxAttempts.
  const reconnect = value.reconnect;
  const policy =
    isObject(reconnect) && reconnect.maxAttempts === 'Infinity'
      ? { ...value, reconnect: { ...reconnect, maxAttempts: Infinity } }
      : value;
  problems.push(...policyProblems(policy, where));
  return policy as ServerPolicy;
}

/**
 * A server's policy over the defaults, one level deep: `reconnect.maxAttempts` from the
 * server, `reconnect.initialDelayMs` from the defaults.
 */
export function mergePolicy(defaults: ServerPolicy, server: ServerPolicy | undefined): ServerPolicy {
  const merged: Record<string, unknown> = {};
  for (const key of POLICY_NAMES) {
    const base = defaults[key];
    const own = server?.[key];
    if (base !== undefined || own !== undefined) merged[key] = { ...base, ...own };
  }
  return merged as ServerPolicy;
}
