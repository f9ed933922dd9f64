/**
 * The bounded outbound queue: messages wait here, in order, while the link is down.
 * Bounded by count and bytes; each entry remembers when it arrived for `timeouts.requestMs`.
 */

import type { JsonRpcMessage } from '../../codec/jsonrpc.js';
import { QueueFullError } from '../../errors.js';
import type { QueuePolicy } from '../options/resolve.js';

/** A waiting message. */
export interface QueuedMessage {
  message: JsonRpcMessage;
  bytes: number;
  /** When it was queued, in ms (the runtime's clock). */
  queuedAt: number;
}

/** A FIFO with an advancing head (no `shift()` copies). */
export class OutboundQueue {
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;
  readonly #policy: QueuePolicy;

  constructor(policy: QueuePolicy) {
    this.#policy = policy;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a message at the back.
   *
   * @throws {QueueFullError} when the count or byte bound would be exceeded.
   */
  push(message: JsonRpcMessage, now: number): void {
    const bytes = Buffer.byteLength(JSON.stringify(message));
    if (this.size + 1 > this.#policy.maxMessages)
      throw new QueueFullError(`queue.maxMessages ${this.#policy.maxMessages}`);
    if (this.#bytes + bytes > this.#policy.maxBytes)
      throw new QueueFullError(`queue.maxBytes ${this.#policy.maxBytes}`);
    this.#items.push({ message, bytes, queuedAt: now });
    this.#bytes += bytes;
  }

  /** Puts a message back at the front (its write failed); bounds are not checked. */
  unshift(entry: QueuedMessage): void {
    if (this.#head > 0) {
      this.#head -= 1;
      this.#items[this.#head] = entry;
    } else {
      this.#items.unshift(entry);
    }
    this.#bytes += entry.bytes;
  }

  /** The oldest entry, without removing it. */
  peek(): QueuedMessage | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the oldest entry. */
  shift(): QueuedMessage | undefined {
    const entry = this.#items[this.#head];
    if (entry === undefined) return undefined;
    this.#head += 1;
    this.#bytes -= entry.bytes;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** Removes and returns everything, oldest first. */
  drain(): QueuedMessage[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }
}
