/**
 * What a transport shows its host: the counters of `transport.stats`, and the `ActorHost`
 * through which a supervisor makes the transport's connection actor one of its children.
 */

import type { Actor } from 'xstate';
import type { ConnectionInput, ConnectionMachine } from '../machines/connection.js';

/** Counters: every outbound message ends in `written` or `failed`. */
export interface TransportStats {
  /** Messages written to a link. */
  written: number;
  /** Inbound messages delivered to the client. */
  received: number;
  /** Messages waiting in the queue now. */
  queued: number;
  /** Outbound messages failed to their caller (rejected sends, synthesized error responses, dropped notifications). */
  failed: number;
  /** Sessions re-established on a new link. */
  reestablished: number;
  /** Requests re-issued under a new id after their response stream broke (modern era, HTTP). */
  reissued: number;
  /** Links started. */
  links: number;
}

/**
 * Where a transport's connection actor lives when it is not a root actor of its own: a
 * supervisor spawns it as a child of its system (one inspector, one clock for all).
 */
export interface ActorHost {
  /** Spawns `machine` (the connection machine) with `input` and returns the running child. */
  spawn(machine: ConnectionMachine, input: ConnectionInput): Actor<ConnectionMachine>;
}
