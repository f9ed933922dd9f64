/**
 * One server's status as the supervisor reports it: the lifecycle (state, attempt, when the
 * next retry comes, the last error), the latest round-trip time and the message counters.
 * Built from the transport on demand; errors carry only their code and redacted message.
 */

import type { ConnectionState } from '../machines/connection.js';
import type { ServerSummary } from '../machines/supervisor.js';
import type { LifecycleStatus, LifelineTransport, TransportStats } from '../runtime/transport.js';

export interface ServerStatus {
  name: string;
  /** `stdio`, `http`, `ws` or `docker`. */
  type: string;
  state: ConnectionState;
  /** Retries since the link last proved itself. */
  attempt: number;
  /** When the state was entered (ms since the epoch, the supervisor's clock). */
  since: number;
  /** In `reconnecting`: when the next attempt starts (ms since the epoch). */
  nextRetryAt: number | undefined;
  /** The last failure (in `failed`: why it gave up). */
  error: { code: string; message: string } | undefined;
  /** The latest answered request's round trip, in ms (includes the server's work). */
  roundTripMs: number | undefined;
  stats: TransportStats;
  /**
   * `required`: failed because the server needs a sign-in; `waiting`: a managed sign-in is
   * pending (the transport's `status.authorization`).
   */
  authorization?: 'required' | 'waiting' | undefined;
}

/** The part of a lifecycle status the supervisor's context keeps. */
export function summaryOf(status: LifecycleStatus): ServerSummary {
  return {
    state: status.state,
    attempt: status.attempt,
    delayMs: status.delayMs,
    since: status.since,
    error:
      status.error === undefined ? undefined : { code: status.error.code, message: status.error.message },
  };
}

export function statusOf(name: string, transport: LifelineTransport): ServerStatus {
  const status = transport.status;
  const summary = summaryOf(status);
  return {
    name,
    type: transport.linkType,
    state: summary.state,
    attempt: summary.attempt,
    since: summary.since,
    nextRetryAt: summary.state === 'reconnecting' ? summary.since + summary.delayMs : undefined,
    error: summary.error,
    roundTripMs: transport.roundTripMs,
    stats: { ...transport.stats },
    ...(status.authorization === undefined ? {} : { authorization: status.authorization }),
  };
}
