/**
 * The options every transport type shares (`reconnect`, `timeouts`, `heartbeat`, `queue`,
 * `limits`, `name`, `logger`): their defaults and their checks, and the small checking helpers
 * the per-transport resolvers use too.
 */

import { DEFAULT_MAX_MESSAGE_BYTES } from '../codec/ndjson.js';
import { type ConnectionPolicy, DEFAULT_POLICY } from '../machines/policy.js';
import type { CommonConfig, LimitsPolicy, QueuePolicy, ResolvedConfig } from './options.js';

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

function resolvePolicy(config: CommonConfig, problems: Problems): ConnectionPolicy {
  const reconnect = config.reconnect ?? {};
  const timeouts = config.timeouts ?? {};
  const heartbeat = config.heartbeat ?? {};
  if (checkObject(problems, 'reconnect', config.reconnect)) {
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
  if (checkObject(problems, 'timeouts', config.timeouts)) {
    checkNumber(problems, 'timeouts.connectMs', timeouts.connectMs, 1);
    checkNumber(problems, 'timeouts.closeMs', timeouts.closeMs, 0);
    checkNumber(problems, 'timeouts.requestMs', timeouts.requestMs, 1);
  }
  if (checkObject(problems, 'heartbeat', config.heartbeat)) {
    checkNumber(problems, 'heartbeat.intervalMs', heartbeat.intervalMs, 0);
    checkNumber(problems, 'heartbeat.timeoutMs', heartbeat.timeoutMs, 1);
  }
  const resolvedTimeouts: ConnectionPolicy['timeouts'] = {
    connectMs: timeouts.connectMs ?? DEFAULT_POLICY.timeouts.connectMs,
    closeMs: timeouts.closeMs ?? DEFAULT_POLICY.timeouts.closeMs,
  };
  if (timeouts.requestMs !== undefined) resolvedTimeouts.requestMs = timeouts.requestMs;
  return {
    reconnect: { ...DEFAULT_POLICY.reconnect, ...reconnect },
    timeouts: resolvedTimeouts,
    heartbeat: { ...DEFAULT_POLICY.heartbeat, ...heartbeat },
  };
}

/**
 * The problems of the options every transport type shares (`reconnect`, `timeouts`,
 * `heartbeat`, `queue`, `limits`, `logger`), one line each, as {@link resolveConfig} reports
 * them. For checking a policy block on its own (src/config's `lifeline` block).
 */
export function commonProblems(config: CommonConfig): string[] {
  const problems: Problems = [];
  resolveCommon(config, problems);
  return problems;
}

/** The options every transport type shares. */
export function resolveCommon(
  config: CommonConfig,
  problems: Problems,
): Pick<ResolvedConfig, 'policy' | 'queue' | 'limits'> {
  const policy = resolvePolicy(config, problems);
  if (checkObject(problems, 'queue', config.queue)) {
    checkNumber(problems, 'queue.maxMessages', config.queue?.maxMessages, 0);
    checkNumber(problems, 'queue.maxBytes', config.queue?.maxBytes, 0);
  }
  if (checkObject(problems, 'limits', config.limits)) {
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
    queue: { ...DEFAULT_QUEUE, ...config.queue },
    limits: { ...DEFAULT_LIMITS, ...config.limits },
  };
}
