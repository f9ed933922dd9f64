/**
 * What the `lifeline inspect` page hears on its WebSocket (`/live`): plain data, one JSON
 * object per frame, server to page only. The page (assets/inspect/app.js) renders these and
 * nothing else; docs/observability.md documents them.
 */

import type { StateGraph } from '../../machines/diagram.js';
import type { ConnectionSnapshot } from '../control/protocol.js';
import type { JournalEntry } from '../journal/entry.js';

/** One agent as the page shows it: a process publishing its connections, or a replayed file. */
export interface AgentView {
  /** Stable while the page runs: the pid, or `replay`. */
  key: string;
  pid: number;
  name: string;
  startedAt: number;
  /** The process has ended (its last state stays on the page), or the view is a replay. */
  ended: boolean;
  /** Why the agent could not be read, when it could not. */
  error?: string;
  connections: ConnectionSnapshot[];
}

/** An XState actor of the user's, received through the `@statelyai/inspect` protocol. */
export interface ActorView {
  sessionId: string;
  name: string;
  parentId?: string;
  /** Its statechart, when its definition arrived and could be read. */
  graph: StateGraph | null;
  /** Its snapshot's `value`: a state name, or an object for nested and parallel states. */
  value: unknown;
  status: string;
}

/** A frame of the page's feed. */
export type PageMessage =
  | { type: 'hello'; mode: 'live' | 'replay'; source?: string; lifecycle: StateGraph; now: number }
  | { type: 'agents'; agents: AgentView[]; now: number }
  | {
      type: 'entries';
      agent: string;
      connection: string;
      entries: JournalEntry[];
      /** The connection's journal started again (a new transport of that name): drop its old entries. */
      reset?: true;
    }
  | { type: 'actor'; actor: ActorView }
  | { type: 'actor.snapshot'; sessionId: string; value: unknown; status: string; event: string; t: number }
  | { type: 'actor.event'; sessionId: string; event: string; t: number };
