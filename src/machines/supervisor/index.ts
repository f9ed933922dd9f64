/**
 * `createSupervisor(config)`: one supervised connection per configured server, all children of
 * one actor system (one inspector, one clock). Each server keeps its own policy; the
 * supervisor adds what only a fleet needs: reconnects spread with wider jitter by default (a
 * shared backend's restart must not make every connection retry at the same instant), one
 * status table, a transport per server by name, and one deadline to close them all.
 */

import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../runtime/logger.js';
import type { Clock, CommonConfig, TransportConfig } from '../../runtime/options.js';
import { LifelineTransport } from '../../runtime/transport.js';
import type { ConnectionMachine } from '../connection.js';
import { type ServerSummary, type SupervisorMachine, supervisorMachine } from './machine.js';
import { fleetServers } from './options.js';
import { type ServerStatus, statusOf, summaryOf } from './status.js';

export type { ServerSummary, SupervisorContext, SupervisorEvent, SupervisorMachine } from './machine.js';
export { serverSystemId, supervisorMachine } from './machine.js';
export { FLEET_JITTER } from './options.js';
export type { ServerStatus } from './status.js';

/** The policy keys a supervisor's `defaults` may set for every server. */
export type SupervisorDefaults = Pick<
  CommonConfig,
  'reconnect' | 'timeouts' | 'heartbeat' | 'queue' | 'limits'
>;

/** What `createSupervisor()` takes. */
export interface SupervisorConfig {
  /** The servers, by name: `{ name: TransportConfig }`, or entries as the config loader returns them. */
  servers: Readonly<Record<string, TransportConfig>> | readonly { name: string; config: TransportConfig }[];
  /** Policy for every server; a server's own keys win, key by key. */
  defaults?: SupervisorDefaults;
  /** An XState inspection observer for the whole system (the supervisor and every connection). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Receives every connection's lifecycle events and diagnostics, secrets redacted. */
  logger?: Logger;
  /** The clock of the whole system (XState's `SimulatedClock` in tests). */
  clock?: Clock;
  /** Seeds every connection's jitter (each its own stream), to make a run reproducible. */
  seed?: number;
  /** The one deadline for `close()`, in ms. Default 10000. */
  closeDeadlineMs?: number;
}

/** What `close()` found. */
export interface SupervisorCloseReport {
  /** Servers closed within the deadline. */
  closed: string[];
  /** Servers still closing at the deadline (their cleanup goes on in the background). */
  late: string[];
}

const DEFAULT_CLOSE_DEADLINE_MS = 10_000;

/** Many supervised connections, one actor system. */
export class Supervisor {
  /** The root actor: the supervisor machine, whose children are the connection actors. */
  readonly actor: Actor<SupervisorMachine>;
  readonly #transports = new Map<string, LifelineTransport>();
  readonly #listeners = new Set<(status: ServerStatus) => void>();
  readonly #now: () => number;
  readonly #closeDeadlineMs: number;
  #closing: Promise<SupervisorCloseReport> | undefined;

  constructor(config: SupervisorConfig) {
    // Every configuration is checked before anything is spawned: one error lists every problem.
    const built = fleetServers(config);
    const clock = config.clock;
    this.#now = clock?.now === undefined ? Date.now : () => (clock.now as () => number)();
    this.#closeDeadlineMs = config.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;

    const options: Parameters<typeof createActor<SupervisorMachine>>[1] = {};
    if (clock !== undefined) options.clock = clock as NonNullable<typeof options.clock>;
    if (config.inspect !== undefined) options.inspect = config.inspect;
    this.actor = createActor(supervisorMachine, options);
    this.actor.start();
    for (const { name, config: server } of built) {
      const transport = this.#spawn(name, server);
      this.#transports.set(name, transport);
      transport.subscribe(() => this.#report(name, transport));
    }
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
   * Starts every connection. Resolves, with the status of all, once each server has opened,
   * failed, or failed its first attempt (it keeps retrying by its policy); never rejects for
   * one server's failure.
   */
  async start(): Promise<ServerStatus[]> {
    const settled = [...this.#transports.values()].map(
      (transport) =>
        new Promise<void>((resolve) => {
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
        }),
    );
    await Promise.all(settled);
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

  #report(name: string, transport: LifelineTransport): void {
    const summary: ServerSummary = summaryOf(transport.status);
    this.actor.send({ type: 'server.status', name, summary });
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
