/**
 * The link actor contract: what every transport provides to the connection machine.
 *
 * A link is one live attempt: one process, one socket, one container. Its actor
 *  - opens the resource and reports `link.up` with a direct `send`, or `link.down` with a
 *    typed error that says whether retrying can help;
 *  - hands inbound messages straight to the runtime's {@link LinkSink} (never as machine
 *    events: the data path bypasses the machine), and non-fatal problems as diagnostics;
 *  - reports `link.down` exactly once when the resource dies;
 *  - on `link.close` shuts down gracefully within the steps it is given, then reports
 *    `link.closed`; its cleanup always releases everything, even when stopped mid-connect.
 * Transports know nothing of backoff, queues or sessions.
 */

import type { CallbackActorLogic, EventObject } from 'xstate';
import type { JsonRpcMessage } from '../codec/jsonrpc.js';
import type { LinkError } from '../errors.js';

/** A non-fatal observation from a link: a stderr line, a garbage line, a protocol oddity. */
export interface Diagnostic {
  /** Where it came from: `stderr`, `stdout`, `codec`, `process`, `link`, ... */
  source: string;
  /** `debug` for chatter (stderr), `warn` for things a user should see. */
  level: 'debug' | 'info' | 'warn' | 'error';
  /** Human-readable text; never contains configured secrets. */
  message: string;
  /** A typed error, for problems. */
  error?: Error;
}

/** Where a link delivers what it reads. Provided by the runtime. */
export interface LinkSink {
  /** One inbound JSON-RPC message, already framed and validated. */
  message(message: JsonRpcMessage): void;
  /** A non-fatal observation. */
  diagnostic(diagnostic: Diagnostic): void;
  /**
   * An inbound message over `limits.maxMessageBytes` was dropped. `head` and `tail` are its
   * edges, from which the runtime recovers the request id to fail that request.
   */
  oversize(info: { bytes: number; head: string; tail: string }): void;
  /** Bytes were read (any bytes): the heartbeat measures silence from the last one. */
  activity(): void;
}

/** What a live link offers the runtime once it is up. */
export interface LinkHandle {
  /**
   * Writes one message. Resolves once written (or accepted by the OS buffer), rejects with a
   * {@link LinkError} when the link cannot take it. Never hangs: a dead link rejects.
   */
  send(message: JsonRpcMessage): Promise<void>;
  /** The child's process id, for stdio-like links. */
  pid?: number;
}

/** The events a link actor sends to the connection machine. */
export type LinkEvent =
  | { type: 'link.up'; link: LinkHandle }
  | { type: 'link.down'; error: LinkError }
  | { type: 'link.closed' };

/** The event the connection machine sends to the link actor. */
export interface LinkCloseEvent {
  type: 'link.close';
  /** Length of each graceful step, in ms. */
  closeMs: number;
}

/** What the machine gives a link actor when it starts one. */
export interface LinkInput {
  /** Which attempt this is (0 for the first, n for the n-th retry). */
  attempt: number;
}

/** The logic of a link actor: a callback actor that receives `link.close`. */
export type LinkLogic = CallbackActorLogic<LinkCloseEvent, LinkInput, EventObject>;
