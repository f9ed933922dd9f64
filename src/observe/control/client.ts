/**
 * The other side of the control socket: list the agents that run on this machine under this
 * user, and attach to one (`lifeline status`, `lifeline watch --attach PID|NAME`). Listing
 * cleans up after agents that died without removing their socket: a socket whose pid no longer
 * runs, or that refuses connections, is deleted.
 */

import { readdirSync, unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControlError } from '../../errors.js';
import type { JournalRecord } from '../journal/entry.js';
import { controlDir, parseSocketFileName, socketLabel } from './paths.js';
import {
  type AgentStatus,
  CONTROL_PROTOCOL,
  CONTROL_VERSION,
  type ConnectionSnapshot,
  type ControlEvent,
  type Hello,
} from './protocol.js';

/** A running agent, as its socket's name tells. */
export interface AgentInfo {
  pid: number;
  name: string;
  /** The socket's path. */
  path: string;
}

/** Options of {@link listAgents} and {@link attachAgent}. */
export interface ControlClientOptions {
  /** The folder to look in. Default: {@link controlDir} of this process's environment. */
  dir?: string;
  /** Longest wait for an agent's answer, in ms. Default 5000. */
  timeoutMs?: number;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/**
 * The agents whose control sockets are in the folder, by pid. The sockets of processes that no
 * longer run are deleted on the way.
 */
export function listAgents(options: ControlClientOptions = {}): AgentInfo[] {
  const dir = options.dir ?? controlDir();
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const agents: AgentInfo[] = [];
  for (const file of files) {
    const parsed = parseSocketFileName(file);
    if (parsed === undefined) continue;
    const path = join(dir, file);
    if (!isRunning(parsed.pid)) {
      removeQuietly(path);
      continue;
    }
    agents.push({ ...parsed, path });
  }
  return agents.sort((a, b) => a.pid - b.pid);
}

/**
 * The agents a `--attach` value names: a pid, or a name (every agent of that name).
 */
export function findAgents(which: string | number, options: ControlClientOptions = {}): AgentInfo[] {
  const agents = listAgents(options);
  const text = String(which);
  if (/^\d+$/.test(text)) return agents.filter((agent) => agent.pid === Number(text));
  // As the socket's name carries it: `--attach "my agent"` finds `my-agent`.
  const label = socketLabel(text);
  return agents.filter((agent) => agent.name === text || agent.name === label);
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout };

/** An open control connection to one agent. */
export class ControlClient {
  /** What the agent said first. */
  readonly hello: Hello;
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(event: ControlEvent) => void>();
  #nextId = 1;
  #closed: Promise<void>;

  /** Use {@link attachAgent}. */
  constructor(socket: Socket, hello: Hello, timeoutMs: number, lines: AsyncIterable<string>) {
    this.#socket = socket;
    this.hello = hello;
    this.#timeoutMs = timeoutMs;
    this.#closed = this.#readAll(lines);
  }

  /** The agent's connections now. */
  status(): Promise<AgentStatus> {
    return this.#call('status', {}) as Promise<AgentStatus>;
  }

  /** The entries the agent keeps, oldest first: one connection's or all, the newest `limit`. */
  async journal(params: { connection?: string; limit?: number } = {}): Promise<JournalRecord[]> {
    const result = (await this.#call('journal', params)) as { entries: JournalRecord[] };
    return result.entries;
  }

  /**
   * Starts hearing every journal entry (and connections published or withdrawn) of one
   * connection or all; resolves with the status at that moment.
   */
  watch(listener: (event: ControlEvent) => void, params: { connection?: string } = {}): Promise<AgentStatus> {
    this.#listeners.add(listener);
    return this.#call('watch', params) as Promise<AgentStatus>;
  }

  /** Resolves when the agent closes the socket (it ended) or {@link close} was called. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  #call(method: string, params: object): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new ControlError(`agent ${this.hello.pid} did not answer ${method} within ${this.#timeoutMs} ms`),
        );
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  async #readAll(lines: AsyncIterable<string>): Promise<void> {
    try {
      for await (const line of lines) this.#onLine(line);
    } catch {
      // The socket broke: the same as a close.
    } finally {
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new ControlError(`agent ${this.hello.pid} closed the control socket`));
      }
      this.#pending.clear();
    }
  }

  #onLine(line: string): void {
    let message: {
      id?: number;
      result?: unknown;
      error?: { message?: string };
      method?: string;
      params?: unknown;
    };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.method !== undefined) {
      for (const listener of this.#listeners)
        listener({ method: message.method, params: message.params } as ControlEvent);
      return;
    }
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (pending === undefined || message.id === undefined) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error !== undefined)
      pending.reject(new ControlError(`agent ${this.hello.pid}: ${message.error.message ?? 'error'}`));
    else pending.resolve(message.result);
  }
}

/** Splits a socket's text into lines. */
async function* linesOf(socket: Socket): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of socket) {
    buffer += String(chunk);
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  }
}

/**
 * Connects to an agent's control socket and reads its `hello`. A socket that refuses the
 * connection belongs to a process that is gone (its pid reused): it is deleted.
 *
 * @throws {ControlError} when the agent cannot be reached or speaks another protocol.
 */
export async function attachAgent(
  agent: AgentInfo,
  options: ControlClientOptions = {},
): Promise<ControlClient> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const socket = connect(agent.path);
  socket.setEncoding('utf8');
  const lines = linesOf(socket);
  const iterator = lines[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ControlError(`agent ${agent.pid} did not say hello within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    if (first.done === true) throw new ControlError(`agent ${agent.pid} closed the control socket at once`);
    const hello = (JSON.parse(first.value) as { params?: Hello }).params;
    if (hello?.protocol !== CONTROL_PROTOCOL || Math.floor(hello.version) !== CONTROL_VERSION)
      throw new ControlError(
        `agent ${agent.pid} speaks ${hello?.protocol ?? 'an unknown protocol'} ${hello?.version ?? ''}, not ${CONTROL_PROTOCOL} ${CONTROL_VERSION}`,
      );
    const rest = { [Symbol.asyncIterator]: () => iterator };
    return new ControlClient(socket, hello, timeoutMs, rest);
  } catch (error) {
    socket.destroy();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') {
      if (code === 'ECONNREFUSED') removeQuietly(agent.path);
      throw new ControlError(`agent ${agent.pid} (${agent.name}) is not running`, { cause: error });
    }
    if (error instanceof ControlError) throw error;
    throw new ControlError(`cannot read agent ${agent.pid}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Every connection of every running agent: what `lifeline status` shows. */
export async function readAgents(
  options: ControlClientOptions = {},
): Promise<{ agent: AgentInfo; status?: AgentStatus; error?: string }[]> {
  return Promise.all(
    listAgents(options).map(async (agent) => {
      try {
        const client = await attachAgent(agent, options);
        try {
          return { agent, status: await client.status() };
        } finally {
          client.close();
        }
      } catch (error) {
        return { agent, error: (error as Error).message };
      }
    }),
  );
}

export type { ConnectionSnapshot };
