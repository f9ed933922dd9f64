/**
 * `createSupervisor(config)`: one supervised connection per configured server, all children of
 * one actor system (one inspector, one clock). Each server keeps its own policy; the
 * supervisor adds what only a fleet needs: reconnects spread with wider jitter by default (a
 * shared backend's restart must not make every connection retry at the same instant), one
 * status table, a transport per server by name, and one deadline to close them all.
 */

import { type Actor, createActor } from 'xstate';
import { ConfigError } from '../errors.js';
import type { ConnectionMachine } from '../machines/connection.js';
import { type ServerSummary, type SupervisorMachine, supervisorMachine } from '../machines/supervisor.js';
import type { TransportConfig } from '../runtime/options/resolve.js';
import { LifelineTransport } from '../runtime/transport.js';
import { pacedClock } from './clock.js';
import { fleetServers } from './options.js';
import { indexScheduledEvents } from './scheduler.js';
import { type ServerStatus, statusOf, summaryOf } from './status.js';
import type { SupervisorCloseReport, SupervisorConfig } from './types.js';

export type {
  ServerSummary,
  SupervisorContext,
  SupervisorEvent,
  SupervisorMachine,
} from '../machines/supervisor.js';
export { serverSystemId, supervisorMachine } from '../machines/supervisor.js';
export { FLEET_JITTER } from './options.js';
export type { ServerStatus } from './status.js';
export type { SupervisorCloseReport, SupervisorConfig, SupervisorDefaults } from './types.js';

const DEFAULT_CLOSE_DEADLINE_MS = 10_000;
/**
 * Servers `start()` starts per event-loop turn: starting a link is a burst of synchronous work
 * (an actor transition, a socket or a process), and 1,000 in one turn held the event loop for
 * over 100 ms (docs/benchmarks.md, "1,000 connections in one process").
 */
const START_SLICE = 16;
/** How often lifecycle changes reach the machine's context, at most (ms; see #report). */
const REPORT_EVERY_MS = 100;

/** Many supervised connections, one actor system. */
export class Supervisor {
  /** The root actor: the supervisor machine, whose children are the connection actors. */
  readonly actor: Actor<SupervisorMachine>;
  readonly #transports = new Map<string, LifelineTransport>();
  readonly #listeners = new Set<(status: ServerStatus) => void>();
  readonly #now: () => number;
  readonly #closeDeadlineMs: number;
  #closing: Promise<SupervisorCloseReport> | undefined;
  /** Summaries not yet in the machine's context (see #report). */
  readonly #unreported = new Map<string, ServerSummary>();
  #reporting: NodeJS.Timeout | undefined;

