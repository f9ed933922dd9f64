/**
 * A lease on a name, held by one holder at a time across processes: two bridges for the same
 * server must not both spend a rotating refresh token (the second use of a rotated refresh
 * token is refused, and many servers then revoke the whole grant; OAuth 2.1 §4.3.1, RFC 9700
 * §4.14.2).
 *
 * Across processes the lease is a lock folder made by `proper-lockfile` (`mkdir` is atomic on
 * every file system, network ones included); its mtime is refreshed while held, so the lock
 * of a process that was killed goes stale and is taken over after `staleMs`. Within one process
 * a queue per lock orders the holders first (proper-lockfile would make them poll), and a holder
 * that asks again for a lease it already holds gets it at once (re-entrant through the async
 * call chain), so a compare-and-delete inside a refresh does not wait for itself.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock } from 'proper-lockfile';
import { AuthorizationError } from '../errors.js';

/** Options of {@link withFileLease}. */
export interface LeaseOptions {
  /**
   * A lock not refreshed for this long belongs to a dead process and is taken over. Default
   * 10 s (proper-lockfile's minimum is 5 s).
   */
  staleMs?: number;
  /** Give up waiting for the lease after this long. Default 60 s (a refresh that hangs longer is broken). */
  timeoutMs?: number;
  /** Called when the lock was taken from this holder (its mtime could not be refreshed in time). */
  onCompromised?: (error: Error) => void;
}

const DEFAULT_STALE_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 60_000;

/** The lock paths the current async call chain holds. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();
/** Per lock path, the promise the next in-process holder waits for. */
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding the lease named by `lockPath` (a path of a folder that does not
 * exist otherwise; its parent must exist). Waits for other holders, in this process or
 * another, up to `timeoutMs`, then rejects with an `AuthorizationError`.
 */
export async function withFileLease<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LeaseOptions = {},
): Promise<T> {
  if (held.getStore()?.has(lockPath) === true) return fn();
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let leave = (): void => {};
  const mine = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const tail = previous.then(() => mine);
  queues.set(lockPath, tail);
  try {
    await waitUntil(previous, deadline, lockPath);
    const release = await acquire(lockPath, deadline, options);
    try {
      const now = new Set(held.getStore() ?? []);
      now.add(lockPath);
      return await held.run(now, fn);
    } finally {
      // A compromised lock rejects here; the holder has already been told through onCompromised.
      await release().catch(() => undefined);
    }
  } finally {
    leave();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function waitUntil(turn: Promise<void>, deadline: number, lockPath: string): Promise<void> {
  const controller = new AbortController();
  const timer = sleep(Math.max(0, deadline - Date.now()), undefined, { signal: controller.signal }).then(
    () => {
      throw leaseTimeout(lockPath);
    },
    () => undefined,
  );
  try {
    await Promise.race([turn, timer]);
  } finally {
    controller.abort();
  }
}

async function acquire(
  lockPath: string,
  deadline: number,
  options: LeaseOptions,
): Promise<() => Promise<void>> {
  const staleMs = Math.max(5_000, options.staleMs ?? DEFAULT_STALE_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      return await lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: staleMs,
        retries: 0,
        // proper-lockfile's default throws from a timer, which would end the process.
        onCompromised: (error) => options.onCompromised?.(error),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ELOCKED') throw error;
    }
    if (Date.now() >= deadline) throw leaseTimeout(lockPath);
    // Short polls first (a refresh takes tens of ms), then at most every 250 ms, with jitter so
    // several waiters do not all retry in step.
    const delay = Math.min(250, 10 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
  }
}

function leaseTimeout(lockPath: string): AuthorizationError {
  return new AuthorizationError(
    'token',
    `Timed out waiting for another lifeline process to finish with the token store (${lockPath})`,
    { retryable: true },
  );
}
