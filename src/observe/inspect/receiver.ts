/**
 * The `@statelyai/inspect` WebSocket protocol, received: a user's `createWebSocketInspector({
 * url })` pointed at `lifeline inspect` sends `@xstate.actor` (with the machine's config as a
 * JSON string in `definition`), `@xstate.snapshot` and `@xstate.event` frames, and the page
 * shows each actor's statechart with its current state. The definition is read by XState's own
 * `createMachine`, so targets, nesting and delays resolve exactly as they do in the user's code;
 * its implementations arrive as `{ type: name }` placeholders and are never run.
 *
 * Anything else on the socket (other frame types, broken JSON, a definition XState refuses) is
 * counted and skipped: a user's stream never stops the page.
 */

import { createMachine } from 'xstate';
import { type StateGraph, toGraph } from '../../machines/diagram.js';
import type { InspectHub } from './hub.js';

/** The longest frame read from an inspector, in bytes. */
export const MAX_INSPECTOR_FRAME_BYTES = 1024 * 1024;

/** What became of one frame. */
export type Received = 'actor' | 'snapshot' | 'event' | 'ignored';

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : fallback;
}

/** The event's type, from `{ type }` or a bare string. */
function eventType(event: unknown): string {
  if (typeof event === 'string') return text(event, '');
  if (typeof event === 'object' && event !== null) return text((event as { type?: unknown }).type, '');
  return '';
}

/**
 * A machine config's statechart; null for an actor without states (the inspector sends `{ id }`
 * for promise and callback actors) or without a definition.
 *
 * @throws when the definition is not JSON, not an object, or a config XState refuses.
 */
export function graphOfDefinition(definition: unknown): StateGraph | null {
  if (definition === undefined || definition === null) return null;
  if (typeof definition !== 'string') throw new TypeError('the definition is not a string');
  const config = JSON.parse(definition) as unknown;
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new TypeError('the definition is not a machine config');
  const graph = toGraph(createMachine(config as Parameters<typeof createMachine>[0]));
  return graph.nodes.length === 0 ? null : graph;
}

/** Reads one frame of an inspector's stream into the hub. */
export function receiveInspection(hub: InspectHub, frame: string): Received {
  let message: Record<string, unknown>;
  try {
    const parsed = JSON.parse(frame) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'ignored';
    message = parsed as Record<string, unknown>;
  } catch {
    return 'ignored';
  }
  const sessionId = message.sessionId;
  if (typeof sessionId !== 'string' || sessionId === '') return 'ignored';
  const snapshot = (
    typeof message.snapshot === 'object' && message.snapshot !== null ? message.snapshot : {}
  ) as {
    value?: unknown;
    status?: unknown;
  };
  switch (message.type) {
    case '@xstate.actor': {
      let graph: StateGraph | null;
      try {
        graph = graphOfDefinition(message.definition);
      } catch {
        return 'ignored';
      }
      hub.setActor({
        sessionId,
        name: text(message.name, sessionId),
        ...(typeof message.parentId === 'string' ? { parentId: message.parentId } : {}),
        graph,
        value: snapshot.value ?? null,
        status: text(snapshot.status, 'active'),
      });
      return 'actor';
    }
    case '@xstate.snapshot':
      hub.actorSnapshot(
        sessionId,
        snapshot.value ?? null,
        text(snapshot.status, 'active'),
        eventType(message.event),
      );
      return 'snapshot';
    case '@xstate.event':
      hub.actorEvent(sessionId, eventType(message.event));
      return 'event';
    default:
      return 'ignored';
  }
}