  constructor(config: SupervisorConfig) {
    // Every configuration is checked before anything is spawned: one error lists every problem.
    const built = fleetServers(config);
    const clock = config.clock;
    this.#now = clock?.now === undefined ? Date.now : () => (clock.now as () => number)();
    this.#closeDeadlineMs = config.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;

    const options: Parameters<typeof createActor<SupervisorMachine>>[1] = {};
    // Real time by default, paced: timers due together must not run all in one turn (./clock.ts).
    options.clock = (clock ?? pacedClock()) as NonNullable<typeof options.clock>;
    if (config.inspect !== undefined) options.inspect = config.inspect;
    this.actor = createActor(supervisorMachine, options);
    // Every connection and link actor of the fleet shares this system: stopping one must not
    // walk every server's timers (./scheduler.ts).
    indexScheduledEvents(this.actor.system);
    this.actor.start();
    for (const { name, config: server } of built) {
      const transport = this.#spawn(name, server);
      this.#transports.set(name, transport);
      transport.subscribe(() => this.#report(name, transport));
      this.#unreported.set(name, summaryOf(transport.status));
    }
    // Every server's first summary in one event, in configuration order.
    this.#flushReports();
  }

  /** The server names, in configuration order. */
  get names(): string[] {
    return [...this.#transports.keys()];
  }

  /**
   * The transport of one server: hand it to an SDK `Client` (`client.connect(transport)`).
   *
   * @throws {ConfigError} when no server has that name.
   */
  transport(name: string): LifelineTransport {
    const transport = this.#transports.get(name);
    if (transport === undefined)
      throw new ConfigError([`no server named "${name}" (servers: ${this.names.join(', ') || 'none'})`]);
    return transport;
  }

  /**
   * Starts every connection, {@link START_SLICE} per event-loop turn. Resolves, with the status
   * of all, once each server has opened, failed, or failed its first attempt (it keeps retrying
   * by its policy); never rejects for one server's failure.
   */
  async start(): Promise<ServerStatus[]> {
    const transports = [...this.#transports.values()];
    const settled: Promise<void>[] = [];
    for (let i = 0; i < transports.length && this.#closing === undefined; i += START_SLICE) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const transport of transports.slice(i, i + START_SLICE)) settled.push(startOne(transport));
    }
    await Promise.all(settled);
    this.#flushReports();
    return this.status();
  }

  /** Every server's status, in configuration order. */
  status(): ServerStatus[] {
    return [...this.#transports].map(([name, transport]) => statusOf(name, transport));
  }

  /** Hears every server's lifecycle changes; returns the unsubscribe function. */
  subscribe(listener: (status: ServerStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Closes every connection in parallel under one deadline (`closeDeadlineMs`), then stops the
   * actor system. Resolves with who closed in time; never rejects. Idempotent.
   */
  close(): Promise<SupervisorCloseReport> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(() => {});
  }

  #spawn(name: string, config: TransportConfig): LifelineTransport {
    return new LifelineTransport(config, {
      spawn: (machine: ConnectionMachine, input) => {
        this.actor.send({ type: 'server.spawn', name, machine, input });
        const child = (this.actor.getSnapshot().children as Record<string, unknown>)[name];
        if (child === undefined) throw new Error(`the supervisor did not spawn "${name}"`);
        return child as unknown as Actor<ConnectionMachine>;
      },
    });
  }

  /**
   * A server's lifecycle changed: its summary reaches the machine's context with the others that
   * changed within {@link REPORT_EVERY_MS}, in one event. Each event copies the whole table
   * (context is immutable), so an event per change cost O(servers) each: at 1,000 servers, the
   * changes of a shared backend's restart held the event loop for over a second
   * (docs/benchmarks.md). Listeners hear each change at once; `start()` and `close()` flush.
   */
  #report(name: string, transport: LifelineTransport): void {
    this.#unreported.set(name, summaryOf(transport.status));
    if (this.#reporting === undefined) {
      this.#reporting = setTimeout(() => this.#flushReports(), REPORT_EVERY_MS);
      // Nothing waits for the inspector's table: it must not keep the process alive.
      this.#reporting.unref();
    }
    if (this.#listeners.size === 0) return;
    const status = statusOf(name, transport);
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch {
        // A listener's bug must not stop the others or the supervisor.
      }
    }
  }

  /** Sends the summaries not yet reported, in one `server.status` event. */
  #flushReports(): void {
    if (this.#reporting !== undefined) clearTimeout(this.#reporting);
    this.#reporting = undefined;
    if (this.#unreported.size === 0 || this.actor.getSnapshot().status !== 'active') return;
    const summaries = Object.fromEntries(this.#unreported);
    this.#unreported.clear();
    this.actor.send({ type: 'server.status', summaries });
  }

  async #closeAll(): Promise<SupervisorCloseReport> {
    this.actor.send({ type: 'supervisor.close' });
    const closed: string[] = [];
    const all = Promise.all(
      [...this.#transports].map(([name, transport]) =>
        transport.close().then(
          () => void closed.push(name),
          () => void closed.push(name),
        ),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeDeadlineMs);
    });
    await Promise.race([all, deadline]);
    clearTimeout(timer);
    const late = this.names.filter((name) => !closed.includes(name));
    this.#flushReports();
    this.actor.send({ type: 'supervisor.closed' });
    if (late.length === 0) this.actor.stop();
    else void all.then(() => this.actor.stop());
    return { closed: this.names.filter((name) => closed.includes(name)), late };
  }

  /** The supervisor's clock, for callers that compute times from a status. */
  now(): number {
    return this.#now();
  }
}

/**
 * Starts one transport; resolves once it has opened, failed, or failed its first attempt.
 */
function startOne(transport: LifelineTransport): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = (): boolean => {
      const { state, attempt } = transport.status;
      return state === 'open' || state === 'failed' || (state === 'reconnecting' && attempt >= 1);
    };
    const unsubscribe = transport.subscribe(() => {
      if (!check()) return;
      unsubscribe();
      resolve();
    });
    transport.start().catch(() => {});
    if (check()) {
      unsubscribe();
      resolve();
    }
  });
}

/**
 * Creates a supervisor for many servers. Nothing connects until `start()` (or a client's
 * `connect()` on one server's transport).
 *
 * @example
 * ```ts
 * const supervisor = createSupervisor({ servers: { fs: { command: 'mcp-fs' }, web: { url: 'https://…/mcp' } } });
 * await supervisor.start();
 * await client.connect(supervisor.transport('web'));
 * ```
 *
 * @throws {ConfigError} listing every problem of every server, before anything starts.
 */
export function createSupervisor(config: SupervisorConfig): Supervisor {
  return new Supervisor(config);
}
