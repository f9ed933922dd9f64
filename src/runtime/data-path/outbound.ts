/**
 * Everything the client sent that has not ended yet: the bounded queue of messages waiting for
 * a link, and the table of requests waiting for an answer. Its job is the runtime's promise
 * that every outbound message ends delivered or failed-to-the-caller: it decides the fate of
 * a request its link can no longer answer (sent again, re-issued under a new id, or answered
 * with a synthesized JSON-RPC error response), and counts what it fails. The budgets it
 * spends are in budgets.ts; the queue's `timeouts.requestMs` in expiry.ts.
 */

import {
  errorResponse,
  type JsonRpcErrorResponse,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type RequestId,
} from '../../codec/jsonrpc.js';
import { looksLikeNotification, recoverId } from '../../codec/recover.js';
import {
  ErrorCode,
  InvalidMessageError,
  type LifelineError,
  LinkError,
  REQUEST_FAILED_RPC_CODE,
  StateError,
} from '../../errors.js';
import type { LinkSendOptions } from '../../link/contract.js';
import {
  failureOfAnswer,
  failureOfError,
  type RequestFailure,
  type TransportMetrics,
} from '../metrics/instruments.js';
import type { Clock, QueuePolicy } from '../options/resolve.js';
import { INTERNAL_ID_PREFIX } from '../session/record.js';
import { hadResponse, MAX_REISSUES, MAX_RESENDS, mayGoAgain, type UnansweredFate } from './budgets.js';
import { QueueExpiry } from './expiry.js';
import { connectionLostResponse, expiredResponse, tooLargeResponse } from './failures.js';
import { OutboundQueue, type QueuedMessage } from './queue.js';
import { LISTEN_METHOD, type LostLink, type RequestEntry, RequestTable } from './requests.js';

/** What the outbound side needs from its transport. */
export interface OutboundHost {
  clock: Clock;
  now(): number;
  /** Delivers a synthesized answer to the client, like any inbound message. */
  deliver(response: JsonRpcErrorResponse): void;
  /** Reports a loss no answer can carry (a dropped notification). */
  report(error: Error): void;
  /** Counts a failed outbound message. */
  countFailure(): void;
  /** Whether a lost request may be re-issued under a new id (modern era, per-request streams). */
  mayReissue(request: JsonRpcRequest): boolean;
  /** Where each request's end is recorded, when metrics are on. */
  metrics?: TransportMetrics | undefined;
}

/** The outbound side of one transport: its queue and its in-flight table. */
export class Outbound {
  readonly #queue: OutboundQueue;
  readonly #requests = new RequestTable();
  readonly #host: OutboundHost;
  readonly #expiry: QueueExpiry;
  #reissued = 0;
  /** Re-issues so far, spent or not: the sequence of the wire ids they travel under. */
  #reissues = 0;
  #written = 0;
  #roundTripMs: number | undefined;

  constructor(host: OutboundHost, queue: QueuePolicy, requestMs: number | undefined) {
    this.#host = host;
    this.#queue = new OutboundQueue(queue);
    this.#expiry = new QueueExpiry(
      { clock: host.clock, now: () => host.now(), expired: (entry, ms) => this.#expired(entry, ms) },
      this.#queue,
      requestMs,
    );
  }

  /** Messages waiting for a link. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Messages written to links so far. */
  get writtenCount(): number {
    return this.#written;
  }

  /** Requests re-issued under a new id so far (a re-issue sent again after no response counts once). */
  get reissued(): number {
    return this.#reissued;
  }

