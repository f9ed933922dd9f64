/**
 * The supervisor statechart: the root of one actor system whose children are the connection
 * actors of every configured server (one per server, spawned under the server's name). It
 * keeps a summary of each child's lifecycle in context, so the whole fleet is one snapshot in
 * the inspector, and it knows when the fleet is closing and closed.
 *
 * It does no I/O and keeps no policy of its own: each child applies its server's policy. The
 * runtime side (`Supervisor`, ./index.ts) builds each child's machine and reports changes here.
 */

import { type AnyActorLogic, type AnyActorRef, assign, setup } from 'xstate';
import type { ConnectionInput, ConnectionMachine, ConnectionState } from './connection.js';

/** What the supervisor remembers of one server. Numbers, names and codes; never messages or secrets. */
export interface ServerSummary {
  state: ConnectionState;
  /** Retries since the link last proved itself. */
  attempt: number;
  /** In `reconnecting`: the wait before the next attempt, in ms. */
  delayMs: number;
  /** When the state was entered (ms, the supervisor's clock). */
  since: number;
  /** The last failure: its code and message (already redacted by the transport). */
  error: { code: string; message: string } | undefined;
}

export interface SupervisorContext {
  /** One summary per server, in configuration order. */
  servers: Record<string, ServerSummary>;
}

export type SupervisorEvent =
  | { type: 'server.spawn'; name: string; machine: ConnectionMachine; input: ConnectionInput }
  /** The servers whose lifecycle changed since the last report, by name (one report per event-loop turn). */
  | { type: 'server.status'; summaries: Readonly<Record<string, ServerSummary>> }
  | { type: 'supervisor.close' }
  | { type: 'supervisor.closed' };

type SpawnAny = (
  logic: AnyActorLogic,
  options: { id: string; systemId: string; input: unknown },
) => AnyActorRef;

/** The system id of a server's connection actor: `system.get(serverSystemId(name))`. */
export function serverSystemId(name: string): string {
  return `server:${name}`;
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actions: {
    // The summary comes with the first `server.status` (the runtime reports every server it
    // spawned, together): adding it here would copy the whole table once per server.
    spawnServer: assign(({ event, spawn }) => {
      if (event.type !== 'server.spawn') return {};
      // The transport hands over the machine with the input that carries its hooks.
      (spawn as unknown as SpawnAny)(event.machine, {
        id: event.name,
        systemId: serverSystemId(event.name),
        input: event.input,
      });
      return {};
    }),
    // Many changes in one event: each event copies the whole table (context is immutable).
    recordStatus: assign(({ context, event }) => {
      if (event.type !== 'server.status') return {};
      return { servers: { ...context.servers, ...event.summaries } };
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: { servers: {} },
  initial: 'running',
  on: {
    'server.status': { actions: 'recordStatus' },
  },
  states: {
    running: {
      on: {
        'server.spawn': { actions: 'spawnServer' },
        'supervisor.close': 'closing',
      },
    },
    closing: {
      on: { 'supervisor.closed': 'closed' },
    },
    closed: { type: 'final' },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
