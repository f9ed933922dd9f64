/**
 * The client's side of the data path: every inbound message (and every synthesized answer)
 * goes to `onmessage` and to each pull-style reader; out-of-band problems go to `onerror`;
 * diagnostics go to the logger. A throwing handler never breaks the data path.
 */

import type { JsonRpcMessage, JsonRpcMessageInput } from '../../codec/jsonrpc.js';
import { type LifelineError, toError } from '../../errors.js';
import type { Diagnostic } from '../../link/contract.js';
import type { RuntimeLogger } from '../logger.js';
import { MessageStream } from './message-stream.js';

/** The callbacks the SDK sets on a transport (read at each call: the SDK sets them late). */
export interface InboundTarget {
  onmessage?: ((message: JsonRpcMessageInput) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
}

/** The inbound side of the data path: hands what the link received (or the runtime answered) to the client. */
export class Inbound {
  readonly #target: InboundTarget;
  readonly #log: RuntimeLogger;
  readonly #streams = new Set<MessageStream>();
  /** Also hears every error given to `onerror` (the journal). */
  readonly #observe: ((error: Error) => void) | undefined;
  /** Messages delivered so far. */
  received = 0;

  constructor(target: InboundTarget, log: RuntimeLogger, observe?: (error: Error) => void) {
    this.#target = target;
    this.#log = log;
    this.#observe = observe;
  }

  /** Delivers one message to the client. */
  message(message: JsonRpcMessage): void {
    this.received += 1;
    try {
      this.#target.onmessage?.(message);
    } catch (error) {
      this.error(toError(error));
    }
    for (const stream of this.#streams) stream.push(message);
  }

  /** Reports an out-of-band problem through `onerror`. */
  error(error: Error): void {
    this.#observe?.(error);
    try {
      this.#target.onerror?.(error);
    } catch {
      // A throwing error handler must not break the data path.
    }
  }

  /** Logs a link's diagnostic at its level (secrets are redacted by the logger). */
  diagnostic(diagnostic: Diagnostic): void {
    const fields =
      diagnostic.error === undefined
        ? { source: diagnostic.source }
        : { source: diagnostic.source, code: (diagnostic.error as LifelineError).code };
    this.#log[diagnostic.level](diagnostic.message, fields);
  }

  /** A new pull-style reader of every message from now on. */
  reader(): MessageStream {
    const stream = new MessageStream(() => this.#streams.delete(stream));
    this.#streams.add(stream);
    return stream;
  }

  /** The connection gave up: every reader throws the error. */
  fail(error: LifelineError): void {
    for (const stream of this.#streams) stream.fail(error);
  }

  /** The transport closed: every reader's iteration ends. */
  end(): void {
    for (const stream of this.#streams) stream.end();
  }
}