  /**
   * Records a request before it is written or queued. An abort of `options.signal` (the
   * modern era's cancellation) forgets it: no answer is expected any more.
   *
   * @throws {InvalidMessageError} when a request with the same id is still in flight.
   */
  track(request: JsonRpcRequest, options: LinkSendOptions | undefined): void {
    if (this.#requests.has(request.id)) {
      throw new InvalidMessageError(`request id ${JSON.stringify(request.id)} is already in flight`);
    }
    const signal = options?.signal;
    // Its start time is for the metrics only: without them, not even a clock read.
    const now = this.#host.metrics === undefined ? 0 : this.#host.now();
    if (signal === undefined) {
      this.#requests.track(request, options, now);
      return;
    }
    const onAbort = (): void => {
      this.#requests.settle(request.id);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.#requests.track(request, options, now, () => signal.removeEventListener('abort', onAbort));
    // Aborted before it was sent: no 'abort' event comes any more, and no answer is expected.
    if (signal.aborted) onAbort();
  }

  /** The client's id for an id on the wire (they differ for a re-issued request). */
  clientId(wireId: RequestId): RequestId {
    return this.#requests.clientId(wireId);
  }

  /** The send options of a request about to be written. */
  optionsFor(message: JsonRpcMessage): LinkSendOptions | undefined {
    if (!('id' in message && 'method' in message)) return undefined;
    return this.#requests.get(this.#requests.clientId(message.id))?.options;
  }

  /** The message went out on the current link. */
  written(message: JsonRpcMessage): void {
    this.#written += 1;
    if ('id' in message && 'method' in message) this.#requests.markWritten(message.id, this.#host.now());
  }

  /**
   * Queues a message while the link is down.
   *
   * @throws {QueueFullError} over `queue.maxMessages` or `queue.maxBytes` (the request is forgotten).
   */
  enqueue(message: JsonRpcMessage): void {
    try {
      this.#queue.push(message, this.#host.now());
    } catch (error) {
      if ('id' in message && 'method' in message)
        this.#ended(this.#requests.settle(message.id), failureOfError(error as Error));
      throw error;
    }
    this.#expiry.schedule();
  }

  /** The time from the latest answered request's write to its answer, in ms. */
  get roundTripMs(): number | undefined {
    return this.#roundTripMs;
  }

  /**
   * Removes a request that got its answer (`errorCode`: the JSON-RPC code of an error answer);
   * returns its method, or undefined if it is unknown.
   */
  settle(id: RequestId, errorCode?: number): string | undefined {
    const entry = this.#requests.settle(id);
    if (entry === undefined) return undefined;
    if (entry.written) this.#roundTripMs = this.#host.now() - entry.sentAt;
    if (this.#host.metrics !== undefined)
      this.#ended(
        entry,
        errorCode === undefined ? undefined : { type: String(errorCode), status: errorCode },
      );
    return entry.request.method;
  }

  /** Hands every queued message, oldest first, to `write` (the link is back). */
  flush(write: (message: JsonRpcMessage) => void): void {
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      const message = entry.message;
      // A request cancelled while it waited is not sent.
      if ('id' in message && 'method' in message && !this.#requests.has(this.clientId(message.id))) continue;
      write(message);
    }
    this.#expiry.clear();
  }

  /**
   * The link refused delivery of a message that never reached the server (connection
   * refused, expired session): it waits for the next link, at the front of the queue. A
   * request refused for its session more than once is failed instead.
   */
  requeue(message: JsonRpcMessage, cause: LinkError): void {
    if ('id' in message && 'method' in message) {
      const entry = this.#requests.get(this.clientId(message.id));
      if (entry === undefined) return;
      entry.written = false;
      if (cause.code !== ErrorCode.Network) {
        entry.resends += 1;
        if (entry.resends > MAX_RESENDS) {
          this.#failEntry(entry, cause);
          return;
        }
      }
    }
    this.#sendFirst(message);
  }

  /**
   * A request its link will not answer (a broken HTTP response stream, or a POST that got no
   * response): re-issued under a new id when allowed (once), otherwise failed to its caller. A
   * re-issue that got no response is not spent: it waits for the next link. When the link
   * died while this request's write was unsettled, its fate is decided now.
   */
  unanswered(wireId: RequestId, cause: LinkError, disposition: 'reissue' | 'fail'): UnansweredFate {
    const entry = this.#requests.get(this.clientId(wireId));
    if (entry === undefined || entry.wireId !== wireId) return undefined;
    const lost = entry.lost;
    if (lost !== undefined) {
      entry.lost = undefined;
      if (disposition === 'fail') this.#failEntry(entry, cause);
      else this.#decideLost(entry, lost, hadResponse(cause));
      return undefined;
    }
    if (!entry.written) return undefined;
    if (disposition === 'fail') {
      this.#failEntry(entry, cause);
      return undefined;
    }
    if (entry.request.method === LISTEN_METHOD) {
      entry.written = false;
      return entry.request;
    }
    if (this.#host.mayReissue(entry.request)) {
      if (entry.reissues < MAX_REISSUES) return this.#reissue(entry, true);
      if (mayGoAgain(entry, hadResponse(cause))) {
        // Sent again at once it would meet the same dying server (a listener that still accepts
        // and resets, a pooled socket not yet seen closed) and could loop: the next link, after
        // the backoff, takes it.
        this.#sendFirst(this.#reissue(entry, false));
        return 'next-link';
      }
    }
    this.#settleWith(entry, connectionLostResponse(entry.request.id, cause));
    return undefined;
  }

  /**
   * The link died: every request written to it is re-issued (subscriptions and, where
   * allowed, the rest: queued for the next link) or answered with the connection-lost error.
   * A request whose write has not settled yet is decided when it settles: refused undelivered,
   * it simply waits for the next link; with no response, its re-issue is not spent. Queued
   * messages wait for the next link.
   */
  linkLost(cause: LifelineError, perRequestStreams: boolean): void {
    const again: JsonRpcRequest[] = [];
    for (const entry of this.#requests.written()) {
      entry.written = false;
      if (entry.writing) {
        entry.lost = { cause, perRequestStreams };
        continue;
      }
      // Its write settled: the server responded to it (HTTP) or took it (a pipe).
      const message = this.#afterLoss(entry, { cause, perRequestStreams }, true);
      if (message !== undefined) again.push(message);
    }
    const now = this.#host.now();
    for (let i = again.length - 1; i >= 0; i -= 1)
      this.#queue.unshift({ message: again[i] as JsonRpcRequest, bytes: 0, queuedAt: now });
    if (again.length > 0) this.#expiry.schedule();
  }

  /** A write succeeded. If its link died meanwhile, the request's fate is decided now. */
  writeDone(message: JsonRpcMessage): void {
    if (!('id' in message && 'method' in message)) return;
    const entry = this.#requests.writeSettled(message.id);
    if (entry?.lost === undefined) return;
    const lost = entry.lost;
    entry.lost = undefined;
    this.#decideLost(entry, lost, true);
  }

  /**
   * Decides now the fate of a request whose link died while its write was unsettled;
   * `responded`: whether the server responded to that write.
   */
  #decideLost(entry: RequestEntry, lost: LostLink, responded: boolean): void {
    const again = this.#afterLoss(entry, lost, responded);
    if (again !== undefined) this.#sendFirst(again);
  }

