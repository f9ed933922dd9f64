/**
 * Everything the client sent that has not ended yet: the bounded queue of messages waiting for
 * a link, and the table of requests waiting for an answer. Its job is the runtime's promise
 * that every outbound message ends delivered or failed-to-the-caller: it answers requests that
 * can no longer be answered (link lost, expired, closed, given up) with a synthesized JSON-RPC
 * error response, and counts what it fails.
 */

import type { JsonRpcErrorResponse, JsonRpcMessage, JsonRpcRequest, RequestId } from '../codec/jsonrpc.js';
import { ErrorCode, InvalidMessageError, type LifelineError, StateError } from '../errors.js';
import { connectionLostResponse, expiredResponse } from './failures.js';
import type { Clock, QueuePolicy } from './options.js';
import { OutboundQueue } from './queue.js';
import { RequestTable } from './requests.js';

/** What the outbound side needs from its transport. */
export interface OutboundHost {
  clock: Clock;
  now(): number;
  /** Delivers a synthesized answer to the client, like any inbound message. */
  deliver(response: JsonRpcErrorResponse): void;
  /** Reports a loss no answer can carry (a dropped notification). */
  report(error: LifelineError): void;
  /** Counts a failed outbound message. */
  countFailure(): void;
}

export class Outbound {
  readonly #queue: OutboundQueue;
  readonly #requests = new RequestTable();
  readonly #host: OutboundHost;
  readonly #requestMs: number | undefined;
  #expiryTimer: unknown;

  constructor(host: OutboundHost, queue: QueuePolicy, requestMs: number | undefined) {
    this.#host = host;
    this.#queue = new OutboundQueue(queue);
    this.#requestMs = requestMs;
  }

  /** Messages waiting for a link. */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Records a request before it is written or queued.
   *
   * @throws {InvalidMessageError} when a request with the same id is still in flight.
   */
  track(request: JsonRpcRequest): void {
    if (this.#requests.has(request.id)) {
      throw new InvalidMessageError(`request id ${JSON.stringify(request.id)} is already in flight`);
    }
    this.#requests.track(request);
  }

  /** The message went out on the current link. */
  written(message: JsonRpcMessage): void {
    if ('id' in message && 'method' in message) this.#requests.markWritten(message.id);
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
      if ('id' in message && 'method' in message) this.#requests.settle(message.id);
      throw error;
    }
    this.#scheduleExpiry();
  }

  /** Removes a request that got its answer; returns its method, or undefined if it is unknown. */
  settle(id: RequestId): string | undefined {
    return this.#requests.settle(id);
  }

  /** Hands every queued message, oldest first, to `write` (the link is back). */
  flush(write: (message: JsonRpcMessage) => void): void {
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift())
      write(entry.message);
    this.#clearExpiry();
  }

  /** Subscriptions to re-send on a new link. */
  pendingReplays(): JsonRpcRequest[] {
    return this.#requests.pendingReplays();
  }

  /** The link died: answers every request written to it. Queued messages wait for the next link. */
  linkLost(cause: LifelineError): void {
    for (const id of this.#requests.takeLost()) this.#fail(connectionLostResponse(id, cause));
  }

  /** The connection closed (`closed`) or gave up: answers every request and drops the queue. */
  failAll(cause: LifelineError, closed: boolean): void {
    this.#clearExpiry();
    let notifications = 0;
    for (const entry of this.#queue.drain()) {
      if (!('id' in entry.message && 'method' in entry.message)) notifications += 1;
    }
    for (const id of this.#requests.takeAll()) this.#fail(connectionLostResponse(id, cause, closed));
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

  #fail(response: JsonRpcErrorResponse): void {
    this.#host.countFailure();
    this.#host.deliver(response);
  }

  #scheduleExpiry(): void {
    const requestMs = this.#requestMs;
    if (requestMs === undefined || this.#expiryTimer !== undefined) return;
    const oldest = this.#queue.peek();
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.queuedAt + requestMs - this.#host.now());
    this.#expiryTimer = this.#host.clock.setTimeout(() => {
      this.#expiryTimer = undefined;
      this.#expire(requestMs);
      this.#scheduleExpiry();
    }, wait);
  }

  #expire(requestMs: number): void {
    const now = this.#host.now();
    for (
      let entry = this.#queue.peek();
      entry !== undefined && now - entry.queuedAt >= requestMs;
      entry = this.#queue.peek()
    ) {
      this.#queue.shift();
      const message = entry.message;
      if ('id' in message && 'method' in message) {
        this.#requests.settle(message.id);
        this.#fail(expiredResponse(message.id, requestMs));
      } else {
        this.#host.countFailure();
      }
    }
  }

  #clearExpiry(): void {
    if (this.#expiryTimer === undefined) return;
    this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }
}
