/**
 * The control socket's protocol, `lifeline-control` version 1 (docs/observability.md): JSON-RPC
 * 2.0 messages, one per line, over a Unix socket. The agent speaks first with a `hello`
 * notification naming the protocol and its version; a client then asks `status`, `journal` or
 * `watch`, and after `watch` hears `journal.entry`, `connection.published` and
 * `connection.unpublished` notifications until it disconnects. Everything here is plain data:
 * no secret, no message content ever travels on the socket.
 */

import type { JournalError, JournalRecord } from '../journal/entry.js';

/** The protocol's name, in `hello`. */
export const CONTROL_PROTOCOL = 'lifeline-control';
/** The protocol's version, in `hello`. A client refuses a major version it does not know. */
export const CONTROL_VERSION = 1;
/** The longest request line an agent reads; a longer one closes the client. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** The first line an agent writes. */
export interface Hello {
  protocol: typeof CONTROL_PROTOCOL;
  version: number;
  pid: number;
  name: string;
  /** When the agent started publishing (ms since the epoch). */
  startedAt: number;
}

/** One connection as the control socket shows it. */
export interface ConnectionSnapshot {
  name: string;
  /** `stdio`, `http`, `ws` or `docker`. */
  type: string;
  state: string;
  attempt: number;
  delayMs: number;
  /** When the state was entered (ms since the epoch, the connection's clock). */
  since: number;
  /** In `reconnecting`: when the next attempt starts. */
  nextRetryAt?: number;
  error?: JournalError;
  era?: string;
  protocolVersion?: string;
  /** `required` or `waiting`, when a sign-in is involved. */
  authorization?: string;
  /** Round trip of the latest answered request, in ms. */
  roundTripMs?: number;
  /** Round trip of the latest heartbeat probe, in ms. */
  heartbeatRttMs?: number;
  stats: Readonly<Record<string, number>>;
  journal: { entries: number; capacity: number } | null;
}

/** The answer to `status`. */
export interface AgentStatus extends Hello {
  connections: ConnectionSnapshot[];
}

/** The params of `journal`: one connection's (or every connection's) entries, the newest `limit`. */
export interface JournalParams {
  connection?: string;
  limit?: number;
}

/** The params of `watch`: one connection, or all. */
export interface WatchParams {
  connection?: string;
}

/** A notification a watching client hears. */
export type ControlEvent =
  | { method: 'journal.entry'; params: JournalRecord }
  | { method: 'connection.published'; params: ConnectionSnapshot }
  | { method: 'connection.unpublished'; params: { name: string } };

/** JSON-RPC error codes the agent answers with. */
export const ControlRpcError = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
} as const;
