/**
 * The data path of one transport, assembled: the outbound side (the queue and the in-flight
 * table) and the conduit between it and the live link, sharing the inbound side and the
 * session record. A request its link lost is re-issued under a new id only where the era
 * allows it (2026-07-28, where the spec requires it); a 2025-era one is answered with the
 * connection-lost error instead, since the server may have run it.
 */

import { envelopeVersion } from '../../codec/headers.js';
import type { ConnectionEvent } from '../../machines/connection.js';
import type { RuntimeLogger } from '../logger.js';
import type { TransportMetrics } from '../metrics/instruments.js';
import type { Clock, ResolvedConfig } from '../options/resolve.js';
import type { SessionRecord } from '../session/record.js';
import { Conduit } from './conduit.js';
import type { Inbound } from './inbound.js';
import { Outbound } from './outbound.js';

/** What the data path needs from its transport. */
export interface DataPathHost {
  config: ResolvedConfig;
  log: RuntimeLogger;
  clock: Clock;
  now(): number;
  session: SessionRecord;
  inbound: Inbound;
  /** Counts a failed outbound message (`transport.stats.failed`). */
  countFailure(): void;
  /** Sends an event to the connection actor. */
  send(event: ConnectionEvent): void;
  /** The HTTP session id changed (`transport.sessionId`). */
  sessionId(sessionId: string | undefined): void;
  /** Where each request's end is recorded, when `@opentelemetry/api` is installed. */
  metrics?: TransportMetrics | undefined;
}

/** Builds the outbound side and the conduit of one transport. */
export function createDataPath(host: DataPathHost): { outbound: Outbound; conduit: Conduit } {
  const { config, log, clock, session, inbound } = host;
  const now = (): number => host.now();
  const outbound = new Outbound(
    {
      clock,
      now,
      deliver: (response) => inbound.message(response),
      report: (error) => inbound.error(error),
      countFailure: () => host.countFailure(),
      mayReissue: (request) => session.era === 'modern' || envelopeVersion(request) !== undefined,
      metrics: host.metrics,
    },
    config.queue,
    config.policy.timeouts.requestMs,
  );
  const conduit = new Conduit({
    config,
    log,
    clock,
    now,
    outbound,
    session,
    inbound,
    send: (event) => host.send(event),
    sessionId: (sessionId) => host.sessionId(sessionId),
  });
  return { outbound, conduit };
}
