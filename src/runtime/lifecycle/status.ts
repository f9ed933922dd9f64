/**
 * The lifecycle as callers see it: a small status object derived from the connection actor's
 * snapshots, and the listeners `transport.subscribe()` registers. Listeners hear of state
 * changes and of attempt or delay changes; a session update (era, protocol version) refreshes
 * the status silently.
 */

import type { SnapshotFrom } from 'xstate';
import { ErrorCode, type LifelineError, StateError } from '../../errors.js';
import type { ConnectionMachine, ConnectionState, ProtocolEra } from '../../machines/connection.js';
import type { RuntimeLogger } from '../logger.js';

/** A lifecycle change, as `subscribe()` listeners receive it. */
export interface LifecycleStatus {
  state: ConnectionState;
  /** Retries since the link last proved itself. */
  attempt: number;
  /** In `reconnecting`: the wait before the next attempt, in ms. */
  delayMs: number;
  /** The last failure (in `failed`: why it gave up). */
  error: LifelineError | undefined;
  era: ProtocolEra | undefined;
  protocolVersion: string | undefined;
  /** When this state was entered (ms since the epoch, the transport's clock). */
  since: number;
  /**
   * `required`: the connection failed because the server needs a sign-in (a refused refresh
   * token, or `UnauthorizedError` with the app to finish it); `finishAuth()` then `start()`.
   * `waiting`: a managed sign-in is pending (the `lifeline` CLI's browser or device sign-in, an
   * `oauth.signIn` hook): requests wait for it, bounded by the sign-in timeout.
   */
  authorization?: 'required' | 'waiting' | undefined;
}

type Snapshot = SnapshotFrom<ConnectionMachine>;

/** The top-level state of a snapshot (`open` for `{ open: 'probing' }`). */
export function topState(snapshot: Snapshot): ConnectionState {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as ConnectionState;
}

function statusOf(snapshot: Snapshot, since: number, waiting = false): LifecycleStatus {
  const { attempt, delayMs, lastError, era, protocolVersion } = snapshot.context;
  const state = topState(snapshot);
  const status: LifecycleStatus = { state, attempt, delayMs, error: lastError, era, protocolVersion, since };
  if (state === 'failed' && lastError?.code === ErrorCode.Unauthorized) status.authorization = 'required';
  else if (waiting && (state === 'connecting' || state === 'open' || state === 'reconnecting'))
    status.authorization = 'waiting';
  return status;
}

/** Keeps the current status and tells listeners of changes. */
export class LifecycleTracker {
  #status: LifecycleStatus;
  #snapshot: Snapshot;
  /** A managed sign-in is pending (see {@link LifecycleTracker.signIn}). */
  #waiting = false;
  readonly #listeners = new Set<(status: LifecycleStatus) => void>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(initial: Snapshot, now: number, onListenerError: (error: unknown) => void) {
    this.#status = statusOf(initial, now);
    this.#snapshot = initial;
    this.#onListenerError = onListenerError;
  }

  get status(): LifecycleStatus {
    return this.#status;
  }

  subscribe(listener: (status: LifecycleStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A managed sign-in started (`true`) or ended (`false`): `authorization` becomes `waiting` or
   * clears, and listeners hear of it. The top-level state does not change (DESIGN: waiting for
   * the user is part of connecting or of the request that was refused).
   */
  signIn(waiting: boolean): void {
    if (this.#waiting === waiting) return;
    this.#waiting = waiting;
    const next = statusOf(this.#snapshot, this.#status.since, waiting);
    if (next.authorization === this.#status.authorization) return;
    this.#status = next;
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener(this.#status);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  /**
   * Takes a new snapshot. Returns the state just entered, if the top-level state changed.
   * `beforeNotify` runs after the status is updated and before listeners hear of it.
   */
  update(
    snapshot: Snapshot,
    now: number,
    beforeNotify: (entered: ConnectionState | undefined) => void,
  ): void {
    const previous = this.#status;
    this.#snapshot = snapshot;
    const state = topState(snapshot);
    const { attempt, delayMs, era, protocolVersion } = snapshot.context;
    if (state === previous.state && attempt === previous.attempt && delayMs === previous.delayMs) {
      if (era !== previous.era || protocolVersion !== previous.protocolVersion) {
        this.#status = statusOf(snapshot, previous.since, this.#waiting);
      }
      return;
    }
    const entered = state === previous.state ? undefined : state;
    this.#status = statusOf(snapshot, entered === undefined ? previous.since : now, this.#waiting);
    beforeNotify(entered);
    this.#notify();
  }
}

/** Why `send()` is refused in a state that carries no messages. */
export function notSendableError(
  state: 'idle' | 'closing' | 'failed',
  cause: LifelineError | undefined,
): LifelineError {
  // Waiting for a sign-in: every send gets the typed error at once, as the first did.
  if (state === 'failed' && cause?.code === ErrorCode.Unauthorized) return cause;
  if (state === 'idle')
    return new StateError(ErrorCode.NotStarted, 'The transport is not started; call start() first');
  if (state === 'closing') return new StateError(ErrorCode.Closed, 'The transport is closing');
  return new StateError(
    ErrorCode.Closed,
    `The connection failed${cause ? `: ${cause.message}` : ''}; call start() to retry`,
    { cause },
  );
}

/** Logs the entry into a state, at the level it deserves. */
export function logEntered(log: RuntimeLogger, status: LifecycleStatus, pid: number | undefined): void {
  switch (status.state) {
    case 'connecting':
      log.info(status.attempt === 0 ? 'connecting' : `connecting (retry ${status.attempt})`);
      break;
    case 'open':
      log.info('open', { pid });
      break;
    case 'reconnecting':
      log.warn(`reconnecting in ${status.delayMs} ms (retry ${status.attempt})`, {
        error: status.error?.message,
      });
      break;
    case 'closing':
      log.info('closing');
      break;
    case 'failed':
      if (status.authorization === 'required') {
        log.warn(`authorization required: ${status.error?.message ?? 'sign in'}`, {
          code: status.error?.code,
        });
        break;
      }
      log.error(`failed: ${status.error?.message ?? 'unknown error'}`, { code: status.error?.code });
      break;
    case 'idle':
      break;
  }
}
