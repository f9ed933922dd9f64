/**
 * The shape of the failure table's rows (./table.ts): what a fault means, what the runtime does,
 * whether the message reached the server.
 */

/** What a fault says about the link. */
export type FaultMeaning =
  /** The server cannot be reached now (or stopped answering): the link is down. */
  | 'link-down'
  /** The server no longer knows the session. */
  | 'session-gone'
  /** The server refused this one request; the link is fine. */
  | 'request-refused'
  /** The peer sent something unusable (or we did). */
  | 'bad-input'
  /** Retrying cannot help: wrong command, credentials, endpoint or protocol. */
  | 'permanent'
  /** Our own doing: a cancelled request, a closing link. */
  | 'ours';

/** What the runtime does about a fault. */
export type FaultAction =
  /** The link goes down and reconnects with backoff; new calls wait in the queue. */
  | 'reconnect'
  /** As `reconnect`, and the first retry waits what the server named (`Retry-After`). */
  | 'retry-after'
  /** The link goes down with no wait and a fresh session begins (replayed `initialize`). */
  | 'reinitialize'
  /** Only this request fails; the link lives on. */
  | 'fail-request'
  /** No retry: the connection goes to `failed` until `start()`. */
  | 'give-up'
  /** Nothing to do. */
  | 'none';

/**
 * Whether the message that met the fault reached the server: `no` (it waits in the queue for
 * the next link), `maybe` (in flight: failed with -32090, or re-issued in the 2026-07-28 era),
 * `answered` (the server answered it: the request fails with that answer).
 */
export type FaultReach = 'no' | 'maybe' | 'answered';

/** Where a fault shows. */
export type FaultFamily = 'undici' | 'socket' | 'http' | 'websocket' | 'stdio' | 'docker';

/** One row of the table. */
export interface FaultRule {
  family: FaultFamily;
  /** The code, status, close code or exit as it shows (`UND_ERR_SOCKET`, `503`, `1006`, `4xx`). */
  fault: string;
  meaning: FaultMeaning;
  action: FaultAction;
  reached: FaultReach;
  /** Whether a new attempt can help (`LifelineError.retryable`). */
  retryable: boolean;
  /** One sentence: what it is, and anything the action does beyond its name. */
  note: string;
}

/** Rows of one family, from compact tuples: fault, meaning, action, reached, retryable, note. */
export function rows(
  family: FaultFamily,
  list: readonly [string, FaultMeaning, FaultAction, FaultReach, boolean, string][],
): FaultRule[] {
  return list.map(([fault, meaning, action, reached, retryable, note]) => ({
    family,
    fault,
    meaning,
    action,
    reached,
    retryable,
    note,
  }));
}