  /** Puts a message at the front of the queue: the next link sends it first. */
  #sendFirst(message: JsonRpcMessage): void {
    this.#queue.unshift({ message, bytes: 0, queuedAt: this.#host.now() });
    this.#expiry.schedule();
  }

  /**
   * The fate of a request its dead link will not answer: the request to send again, if any.
   * `responded`: whether the server responded to its last write (a re-issue that got no
   * response is not spent).
   */
  #afterLoss(entry: RequestEntry, lost: LostLink, responded: boolean): JsonRpcRequest | undefined {
    if (entry.request.method === LISTEN_METHOD) return entry.request;
    if (lost.perRequestStreams && this.#host.mayReissue(entry.request)) {
      if (entry.reissues < MAX_REISSUES) return this.#reissue(entry, true);
      if (mayGoAgain(entry, responded)) return this.#reissue(entry, false);
    }
    this.#settleWith(entry, connectionLostResponse(entry.request.id, lost.cause));
    return undefined;
  }

  /**
   * A write failed; decides the message's fate. Undelivered: it waits for the next link. A
   * dying stdio link (`LIFELINE_ERR_WRITE`): its `link.down` answers the requests written to it;
   * a lost notification is reported. Otherwise (an HTTP refusal): a request is forgotten and its
   * caller gets the error when it awaits the write (`awaited`), or an error response.
   *
   * @returns the error the awaiting caller must get, if any.
   */
  writeFailed(message: JsonRpcMessage, error: Error, awaited: boolean): Error | undefined {
    const request = 'id' in message && 'method' in message ? message : undefined;
    const entry = request === undefined ? undefined : this.#requests.writeSettled(request.id);
    const lost = entry?.lost;
    if (entry !== undefined) entry.lost = undefined;
    if (error instanceof LinkError && error.undelivered) {
      this.#written -= 1;
      this.requeue(message, error);
      return undefined;
    }
    if (entry !== undefined && lost !== undefined) {
      // Its link is gone: the link's end decides, as for the requests whose writes had settled
      // (a refusal is a response).
      this.#decideLost(entry, lost, true);
      return undefined;
    }
    if (error instanceof LinkError && error.code === ErrorCode.Write && request !== undefined)
      return undefined;
    if (request !== undefined && !awaited) {
      const entry = this.#requests.get(this.clientId(request.id));
      if (entry !== undefined) this.#failEntry(entry, error as LifelineError);
      return undefined;
    }
    this.#host.countFailure();
    if (request !== undefined)
      this.#ended(this.#requests.settle(this.clientId(request.id)), failureOfError(error));
    if (awaited && !(error instanceof LinkError && error.code === ErrorCode.Write)) return error;
    this.#host.report(error);
    return undefined;
  }

  /**
   * An inbound message over the size limit was dropped. When its request id can be recovered
   * from its edges, that request is answered with the too-large error.
   *
   * @returns true when whose answer was dropped is unknown (the link must restart, or a request may hang).
   */
  oversize(info: { bytes: number; head: string; tail: string }, limit: number): boolean {
    const id = recoverId(info.head, info.tail);
    if (id !== undefined && this.#requests.has(id)) {
      this.#settleWith(this.#requests.get(id) as RequestEntry, tooLargeResponse(id, info.bytes, limit));
      return false;
    }
    return id === undefined && !looksLikeNotification(info.head);
  }

  /** The connection closed (`closed`) or gave up: answers every request and drops the queue. */
  failAll(cause: LifelineError, closed: boolean): void {
    this.#expiry.clear();
    let notifications = 0;
    for (const entry of this.#queue.drain()) {
      if (!('id' in entry.message && 'method' in entry.message)) notifications += 1;
    }
    for (const entry of this.#requests.takeAll())
      this.#fail(entry, connectionLostResponse(entry.request.id, cause, closed));
    if (notifications > 0) {
      for (let i = 0; i < notifications; i += 1) this.#host.countFailure();
      this.#host.report(
        new StateError(
          ErrorCode.ConnectionLost,
          `${notifications} queued notification(s) were not delivered: ${cause.message}`,
        ),
      );
    }
  }

  /** Re-issues a request under a new id; `spent`: it counts against its budget (and the stats). */
  #reissue(entry: RequestEntry, spent: boolean): JsonRpcRequest {
    if (spent) this.#reissued += 1;
    this.#reissues += 1;
    return this.#requests.reissue(entry, `${INTERNAL_ID_PREFIX}reissue:${this.#reissues}`, spent);
  }

  #failEntry(entry: RequestEntry, cause: LifelineError): void {
    this.#settleWith(
      entry,
      errorResponse(entry.request.id, REQUEST_FAILED_RPC_CODE, cause.message, { code: cause.code }),
    );
  }

  #settleWith(entry: RequestEntry, response: JsonRpcErrorResponse): void {
    this.#requests.settle(entry.request.id);
    this.#fail(entry, response);
  }

  /** Records a request's end in the metrics (when on); `failure` when it ended in an error. */
  #ended(entry: RequestEntry | undefined, failure: RequestFailure | undefined): void {
    if (entry === undefined || this.#host.metrics === undefined) return;
    this.#host.metrics.requestEnded(entry.request.method, this.#host.now() - entry.startedAt, failure);
  }

  /** Answers a request (taken from the table) with a synthesized error, and counts it. */
  #fail(entry: RequestEntry, response: JsonRpcErrorResponse): void {
    this.#ended(entry, failureOfAnswer(response));
    this.#host.countFailure();
    this.#host.deliver(response);
  }

  /** A queued message waited past `timeouts.requestMs`: a request is answered with the expired error. */
  #expired(entry: QueuedMessage, requestMs: number): void {
    const message = entry.message;
    if ('id' in message && 'method' in message) {
      const clientId = this.clientId(message.id);
      const entry = this.#requests.settle(clientId);
      if (entry !== undefined) this.#fail(entry, expiredResponse(clientId, requestMs));
    } else {
      this.#host.countFailure();
    }
  }
}
