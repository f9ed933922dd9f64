/**
 * What a transport shows an observer (docs/observability.md): its journal, fed from the
 * lifecycle (every state entered, every reconnect attempt) and from errors; its publication on
 * the process's control socket while it runs; and its OpenTelemetry metrics, which count the
 * same reconnects and heartbeats. The data path reports the heartbeat's round trips and
 * re-established sessions here, and each request's end to `metrics` directly.
 */

import type { ConnectionState } from '../../machines/connection.js';
import type { ConnectionSnapshot } from '../../observe/control/protocol.js';
import { type ControlSource, publishConnection } from '../../observe/control/server.js';
import { journalError } from '../../observe/journal/entry.js';
import { ConnectionJournal } from '../../observe/journal/journal.js';
import type { RuntimeLogger } from '../logger.js';
import { createTransportMetrics, type TransportMetrics } from '../metrics/instruments.js';
import type { ResolvedConfig } from '../options/resolve.js';
import type { TransportStats } from '../transport-types.js';
import type { LifecycleStatus } from './status.js';

/** What the observer reads from its transport for a snapshot. */
export interface ObservedTransport {
  readonly name: string;
  readonly linkType: string;
  readonly status: LifecycleStatus;
  readonly stats: Readonly<TransportStats>;
  readonly roundTripMs: number | undefined;
}

export class TransportObserver implements ControlSource {
  readonly name: string;
  /** The journal; undefined with `journal: false`. */
  readonly journal: ConnectionJournal | undefined;
  /** The metrics, when `@opentelemetry/api` is installed (docs/observability.md#metrics). */
  readonly metrics: TransportMetrics | undefined;
  readonly #config: ResolvedConfig;
  readonly #log: RuntimeLogger;
  readonly #transport: ObservedTransport;
  #state: ConnectionState;
  #heartbeatRttMs: number | undefined;
  #unpublish: (() => void) | undefined;
  #controlFailed = false;

  constructor(config: ResolvedConfig, now: () => number, log: RuntimeLogger, transport: ObservedTransport) {
    this.name = config.name;
    this.#config = config;
    this.#log = log;
    this.#transport = transport;
    // Made before the connection actor, which starts idle.
    this.#state = 'idle';
    this.metrics = createTransportMetrics({
      server: config.name,
      transport: config.type === 'http' || config.type === 'ws' ? 'tcp' : 'pipe',
      state: () => transport.status.state,
      queued: () => transport.stats.queued,
      protocolVersion: () => transport.status.protocolVersion,
    });
    this.journal =
      config.journal === undefined
        ? undefined
        : new ConnectionJournal({
            name: config.name,
            config: config.journal,
            now,
            secrets: config.secrets,
            // The file reports a failing disk once until a write succeeds again.
            onFileError: (error) =>
              log.warn(
                `journal file ${config.journal?.file ?? ''} cannot be written; entries stay in memory`,
                {
                  error: error.message,
                },
              ),
          });
  }

  /** A lifecycle change: a state entered (and a reconnect attempt begun) goes into the journal. */
  changed(status: LifecycleStatus): void {
    const from = this.#state;
    if (status.state === from) return;
    this.#state = status.state;
    const attempt = status.state === 'connecting' && status.attempt > 0;
    if (attempt) this.metrics?.reconnect();
    const journal = this.journal;
    if (journal === undefined) return;
    const entry: Parameters<ConnectionJournal['record']>[0] = {
      kind: 'state',
      from,
      to: status.state,
      attempt: status.attempt,
    };
    if (status.state === 'reconnecting') entry.delayMs = status.delayMs;
    if (status.state === 'reconnecting' || status.state === 'failed') {
      const error = journalError(status.error, this.#config.secrets);
      if (error !== undefined) entry.error = error;
    }
    journal.record(entry);
    if (attempt) journal.record({ kind: 'attempt', attempt: status.attempt });
  }

  /** An error reported through `onerror`. */
  error(error: Error): void {
    this.journal?.error(error as Error & { code?: unknown });
  }

  /** A heartbeat probe came back after `rttMs`. */
  heartbeat(rttMs: number): void {
    this.#heartbeatRttMs = rttMs;
    this.metrics?.heartbeat(rttMs);
    this.journal?.record({ kind: 'heartbeat', rttMs });
  }

  /** The session was re-established on a new link. */
  reestablished(count: number, protocolVersion: string | undefined): void {
    const entry: Parameters<ConnectionJournal['record']>[0] = { kind: 'session', reestablished: count };
    if (protocolVersion !== undefined) entry.protocolVersion = protocolVersion;
    this.journal?.record(entry);
  }

  /** The transport started: published on the control socket when asked. */
  started(): void {
    const control = this.#config.control;
    if (control === undefined || this.#unpublish !== undefined) return;
    this.#unpublish = publishConnection(this, control, (error) => {
      if (this.#controlFailed) return;
      this.#controlFailed = true;
      this.#log.warn(`the control socket cannot be opened: ${error.message}`);
    });
  }

  /** The transport closed: withdrawn from the control socket, the journal file let go. */
  closed(): Promise<void> {
    this.#unpublish?.();
    this.#unpublish = undefined;
    return this.journal?.release() ?? Promise.resolve();
  }

  /** The transport as the control socket shows it. */
  snapshot(): ConnectionSnapshot {
    const transport = this.#transport;
    const status = transport.status;
    const snapshot: ConnectionSnapshot = {
      name: transport.name,
      type: transport.linkType,
      state: status.state,
      attempt: status.attempt,
      delayMs: status.delayMs,
      since: status.since,
      stats: { ...transport.stats },
      journal:
        this.journal === undefined ? null : { entries: this.journal.size, capacity: this.journal.capacity },
    };
    if (status.state === 'reconnecting') snapshot.nextRetryAt = status.since + status.delayMs;
    const error = journalError(status.error, this.#config.secrets);
    if (error !== undefined) snapshot.error = error;
    if (status.era !== undefined) snapshot.era = status.era;
    if (status.protocolVersion !== undefined) snapshot.protocolVersion = status.protocolVersion;
    if (status.authorization !== undefined) snapshot.authorization = status.authorization;
    if (transport.roundTripMs !== undefined) snapshot.roundTripMs = transport.roundTripMs;
    if (this.#heartbeatRttMs !== undefined) snapshot.heartbeatRttMs = this.#heartbeatRttMs;
    return snapshot;
  }
}
