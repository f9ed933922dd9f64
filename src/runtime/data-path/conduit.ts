/**
 * The live link and the data path between it and the client. `send()` writes straight to the
 * link's `send` (or queues while there is none); inbound messages go from the link's sink
 * through the in-flight table to the client. The session keeper re-establishes a legacy
 * session on each new link before it carries the client's traffic. The machine's actions
 * (`linkUp`, `linkDown`, `probeLink`) arrive here as `onLinkUp`, `onLinkDown`, `probe`.
 */

import type { JsonRpcMessage, RequestId } from '../../codec/jsonrpc.js';
import {
  ErrorCode,
  type LifelineError,
  LinkError,
  ResumptionUnsupportedError,
  toError,
} from '../../errors.js';
import type { LinkHandle, LinkSink } from '../../link/contract.js';
import type { ConnectionEvent } from '../../machines/connection.js';
import type { RuntimeLogger } from '../logger.js';
import type { Clock, ResolvedConfig } from '../options/resolve.js';
import { SessionKeeper } from '../session/keeper.js';
import { isInternalId, maskSessionId, type SessionRecord } from '../session/record.js';
import type { Inbound } from './inbound.js';
import type { Outbound } from './outbound.js';

/** What the conduit needs from its transport. */
export interface ConduitHost {
  config: ResolvedConfig;
  log: RuntimeLogger;
  clock: Clock;
  now(): number;
  outbound: Outbound;
  session: SessionRecord;
  inbound: Inbound;
  /** Sends an event to the connection actor. */
  send(event: ConnectionEvent): void;
  /** The HTTP session id changed (`transport.sessionId`). */
  sessionId(sessionId: string | undefined): void;
}

/** Who hears what the data path sees of the connection's life (the journal). */
export interface ConduitObserver {
  /** A heartbeat probe came back after `rttMs`. */
  heartbeat(rttMs: number): void;
  /** The session was re-established on a new link (`count` so far). */
  reestablished(count: number, protocolVersion: string | undefined): void;
}

export class Conduit {
  /** Set by the transport. */
  observer: ConduitObserver | undefined;
  readonly #host: ConduitHost;
  readonly #keeper: SessionKeeper;
  readonly #inboundRequests = new Set<RequestId>();
  #link: LinkHandle | undefined;
  #ready = false;
  #proven = false;
  #hadLink = false;
  #lastActivity = 0;
  /** When the pending heartbeat probe went out, for its round trip. */
  #probedAt = 0;
  #links = 0;
  #reestablished = 0;

