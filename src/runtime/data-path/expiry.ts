/**
 * `timeouts.requestMs` for the outbound queue: one timer at a time, set for the oldest queued
 * message; when it fires, every message that waited too long leaves the queue and is handed to
 * `expired` (the outbound side answers a request with the expired error).
 */

import type { Clock } from '../options/resolve.js';
import type { OutboundQueue, QueuedMessage } from './queue.js';

/** What the expiry needs from the outbound side. */
export interface ExpiryHost {
  clock: Clock;
  now(): number;
  /** A message that waited `requestMs` or longer, already taken out of the queue. */
  expired(entry: QueuedMessage, requestMs: number): void;
}

/** The queue's expiry timer (none without `timeouts.requestMs`). */
export class QueueExpiry {
  readonly #host: ExpiryHost;
  readonly #queue: OutboundQueue;
  readonly #requestMs: number | undefined;
  #timer: unknown;

  constructor(host: ExpiryHost, queue: OutboundQueue, requestMs: number | undefined) {
    this.#host = host;
    this.#queue = queue;
    this.#requestMs = requestMs;
  }

  /** Sets the timer for the oldest queued message, unless one is set (or there is no limit). */
  schedule(): void {
    const requestMs = this.#requestMs;
    if (requestMs === undefined || this.#timer !== undefined) return;
    const oldest = this.#queue.peek();
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.queuedAt + requestMs - this.#host.now());
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#expire(requestMs);
      this.schedule();
    }, wait);
  }

  /** The queue was emptied: no timer. */
  clear(): void {
    if (this.#timer === undefined) return;
    this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire(requestMs: number): void {
    const now = this.#host.now();
    for (
      let entry = this.#queue.peek();
      entry !== undefined && now - entry.queuedAt >= requestMs;
      entry = this.#queue.peek()
    ) {
      this.#queue.shift();
      this.#host.expired(entry, requestMs);
    }
  }
}
