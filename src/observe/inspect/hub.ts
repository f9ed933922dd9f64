/**
 * What the `lifeline inspect` page shows, held in one place: the agents and their connections,
 * each connection's journal, and the XState actors received from `@statelyai/inspect`. Sources
 * (live agents, a replayed file, inspector sockets) write here; every page subscribed hears
 * each change as a {@link PageMessage}, and a page that joins late gets the whole picture first.
 *
 * Memory stays bounded however long it runs: at most {@link MAX_ENTRIES} journal entries per
 * connection, {@link MAX_ACTORS} actors and {@link MAX_ACTOR_EVENTS} events each.
 */

import type { StateGraph } from '../../machines/diagram.js';
import type { JournalEntry } from '../journal/entry.js';
import type { ActorView, AgentView, PageMessage } from './messages.js';

/** Journal entries kept per connection (the newest). */
export const MAX_ENTRIES = 1000;
/** Actors kept; the oldest goes first. */
export const MAX_ACTORS = 200;
/** Events kept per actor (the newest). */
export const MAX_ACTOR_EVENTS = 100;
/** Agent lists are sent at most this often, in ms: a burst of changes is one frame. */
const AGENTS_EVERY_MS = 100;

type Listener = (message: PageMessage) => void;

interface ActorRecord {
  view: ActorView;
  /** The latest snapshots and events, replayed to a page that joins. */
  recent: PageMessage[];
}

/** Keeps the newest `max` items of a list. */
function keepNewest<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

export class InspectHub {
  readonly mode: 'live' | 'replay';
  readonly source: string | undefined;
  readonly #lifecycle: StateGraph;
  readonly #now: () => number;
  readonly #agents = new Map<string, AgentView>();
  /** Per agent key, per connection name: the journal, oldest first. */
  readonly #entries = new Map<string, Map<string, JournalEntry[]>>();
  readonly #actors = new Map<string, ActorRecord>();
  readonly #listeners = new Set<Listener>();
  #agentsTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    mode: 'live' | 'replay';
    source?: string;
    lifecycle: StateGraph;
    now?: () => number;
  }) {
    this.mode = options.mode;
    this.source = options.source;
    this.#lifecycle = options.lifecycle;
    this.#now = options.now ?? Date.now;
  }

  /** Hears every change from now on; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The whole picture, as the frames a page that just joined needs. */
  welcome(): PageMessage[] {
    const frames: PageMessage[] = [
      {
        type: 'hello',
        mode: this.mode,
        ...(this.source === undefined ? {} : { source: this.source }),
        lifecycle: this.#lifecycle,
        now: this.#now(),
      },
      this.#agentsFrame(),
    ];
    for (const [agent, connections] of this.#entries) {
      for (const [connection, entries] of connections) {
        if (entries.length > 0) frames.push({ type: 'entries', agent, connection, entries: [...entries] });
      }
    }
    for (const { view, recent } of this.#actors.values())
      frames.push({ type: 'actor', actor: view }, ...recent);
    return frames;
  }

  /** An agent appeared or changed (its connections' snapshots are replaced). */
  setAgent(agent: AgentView): void {
    this.#agents.set(agent.key, agent);
    this.#agentsChanged();
  }

  /** The agent's process ended: it stays on the page, marked. */
  endAgent(key: string, error?: string): void {
    const agent = this.#agents.get(key);
    if (agent === undefined) return;
    this.#agents.set(key, { ...agent, ended: true, ...(error === undefined ? {} : { error }) });
    this.#agentsChanged();
  }

  get agentCount(): number {
    return this.#agents.size;
  }

  /**
   * Appends journal entries of one connection, skipping those it already has (by `seq`). An entry
   * numbered 1 after others is a new journal (the process made a new transport of that name): the
   * old entries give way to it, and pages are told to start that log afresh.
   */
  addEntries(agent: string, connection: string, entries: readonly JournalEntry[]): void {
    let connections = this.#entries.get(agent);
    if (connections === undefined) {
      connections = new Map();
      this.#entries.set(agent, connections);
    }
    const last = connections.get(connection)?.at(-1)?.seq ?? 0;
    const reset = last > 0 && entries[0]?.seq === 1;
    const list = reset ? [] : (connections.get(connection) ?? []);
    connections.set(connection, list);
    const fresh = reset ? [...entries] : entries.filter((entry) => entry.seq > last);
    if (fresh.length === 0) return;
    list.push(...fresh);
    keepNewest(list, MAX_ENTRIES);
    this.#send({ type: 'entries', agent, connection, entries: fresh, ...(reset ? { reset: true } : {}) });
  }

  /** An actor was created (or its definition arrived again). */
  setActor(view: ActorView): void {
    const known = this.#actors.get(view.sessionId);
    if (known === undefined) {
      if (this.#actors.size >= MAX_ACTORS) {
        const oldest = this.#actors.keys().next().value;
        if (oldest !== undefined) this.#actors.delete(oldest);
      }
      this.#actors.set(view.sessionId, { view, recent: [] });
    } else known.view = view;
    this.#send({ type: 'actor', actor: view });
  }

  /** An actor's state changed. Unknown actors are ignored: their definition never came. */
  actorSnapshot(sessionId: string, value: unknown, status: string, event: string): void {
    const record = this.#actors.get(sessionId);
    if (record === undefined) return;
    record.view = { ...record.view, value, status };
    this.#remember(record, { type: 'actor.snapshot', sessionId, value, status, event, t: this.#now() });
  }

  /** An actor received an event. */
  actorEvent(sessionId: string, event: string): void {
    const record = this.#actors.get(sessionId);
    if (record === undefined) return;
    this.#remember(record, { type: 'actor.event', sessionId, event, t: this.#now() });
  }

  /** Stops the pending agents frame. */
  close(): void {
    clearTimeout(this.#agentsTimer);
    this.#listeners.clear();
  }

  #remember(record: ActorRecord, message: PageMessage): void {
    record.recent.push(message);
    keepNewest(record.recent, MAX_ACTOR_EVENTS);
    this.#send(message);
  }

  #agentsFrame(): PageMessage {
    return { type: 'agents', agents: [...this.#agents.values()], now: this.#now() };
  }

  #agentsChanged(): void {
    if (this.#agentsTimer !== undefined) return;
    this.#agentsTimer = setTimeout(() => {
      this.#agentsTimer = undefined;
      this.#send(this.#agentsFrame());
    }, AGENTS_EVERY_MS);
  }

  #send(message: PageMessage): void {
    for (const listener of this.#listeners) listener(message);
  }
}
