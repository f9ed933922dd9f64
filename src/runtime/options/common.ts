/**
 * The options every transport type shares (`reconnect`, `timeouts`, `heartbeat`, `queue`,
 * `limits`, `name`, `logger`): their defaults and their checks, and the small checking helpers
 * the per-transport resolvers use too.
 */

import { DEFAULT_MAX_MESSAGE_BYTES } from '../../codec/ndjson.js';
import { type ConnectionPolicy, DEFAULT_POLICY } from '../../machines/policy.js';
import { resolveControl } from '../../observe/control/options.js';
import { resolveJournal } from '../../observe/journal/options.js';
import {
  CONTROL_KEYS,
  checkKeys,
  JOURNAL_KEYS,
  POLICY_KEYS,
  POLICY_NAMES,
  type PolicyConfig,
} from './keys.js';
import type { CommonConfig, LimitsPolicy, QueuePolicy, ResolvedConfig } from './types.js';

export const DEFAULT_QUEUE: QueuePolicy = { maxMessages: 1000, maxBytes: 16 * 1024 * 1024 };
export const DEFAULT_LIMITS: LimitsPolicy = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES };

type Problems = string[];

export function checkNumber(
  problems: Problems,
  key: string,
  value: unknown,
  min: number,
  allowInfinity = false,
): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (allowInfinity || Number.isFinite(value));
  if (!ok)
    problems.push(
      `${key}: expected a number >= ${min}${allowInfinity ? ' (or Infinity)' : ''}, got ${describe(value)}`,
    );
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}

export function checkObject(
  problems: Problems,
  key: string,
  value: unknown,
): value is Record<string, unknown> | undefined {
  if (value === undefined) return true;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
  problems.push(`${key}: expected an object, got ${describe(value)}`);
  return false;
}

/** {@link checkObject}, then the object's keys against the policy object's own. */
function checkPolicyObject(
  problems: Problems,
  key: keyof PolicyConfig,
  value: unknown,
): value is Record<string, unknown> | undefined {
  if (!checkObject(problems, key, value)) return false;
  if (value !== undefined) checkKeys(value, POLICY_KEYS[key], key, problems);
  return true;
}

/**
 * The keys that hold a value: `{ maxAttempts: undefined }` means the default, as an absent key
 * does, instead of overwriting the default with undefined.
 */
function defined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

function resolvePolicy(config: CommonConfig, problems: Problems): ConnectionPolicy {
  const reconnect = config.reconnect ?? {};
  const timeouts = config.timeouts ?? {};
  const heartbeat = config.heartbeat ?? {};
  if (checkPolicyObject(problems, 'reconnect', config.reconnect)) {
    checkNumber(problems, 'reconnect.initialDelayMs', reconnect.initialDelayMs, 0);
    checkNumber(problems, 'reconnect.multiplier', reconnect.multiplier, 1);
    checkNumber(problems, 'reconnect.maxDelayMs', reconnect.maxDelayMs, 0);
    checkNumber(problems, 'reconnect.maxAttempts', reconnect.maxAttempts, 0, true);
    const jitter = reconnect.jitter;
    if (
      jitter !== undefined &&
      jitter !== 'full' &&
      !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)
    ) {
      problems.push(`reconnect.jitter: expected a number from 0 to 1 or "full", got ${describe(jitter)}`);
    }
  }
  if (checkPolicyObject(problems, 'timeouts', config.timeouts)) {
    checkNumber(problems, 'timeouts.connectMs', timeouts.connectMs, 1);
    checkNumber(problems, 'timeouts.closeMs', timeouts.closeMs, 0);
    checkNumber(problems, 'timeouts.requestMs', timeouts.requestMs, 1);
  }
  if (checkPolicyObject(problems, 'heartbeat', config.heartbeat)) {
    checkNumber(problems, 'heartbeat.intervalMs', heartbeat.intervalMs, 0);
    checkNumber(problems, 'heartbeat.timeoutMs', heartbeat.timeoutMs, 1);
  }
  const resolvedTimeouts: ConnectionPolicy['timeouts'] = {
    connectMs: timeouts.connectMs ?? DEFAULT_POLICY.timeouts.connectMs,
    closeMs: timeouts.closeMs ?? DEFAULT_POLICY.timeouts.closeMs,
  };
  if (timeouts.requestMs !== undefined) resolvedTimeouts.requestMs = timeouts.requestMs;
  return {
    reconnect: { ...DEFAULT_POLICY.reconnect, ...defined(reconnect) },
    timeouts: resolvedTimeouts,
    heartbeat: { ...DEFAULT_POLICY.heartbeat, ...defined(heartbeat) },
  };
}

/**
 * The problems of a policy object on its own (a supervisor's `defaults`, a file's
 * `lifeline.defaults`): keys other than {@link POLICY_NAMES} at its top, then the keys and
 * values of each policy object as {@link resolveCommon} checks them, each line starting with
 * `where.`.
 */
export function policyProblems(value: Readonly<Record<string, unknown>>, where: string): string[] {
  const problems: Problems = [];
  checkKeys(value, POLICY_NAMES, where, problems, { nested: POLICY_KEYS });
  const policy = Object.fromEntries(
    Object.entries(value).filter(([key]) => (POLICY_NAMES as readonly string[]).includes(key)),
  );
  const own: Problems = [];
  resolveCommon(policy as CommonConfig, own);
  for (const problem of own) problems.push(`${where}.${problem}`);
  return problems;
}

/** The options every transport type shares. */
export function resolveCommon(
  config: CommonConfig,
  problems: Problems,
): Pick<ResolvedConfig, 'policy' | 'queue' | 'limits' | 'journal' | 'control'> {
  const policy = resolvePolicy(config, problems);
  if (checkPolicyObject(problems, 'queue', config.queue)) {
    checkNumber(problems, 'queue.maxMessages', config.queue?.maxMessages, 0);
    checkNumber(problems, 'queue.maxBytes', config.queue?.maxBytes, 0);
  }
  if (checkPolicyObject(problems, 'limits', config.limits)) {
    checkNumber(problems, 'limits.maxMessageBytes', config.limits?.maxMessageBytes, 1);
  }
  if (config.name !== undefined && (typeof config.name !== 'string' || config.name.length === 0))
    problems.push(`name: expected a non-empty string, got ${describe(config.name)}`);
  if (config.logger !== undefined) {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      if (typeof config.logger?.[level] !== 'function') problems.push(`logger.${level}: expected a function`);
    }
  }
  return {
    policy,
    queue: { ...DEFAULT_QUEUE, ...defined(config.queue) },
    limits: { ...DEFAULT_LIMITS, ...defined(config.limits) },
    ...observability(config, problems),
  };
}

/** `journal` and `control`, checked (their keys through the one typo check). */
export function observability(
  config: Pick<CommonConfig, 'journal' | 'control'>,
  problems: Problems,
): Pick<ResolvedConfig, 'journal' | 'control'> {
  const { journal, control } = config;
  if (typeof journal === 'object' && journal !== null && !Array.isArray(journal))
    checkKeys(journal, JOURNAL_KEYS, 'journal', problems);
  if (typeof control === 'object' && control !== null && !Array.isArray(control))
    checkKeys(control, CONTROL_KEYS, 'control', problems);
  return { journal: resolveJournal(journal, problems), control: resolveControl(control, problems) };
}
