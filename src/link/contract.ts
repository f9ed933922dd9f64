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

import type { AnyEventObject, CallbackActorLogic, CallbackLogicFunction, EventObject } from 'xstate';
import type { JsonRpcMessage, RequestId } from '../codec/jsonrpc.js';
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
  /**
   * A request written to this link will not be answered on it, though the link lives on
   * (HTTP: its own response stream broke or carried garbage). `reissue`: the request may or
   * may not have reached the server (the runtime re-issues it with a new id in the modern
   * era, or fails it with the connection-lost error); `fail`: the server answered unusably
   * (the runtime fails it with `error`).
   */
  unanswered(id: RequestId, error: LinkError, disposition: 'reissue' | 'fail'): void;
  /** The server assigned (or dropped, with undefined) an HTTP session id. */
  session(sessionId: string | undefined): void;
}

/** Per-message options the runtime passes through to links with per-request streams (HTTP). */
export interface LinkSendOptions {
  /** Extra request headers (reserved names are not overridable). */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Aborts the request's stream silently (the modern era's cancellation). */
  signal?: AbortSignal | undefined;
  /** Called once the request's response stream has ended, however it ended. */
  onStreamEnd?: (() => void) | undefined;
  /** Called with each SSE event id on the request's stream (the SDK's `onresumptiontoken`). */
  onResumptionToken?: ((token: string) => void) | undefined;
  /**
   * The SDK's `resumptionToken`: instead of sending the request, resume the stream that
   * carried it from this event id (Streamable HTTP: a GET with `Last-Event-ID`); its answer
   * is delivered under the request's id. Given only to links with `perRequestStreams`.
   */
  resumptionToken?: string | undefined;
}

/**
 * How a link authenticates its HTTP requests (the `Authorization` header). Given by the
 * runtime; the link knows no OAuth: it asks for the header before each request and, when a
 * request is refused with 401 or 403, asks once what to do.
 */
export interface LinkAuth {
  /** The `Authorization` value for the next request (waits for a refresh in flight); undefined: none. */
  authorization(): Promise<string | undefined>;
  /**
   * A request was refused with 401 or 403. Resolves `retry` once new credentials are ready
   * (the link sends that request again, ONCE, with `authorization()` read again), or `pass`
   * when the refusal is not an authorization matter (the link treats it as it would without
   * auth). Rejects with the error the request fails with: for a 401 the link goes down with
   * it; a 403 fails only that request.
   */
  challenged(challenge: AuthChallenge): Promise<'retry' | 'pass'>;
}

/** A request refused with 401 or 403, as a link reports it to its {@link LinkAuth}. */
export interface AuthChallenge {
  status: 401 | 403;
  /** Every `WWW-Authenticate` value of the response, joined with `, `. */
  wwwAuthenticate: string | undefined;
  /** The `Authorization` value the refused request carried. */
  sent: string | undefined;
  /** Which request: a message POST, a stream GET, the session DELETE, or a WebSocket upgrade. */
  what: 'POST' | 'GET' | 'DELETE' | 'upgrade';
  /** The start of the response body (at most 4 KiB), for providers that read it. */
  text?: string | undefined;
}

/** What a live link offers the runtime once it is up. */
export interface LinkHandle {
  /**
   * Writes one message. Resolves once written (or accepted by the OS buffer), rejects with a
   * {@link LinkError} when the link cannot take it. Never hangs: a dead link rejects.
   */
  send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void>;
  /** The child's process id, for stdio-like links. */
  pid?: number;
  /** Each request has its own response stream (Streamable HTTP): a broken one loses only it. */
  perRequestStreams?: boolean;
  /**
   * A transport-level liveness probe (WebSocket ping): resolves when the peer answers, rejects
   * when the link dies first. The heartbeat uses it in either era instead of MCP `ping`; the
   * machine's `heartbeat.timeoutMs` bounds the wait.
   */
  ping?(): Promise<void>;
  /** The negotiated protocol version, for links that put it on the wire (HTTP headers). */
  setProtocolVersion?(version: string): void;
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

/**
 * Link logic whose cleanup goes on after its actor has stopped (the Docker link removes its
 * container asynchronously): `released()` resolves once everything its actors started is gone.
 * `close()` waits for it, whatever state it closed from.
 */
export type ReleasingLinkLogic = LinkLogic & { released(): Promise<void> };

/**
 * The body of a link actor: what `fromCallback` runs. Links that are composed (the automatic
 * Streamable HTTP / HTTP+SSE choice) export this as well as their logic.
 */
export type LinkCallback = CallbackLogicFunction<LinkCloseEvent, AnyEventObject, LinkInput>;
