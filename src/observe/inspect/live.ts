/**
 * The live source of `lifeline inspect`: every agent that publishes its connections on a control
 * socket (docs/observability.md), found by looking in the control folder every second, followed
 * with `watch` (each journal entry as it happens) and `status` (the snapshots, asked again after
 * each entry and every second, so counters and round trips stay current). An agent that ends
 * stays on the page, marked ended.
 */

import { type AgentInfo, attachAgent, type ControlClient, listAgents } from '../control/client.js';
import type { AgentStatus } from '../control/protocol.js';
import type { JournalEntry, JournalRecord } from '../journal/entry.js';
import { type InspectHub, MAX_ENTRIES } from './hub.js';

/** How often the control folder is looked at and snapshots are asked again, in ms. */
const POLL_MS = 1000;
/** A burst of journal entries asks for one snapshot, this long after the first, in ms. */
const SETTLE_MS = 30;

/** Options of {@link followAgents}. */
export interface FollowOptions {
  /** Only these agents (by pid or name); default every one. */
  only?: (agent: AgentInfo) => boolean;
  /** The control folder; default the user's. */
  dir?: string;
  /** Told when an agent is followed or ends (the CLI prints it). */
  onAgent?: (event: 'attached' | 'ended', agent: AgentInfo, detail?: string) => void;
}

/** Follows agents into the hub until the returned stop is called. */
export function followAgents(hub: InspectHub, options: FollowOptions = {}): { stop(): void } {
  const followed = new Map<number, Followed>();
  let stopped = false;

  const look = (): void => {
    if (stopped) return;
    for (const agent of listAgents(options.dir === undefined ? {} : { dir: options.dir })) {
      if (followed.has(agent.pid) || (options.only !== undefined && !options.only(agent))) continue;
      const follower = new Followed(hub, agent, () => stopped, options);
      followed.set(agent.pid, follower);
      void follower.start();
    }
    for (const follower of followed.values()) follower.refresh();
  };
  look();
  const timer = setInterval(look, POLL_MS);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      for (const follower of followed.values()) follower.close();
    },
  };
}

/** One agent followed. */
class Followed {
  readonly #hub: InspectHub;
  readonly #agent: AgentInfo;
  readonly #key: string;
  readonly #stopped: () => boolean;
  readonly #options: FollowOptions;
  #client: ControlClient | undefined;
  #settle: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(hub: InspectHub, agent: AgentInfo, stopped: () => boolean, options: FollowOptions) {
    this.#hub = hub;
    this.#agent = agent;
    this.#key = String(agent.pid);
    this.#stopped = stopped;
    this.#options = options;
  }

  async start(): Promise<void> {
    try {
      const client = await attachAgent(this.#agent);
      if (this.#stopped()) {
        client.close();
        return;
      }
      this.#client = client;
      // Entries heard while the history is on its way wait for it: the page gets them in order.
      let early: JournalRecord[] | undefined = [];
      const status = await client.watch((event) => {
        if (event.method === 'journal.entry') {
          if (early === undefined) this.#addEntries([event.params]);
          else early.push(event.params);
        }
        this.#refreshSoon();
      });
      this.#show(status);
      this.#addEntries(await client.journal({ limit: MAX_ENTRIES }));
      this.#addEntries(early);
      early = undefined;
      this.#options.onAgent?.('attached', this.#agent);
      client.closed.then(
        () => this.#end(),
        () => this.#end(),
      );
    } catch (error) {
      this.#hub.setAgent({
        key: this.#key,
        pid: this.#agent.pid,
        name: this.#agent.name,
        startedAt: 0,
        ended: true,
        error: (error as Error).message,
        connections: [],
      });
      this.#ended = true;
      this.#options.onAgent?.('ended', this.#agent, (error as Error).message);
    }
  }

  /** Asks for a fresh snapshot (the counters and round trips move without journal entries). */
  refresh(): void {
    const client = this.#client;
    if (client === undefined || this.#ended) return;
    client.status().then(
      (status) => this.#show(status),
      () => {},
    );
  }

  close(): void {
    clearTimeout(this.#settle);
    this.#client?.close();
  }

  #refreshSoon(): void {
    if (this.#settle !== undefined) return;
    this.#settle = setTimeout(() => {
      this.#settle = undefined;
      this.refresh();
    }, SETTLE_MS);
  }

  #show(status: AgentStatus): void {
    if (this.#ended) return;
    this.#hub.setAgent({
      key: this.#key,
      pid: status.pid,
      name: status.name,
      startedAt: status.startedAt,
      ended: false,
      connections: status.connections,
    });
  }

  #addEntries(records: readonly JournalRecord[]): void {
    const byConnection = new Map<string, JournalEntry[]>();
    for (const { connection, ...entry } of records) {
      const list = byConnection.get(connection) ?? [];
      list.push(entry as JournalEntry);
      byConnection.set(connection, list);
    }
    for (const [connection, entries] of byConnection) this.#hub.addEntries(this.#key, connection, entries);
  }

  #end(): void {
    if (this.#ended || this.#stopped()) return;
    this.#ended = true;
    clearTimeout(this.#settle);
    this.#hub.endAgent(this.#key);
    this.#options.onAgent?.('ended', this.#agent);
  }
}
