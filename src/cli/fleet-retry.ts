/**
 * Handshake retries for `lifeline watch`. The SDK `Client` closes its transport when its
 * `connect()` fails (the link died under `initialize`, say a server that exits at start), so
 * the supervised connection ends in `idle` and nothing would ever try it again. The fleet
 * connects a new client after the server's own reconnect policy (backoff, jitter,
 * `maxAttempts`), and shows the wait as `reconnecting` with its attempt and next retry time.
 */

import { ErrorCode } from '../errors.js';
import { backoffDelay, type ReconnectPolicy } from '../machines/policy.js';

/** A failure as a status row shows it. */
export interface RowError {
  code: string;
  message: string;
}

/** The retry planned for one server after a failed handshake. */
export interface PendingRetry {
  /** Failed handshakes in a row (1 after the first). */
  attempt: number;
  /** When the handshake failed (the host's clock). */
  since: number;
  /** When the next handshake starts. */
  at: number;
  error: RowError;
}

/** What the retries need from the fleet. */
export interface RetryHost {
  now(): number;
  /** The server's reconnect policy (its own keys over the config file's defaults). */
  policy(name: string): ReconnectPolicy;
  /** Connects a new client to the server. */
  retry(name: string): void;
  /** The server's row changed (a retry was planned). */
  changed(name: string): void;
  /** A number in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
}

/** The planned handshake retries of a fleet, one per server at most. */
export class HandshakeRetries {
  readonly #host: RetryHost;
  readonly #pending = new Map<string, PendingRetry & { timer?: NodeJS.Timeout }>();
  #closed = false;

  constructor(host: RetryHost) {
    this.#host = host;
  }

  /** The retry state of a server whose handshake has not succeeded since it last failed. */
  get(name: string): PendingRetry | undefined {
    return this.#pending.get(name);
  }

  /**
   * Plans the next handshake after a failed one. Returns the give-up error instead when the
   * policy's `maxAttempts` is spent (the row then shows `failed`), or undefined once planned.
   */
  schedule(name: string, error: RowError): RowError | undefined {
    if (this.#closed) return undefined;
    const previous = this.#pending.get(name);
    clearTimeout(previous?.timer);
    const attempt = (previous?.attempt ?? 0) + 1;
    const policy = this.#host.policy(name);
    if (attempt > policy.maxAttempts) {
      this.#pending.delete(name);
      const tries = `${attempt} failed handshake${attempt === 1 ? '' : 's'}`;
      return {
        code: ErrorCode.RetriesExhausted,
        message: `Gave up after ${tries} (reconnect.maxAttempts is ${policy.maxAttempts}): ${error.message}`,
      };
    }
    const since = this.#host.now();
    const delay = backoffDelay(policy, attempt, (this.#host.random ?? Math.random)());
    const timer = setTimeout(() => {
      const entry = this.#pending.get(name);
      if (entry === undefined || this.#closed) return;
      delete entry.timer;
      this.#host.retry(name);
    }, delay);
    // `watch` ends on a signal or its duration; a planned retry must not keep it alive.
    timer.unref();
    this.#pending.set(name, { attempt, since, at: since + delay, error, timer });
    this.#host.changed(name);
    return undefined;
  }

  /** The handshake succeeded: the count starts again at the next failure. */
  succeeded(name: string): void {
    clearTimeout(this.#pending.get(name)?.timer);
    this.#pending.delete(name);
  }

  /** Cancels every planned retry; none is planned afterwards. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#pending.values()) clearTimeout(entry.timer);
    this.#pending.clear();
  }
}