  constructor(host: ConduitHost) {
    this.#host = host;
    this.#keeper = new SessionKeeper(host.session, {
      clock: host.clock,
      connectMs: host.config.policy.timeouts.connectMs,
      reestablished: () => {
        this.#reestablished += 1;
        host.log.info('session re-established');
        this.observer?.reestablished(this.#reestablished, host.session.protocolVersion);
        this.#markProven();
        this.#carryQueue();
      },
      failed: (error) => host.send({ type: 'link.down', error }),
      pong: () => {
        this.#heartbeatAnswered();
        host.send({ type: 'heartbeat.ack' });
      },
    });
  }

  /** The live link, if any. */
  get link(): LinkHandle | undefined {
    return this.#link;
  }

  /** Links started so far. */
  get links(): number {
    return this.#links;
  }

  /** Sessions re-established so far. */
  get reestablished(): number {
    return this.#reestablished;
  }

  /** A new session begins (`start()`): the next link is a first link again. */
  begin(): void {
    this.#hadLink = false;
  }

  /**
   * Whether a response of the client answers a request the live link's server asked; one for
   * a server that is gone is dropped.
   */
  answers(id: RequestId): boolean {
    return this.#inboundRequests.delete(id);
  }

  /**
   * Writes a message, or queues it while the link is down or the session being re-established.
   *
   * @throws {QueueFullError} when the queue is full.
   */
  carry(message: JsonRpcMessage): Promise<void> {
    if (this.#link !== undefined && this.#ready) return this.#write(this.#link, message, true);
    this.#host.outbound.enqueue(message);
    return Promise.resolve();
  }

  /** The transport closed: forget the link and its session. */
  closed(): void {
    this.#link = undefined;
    this.#ready = false;
    this.#keeper.detach();
    this.#inboundRequests.clear();
  }

  /** Where the live link delivers what it reads. */
  readonly sink: LinkSink = {
    message: (message) => this.#receive(message),
    diagnostic: (diagnostic) => this.#host.inbound.diagnostic(diagnostic),
    oversize: (info) => this.#onOversize(info),
    activity: () => {
      this.#lastActivity = this.#host.now();
    },
    unanswered: (id, error, disposition) => {
      const again = this.#host.outbound.unanswered(id, error, disposition);
      if (again === undefined) return;
      if (again === 'next-link') {
        // A re-issue got no response either: the server is not answering. The link goes down,
        // and the request goes out on the next one, after the backoff.
        if (this.#link !== undefined) this.#host.send({ type: 'link.down', error });
        return;
      }
      if (this.#link !== undefined && this.#ready) void this.#write(this.#link, again, false);
      else this.#host.outbound.requeue(again, error);
    },
    session: (sessionId) => {
      this.#host.sessionId(sessionId);
      this.#host.send({ type: 'session.update', sessionId: maskSessionId(sessionId) });
    },
  };

  /**
   * Writes to the link. `awaited`: the client's `send()` waits for this promise, so a refusal
   * rejects it; otherwise (a flushed queue, a re-issue) a refused request gets an error response.
   */
  #write(link: LinkHandle, message: JsonRpcMessage, awaited: boolean): Promise<void> {
    const outbound = this.#host.outbound;
    const options = outbound.optionsFor(message);
    if (options?.resumptionToken !== undefined && link.perRequestStreams !== true) {
      // Queued for a link that turned out to be HTTP+SSE: sent afresh, it would run twice.
      const refusal = outbound.writeFailed(message, noResumableStreams(), awaited);
      return refusal === undefined ? Promise.resolve() : Promise.reject(refusal);
    }
    outbound.written(message);
    return link.send(message, options).then(
      () => {
        outbound.writeDone(message);
        this.#afterLateWrite(link);
      },
      (error: unknown) => {
        const refusal = outbound.writeFailed(message, toError(error), awaited);
        this.#afterLateWrite(link);
        if (refusal !== undefined) throw refusal;
      },
    );
  }

  /**
   * A write to a link that died meanwhile settled, and may have put its request back in the
   * queue: if a new link already carries the traffic, the request goes out on it now.
   */
  #afterLateWrite(link: LinkHandle): void {
    if (link !== this.#link && this.#host.outbound.queued > 0) this.#flush();
  }

  #receive(inbound: JsonRpcMessage): void {
    let message = inbound;
    if (!('method' in message)) {
      const clientId = this.#host.outbound.clientId(message.id);
      if (clientId !== message.id) message = { ...message, id: clientId };
      else if (isInternalId(message.id)) {
        this.#keeper.answer(message, this.#link);
        return;
      }
      const method = this.#host.outbound.settle(
        message.id,
        'error' in message ? message.error.code : undefined,
      );
      if (method === undefined) {
        this.#host.inbound.diagnostic({
          source: 'runtime',
          level: 'warn',
          message: `Dropped a response for unknown request id ${message.id}`,
        });
        return;
      }
      if (method === 'initialize') {
        const era = this.#host.session.noteResponse(message);
        if (era !== undefined) {
          // The link learns the version now, not at the next reconnect (a client driving the
          // transport with raw JSON-RPC never calls setProtocolVersion).
          const version = this.#host.session.protocolVersion;
          if (version !== undefined) this.#link?.setProtocolVersion?.(version);
          this.#host.send({
            type: 'session.update',
            era,
            protocolVersion: this.#host.session.protocolVersion ?? '',
          });
        }
      }
    } else if ('id' in message) {
      this.#inboundRequests.add(message.id);
    }
    if (!this.#proven && this.#ready) this.#markProven();
    this.#host.inbound.message(message);
  }

  #flush(): void {
    const link = this.#link;
    if (link === undefined || !this.#ready) return;
    this.#host.outbound.flush((message) => void this.#write(link, message, false));
  }

  // --- link lifecycle (called from machine actions) ---

  /** A link is up: re-establish the session on it, or let it carry the traffic at once. */
  onLinkUp(link: LinkHandle): void {
    this.#link = link;
    this.#proven = false;
    this.#links += 1;
    const version = this.#host.session.protocolVersion;
    if (version !== undefined) link.setProtocolVersion?.(version);
    const firstLink = !this.#hadLink;
    this.#hadLink = true;
    if (this.#keeper.attach(link, firstLink)) {
      this.#host.log.info('re-establishing the session on the new link');
    } else {
      this.#carryQueue();
    }
  }

  /** The link carries the client's traffic from now on: the queue (subscriptions and re-issues first). */
  #carryQueue(): void {
    this.#ready = true;
    this.#flush();
  }

  /** The link is gone: what was written to it is re-issued or answered as lost. */
  onLinkDown(error: LifelineError): void {
    const perRequestStreams = this.#link?.perRequestStreams === true;
    this.#link = undefined;
    this.#ready = false;
    this.#keeper.detach();
    this.#inboundRequests.clear();
    this.#host.log.warn(`link down: ${error.message}`, { code: error.code, retryable: error.retryable });
    this.#host.outbound.linkLost(error, perRequestStreams);
    this.#host.inbound.error(error);
  }

  #markProven(): void {
    this.#proven = true;
    this.#host.send({ type: 'link.proven' });
  }

  /**
   * The heartbeat asks: is the link alive? A link that read a byte within `intervalMs` is;
   * otherwise the link's own probe (WebSocket ping) or, in the legacy era, an MCP `ping`
   * asks the server. The modern era has no ping method (process liveness covers stdio).
   */
  probe(): void {
    const link = this.#link;
    const quietMs = this.#host.now() - this.#lastActivity;
    const ack = (event: ConnectionEvent): void => queueMicrotask(() => this.#host.send(event));
    if (link === undefined || quietMs < this.#host.config.policy.heartbeat.intervalMs) {
      ack({ type: 'heartbeat.ack', quietMs: link === undefined ? 0 : quietMs });
    } else if (link.ping !== undefined) {
      this.#probedAt = this.#host.now();
      link.ping().then(
        () => {
          if (this.#link !== link) return;
          this.#heartbeatAnswered();
          this.#host.send({ type: 'heartbeat.ack' });
        },
        () => {},
      );
    } else if (!this.#ready || this.#host.session.era === 'modern') {
      ack({ type: 'heartbeat.ack' });
    } else {
      this.#probedAt = this.#host.now();
      this.#keeper.ping(link);
    }
  }

  /** A probe that went to the server came back: its round trip is the heartbeat's RTT. */
  #heartbeatAnswered(): void {
    const rttMs = this.#host.now() - this.#probedAt;
    this.observer?.heartbeat(rttMs);
  }

  #onOversize(info: { bytes: number; head: string; tail: string }): void {
    if (!this.#host.outbound.oversize(info, this.#host.config.limits.maxMessageBytes)) return;
    // Whose answer was dropped is unknown: restart the link rather than let a request hang.
    const error = new LinkError(
      ErrorCode.MessageTooLarge,
      `Dropped an inbound message of ${info.bytes} bytes (over limits.maxMessageBytes) whose request id cannot be recovered; restarting the link`,
      { retryable: true },
    );
    this.#host.send({ type: 'link.down', error });
  }
}

function noResumableStreams(): ResumptionUnsupportedError {
  return new ResumptionUnsupportedError('the legacy HTTP+SSE transport has no resumable response streams');
}
