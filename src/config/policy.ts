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
 * Unknown keys are problems: a typo must not pass silently.
 */

import type { HeartbeatPolicy, ReconnectPolicy, TimeoutPolicy } from '../machines/policy.js';
import {
  type CommonConfig,
  commonProblems,
  type LimitsPolicy,
  type QueuePolicy,
} from '../runtime/options.js';
import type { ServerPolicy } from './types.js';
import { isObject, kind } from './values.js';

/** Every policy key and its keys; typed so a key added to a policy must be added here. */
const POLICY_KEYS: { readonly [K in keyof ServerPolicy]-?: readonly string[] } = {
  reconnect: keysOf<ReconnectPolicy>({
    initialDelayMs: true,
    multiplier: true,
    jitter: true,
    maxDelayMs: true,
    maxAttempts: true,
  }),
  timeouts: keysOf<TimeoutPolicy>({ connectMs: true, closeMs: true, requestMs: true }),
  heartbeat: keysOf<HeartbeatPolicy>({ intervalMs: true, timeoutMs: true }),
  queue: keysOf<QueuePolicy>({ maxMessages: true, maxBytes: true }),
  limits: keysOf<LimitsPolicy>({ maxMessageBytes: true }),
};

/** The policy keys a server entry may not hold (they go in the `lifeline` block). */
export const POLICY_NAMES = Object.keys(POLICY_KEYS) as readonly (keyof ServerPolicy)[];

function keysOf<T>(keys: { readonly [K in keyof T]-?: true }): readonly string[] {
  return Object.keys(keys);
}

/** The `lifeline` block, checked. */
export interface LifelineBlock {
  defaults: ServerPolicy;
  /** Policy by server name. */
  servers: ReadonlyMap<string, ServerPolicy>;
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
): LifelineBlock {
  const block: LifelineBlock = { defaults: {}, servers: new Map() };
  if (value === undefined) return block;
  if (!isObject(value)) {
    problems.push(`lifeline: expected an object with defaults and servers, got ${kind(value)}`);
    return block;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'defaults' && key !== 'servers')
      problems.push(`lifeline.${key}: unknown key; expected defaults or servers`);
  }
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

/** Checks one policy object (`where` prefixes its problems); returns what it holds. */
function checkPolicy(value: unknown, where: string, problems: string[]): ServerPolicy {
  if (!isObject(value)) {
    problems.push(`${where}: expected an object of ${POLICY_NAMES.join(', ')}, got ${kind(value)}`);
    return {};
  }
  const policy: Record<string, unknown> = {};
  for (const [key, part] of Object.entries(value)) {
    const known = Object.hasOwn(POLICY_KEYS, key) ? POLICY_KEYS[key as keyof ServerPolicy] : undefined;
    if (known === undefined) {
      problems.push(`${where}.${key}: unknown key; expected one of ${POLICY_NAMES.join(', ')}`);
      continue;
    }
    if (!isObject(part)) {
      policy[key] = part; // commonProblems names what was expected
      continue;
    }
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(part)) {
      if (!known.includes(name))
        problems.push(`${where}.${key}.${name}: unknown key; expected one of ${known.join(', ')}`);
      // JSON has no Infinity: "Infinity" spells the default of maxAttempts.
      else
        copy[name] = key === 'reconnect' && name === 'maxAttempts' && item === 'Infinity' ? Infinity : item;
    }
    policy[key] = copy;
  }
  for (const problem of commonProblems(policy as CommonConfig)) problems.push(`${where}.${problem}`);
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
