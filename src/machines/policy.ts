/**
 * Connection policy: the numbers the supervisor applies, and the pure functions that turn
 * them into delays. No I/O, no timers, no clocks: randomness is a seed carried in machine
 * context, so every delay is reproducible and visible in snapshots.
 */

/** Reconnect backoff. Defaults follow gRPC's connection backoff. */
export interface ReconnectPolicy {
  /** Delay before the first retry, in ms. Default 1000. */
  initialDelayMs: number;
  /** Growth factor per attempt. Default 1.6. */
  multiplier: number;
  /**
   * Jitter: a fraction in [0, 1] spreads each delay uniformly by ±jitter (default 0.2);
   * `'full'` draws uniformly from [0, delay] (AWS "full jitter").
   */
  jitter: number | 'full';
  /** Upper bound of a delay, in ms. Default 30000. */
  maxDelayMs: number;
  /** How many retries after a failure before giving up (`failed`). Default Infinity. */
  maxAttempts: number;
}

/** Deadlines. */
export interface TimeoutPolicy {
  /** How long one attempt may take to bring the link up, in ms. Default 20000. */
  connectMs: number;
  /** Length of each step of the graceful close, in ms. Default 2000. */
  closeMs: number;
  /** How long a message may wait in the outbound queue, in ms. Default: no limit. */
  requestMs?: number;
}

/** Liveness checks while open. */
export interface HeartbeatPolicy {
  /** Silence (no byte read) after which the link is probed, in ms. 0 disables. Default 30000. */
  intervalMs: number;
  /** How long a probe may go unanswered before the link is declared dead, in ms. Default 10000. */
  timeoutMs: number;
}

/** The policy one connection runs under. */
export interface ConnectionPolicy {
  reconnect: ReconnectPolicy;
  timeouts: TimeoutPolicy;
  heartbeat: HeartbeatPolicy;
}

/** The defaults: gRPC's connection backoff shape (docs/configuration.md lists them). */
export const DEFAULT_POLICY: ConnectionPolicy = {
  reconnect: {
    initialDelayMs: 1000,
    multiplier: 1.6,
    jitter: 0.2,
    maxDelayMs: 30_000,
    maxAttempts: Number.POSITIVE_INFINITY,
  },
  timeouts: { connectMs: 20_000, closeMs: 2000 },
  heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 },
};

/**
 * Number of graceful close steps a link may take (stdio: end stdin, SIGTERM, SIGKILL), each
 * given `closeMs`; the machine forces the link down after `(steps + 1) * closeMs`.
 */
export const CLOSE_STEPS = 2;

/** The backoff delay before retry number `attempt` (1-based), without jitter. */
export function baseDelay(policy: ReconnectPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = policy.initialDelayMs * policy.multiplier ** exponent;
  return Math.min(policy.maxDelayMs, raw);
}

/**
 * The delay before retry number `attempt` (1-based), with jitter drawn from `unit` (a number
 * in [0, 1)). Never negative, never above `maxDelayMs`.
 */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, unit: number): number {
  const base = baseDelay(policy, attempt);
  if (policy.jitter === 'full') return Math.round(base * unit);
  const spread = base * policy.jitter;
  const delay = base - spread + 2 * spread * unit;
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, delay)));
}

/** How long the machine waits in `closing` before it forces the link down. */
export function closeDeadline(timeouts: TimeoutPolicy): number {
  return (CLOSE_STEPS + 1) * timeouts.closeMs;
}

/**
 * One step of a small, fast PRNG (mulberry32). Returns a number in [0, 1) and the next seed.
 * Deterministic so tests can replay a run, and serializable so the seed lives in context.
 */
export function nextRandom(seed: number): [unit: number, nextSeed: number] {
  const next = (seed + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return [unit, next];
}

/** A seed for {@link nextRandom} from `Math.random`. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
