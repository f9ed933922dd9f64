/**
 * The pull side of a transport: an async iterator over inbound messages, for code that does
 * not use the SDK (`for await (const message of transport.messages())`).
 */

import type { JsonRpcMessage } from '../../codec/jsonrpc.js';

type Waiter = { resolve: (result: IteratorResult<JsonRpcMessage>) => void; reject: (error: Error) => void };

/** One reader's buffer. Unbounded: a reader that stops reading should `return()`. */
export class MessageStream implements AsyncIterableIterator<JsonRpcMessage> {
  #buffer: JsonRpcMessage[] = [];
  #waiter: Waiter | undefined;
  #done = false;
  #error: Error | undefined;
  readonly #onDone: () => void;

  constructor(onDone: () => void) {
    this.#onDone = onDone;
  }

  /** Hands a message to the reader (or buffers it). */
  push(message: JsonRpcMessage): void {
    if (this.#done) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: message, done: false });
    } else {
      this.#buffer.push(message);
    }
  }

  /** Ends the iteration once the buffer is read. */
  end(): void {
    this.#finish(undefined);
  }

  /** Ends the iteration with an error once the buffer is read. */
  fail(error: Error): void {
    this.#finish(error);
  }

  next(): Promise<IteratorResult<JsonRpcMessage>> {
    const message = this.#buffer.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.#done) {
      const error = this.#error;
      this.#error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<JsonRpcMessage>> {
    this.#buffer = [];
    this.#finish(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<JsonRpcMessage> {
    return this;
  }

  #finish(error: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#onDone();
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    this.#error = undefined;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }
}
