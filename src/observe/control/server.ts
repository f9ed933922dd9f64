/**
 * The agent's side of the control socket: one Unix socket per process, opened when its first
 * connection is published and removed when the last one is withdrawn, on `exit`, and on
 * SIGINT/SIGTERM when nothing else handles them. It never keeps the process alive (the server
 * and its clients are unref'd) and never slows a connection: a client that does not read is
 * cut off once 1 MiB waits for it.
 */

import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { JournalEntry, JournalRecord } from '../journal/entry.js';
import type { ConnectionJournal } from '../journal/journal.js';
import type { ResolvedControl } from './options.js';
import { controlDir, defaultControlName, ensureControlDir, socketFileName, socketLabel } from './paths.js';
import {
  type AgentStatus,
  CONTROL_PROTOCOL,
  CONTROL_VERSION,
  type ConnectionSnapshot,
  ControlRpcError,
  type Hello,
  MAX_REQUEST_BYTES,
} from './protocol.js';

/** What a published connection shows the socket. */
export interface ControlSource {
  readonly name: string;
  /** Its status now. */
  snapshot(): ConnectionSnapshot;
  /** Its journal, unless turned off. */
  readonly journal: ConnectionJournal | undefined;
}

/** The longest socket path used (macOS allows 104 bytes with the terminating zero, Linux 108). */
const MAX_SOCKET_PATH = 103;

/** Bytes a client may leave unread before it is cut off. */
const MAX_UNREAD_BYTES = 1024 * 1024;

interface Client {
  socket: Socket;
  buffer: string;
  /** Watching: every connection (`null`) or one by name; undefined when not watching. */
  watching: string | null | undefined;
}

class ControlServer {
  readonly path: string;
  readonly hello: Hello;
  readonly #server: Server;
  readonly #sources = new Map<ControlSource, () => void>();
  readonly #clients = new Set<Client>();
  #closed = false;
  readonly #onExit = (): void => this.#unlink();
  readonly #onSignal = (signal: NodeJS.Signals): void => this.#signalled(signal);

  constructor(options: ResolvedControl, onError: (error: Error) => void) {
    const dir = ensureControlDir(controlDir());
    // A Unix socket's path has a hard limit (104 bytes on macOS, whose temp folder is long):
    // the name gives way first.
    const room = MAX_SOCKET_PATH - join(dir, `${process.pid}..sock`).length;
    const name = socketLabel(options.name ?? defaultControlName()).slice(0, Math.max(1, room));
    this.path = join(dir, socketFileName(process.pid, name));
    this.hello = {
      protocol: CONTROL_PROTOCOL,
      version: CONTROL_VERSION,
      pid: process.pid,
      name,
      startedAt: Date.now(),
    };
    // A socket of this pid left by an earlier server of this process (or a pid reused).
    this.#unlink();
    this.#server = createServer((socket) => this.#accept(socket));
    this.#server.on('error', (error) => {
      onError(error);
      this.close();
      // The next connection to publish tries again with a new server.
      if (current === this) current = undefined;
    });
    this.#server.listen(this.path, () => {
      // The folder is already 0700; the socket is 0600 as well, in case the folder is ever shared.
      try {
        chmodSync(this.path, 0o600);
      } catch (error) {
        onError(error as Error);
      }
    });
    this.#server.unref();
    process.on('exit', this.#onExit);
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  get size(): number {
    return this.#sources.size;
  }

  add(source: ControlSource): void {
    if (this.#sources.has(source)) return;
    const stop = source.journal?.subscribe((entry) => this.#entry(source, entry)) ?? (() => {});
    this.#sources.set(source, stop);
    this.#notify(source.name, 'connection.published', source.snapshot());
  }

  remove(source: ControlSource): void {
    const stop = this.#sources.get(source);
    if (stop === undefined) return;
    stop();
    this.#sources.delete(source);
    this.#notify(source.name, 'connection.unpublished', { name: source.name });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of this.#clients) client.socket.destroy();
    this.#clients.clear();
    this.#server.close();
    this.#unlink();
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }

  #unlink(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  /**
   * A signal: the socket goes at once. When nothing else listens for it, Node's default (end
   * the process) is restored and the signal raised again, so publishing never changes how the
   * process reacts to Ctrl-C; otherwise the application's own handler decides.
   */
  #signalled(signal: NodeJS.Signals): void {
    if (process.listenerCount(signal) > 1) return;
    this.close();
    if (current === this) current = undefined;
    process.kill(process.pid, signal);
  }

  #accept(socket: Socket): void {
    socket.unref();
    socket.setEncoding('utf8');
    const client: Client = { socket, buffer: '', watching: undefined };
    this.#clients.add(client);
    socket.on('data', (chunk: string) => this.#read(client, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#clients.delete(client));
    this.#write(client, { jsonrpc: '2.0', method: 'hello', params: this.hello });
  }

  #read(client: Client, chunk: string): void {
    client.buffer += chunk;
    let newline = client.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = client.buffer.slice(0, newline);
      client.buffer = client.buffer.slice(newline + 1);
      // A whole line over the limit can arrive in one read: it closes the client like a longer one.
      if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) {
        client.socket.destroy();
        return;
      }
      if (line.trim() !== '') this.#request(client, line);
      newline = client.buffer.indexOf('\n');
    }
    if (Buffer.byteLength(client.buffer) > MAX_REQUEST_BYTES) client.socket.destroy();
  }

  #request(client: Client, line: string): void {
    let request: { id?: unknown; method?: unknown; params?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      this.#fail(client, null, ControlRpcError.ParseError, 'not JSON');
      return;
    }
    const id = typeof request.id === 'number' || typeof request.id === 'string' ? request.id : null;
    const params = (
      typeof request.params === 'object' && request.params !== null ? request.params : {}
    ) as Record<string, unknown>;
    const connection = typeof params.connection === 'string' ? params.connection : undefined;
    switch (request.method) {
      case 'status':
        this.#answer(client, id, this.#status());
        return;
      case 'journal': {
        const limit =
          typeof params.limit === 'number' && params.limit > 0 ? Math.floor(params.limit) : undefined;
        this.#answer(client, id, { entries: this.#journal(connection, limit) });
        return;
      }
      case 'watch':
        client.watching = connection ?? null;
        this.#answer(client, id, this.#status());
        return;
      default:
        this.#fail(
          client,
          id,
          ControlRpcError.MethodNotFound,
          `unknown method ${JSON.stringify(request.method)}`,
        );
    }
  }

  #status(): AgentStatus {
    return { ...this.hello, connections: [...this.#sources.keys()].map((source) => source.snapshot()) };
  }

  /** Every kept entry of one connection or of all, oldest first; the newest `limit`. */
  #journal(connection: string | undefined, limit: number | undefined): JournalRecord[] {
    const records: JournalRecord[] = [];
    for (const source of this.#sources.keys()) {
      if (connection !== undefined && source.name !== connection) continue;
      for (const entry of source.journal?.entries(limit) ?? [])
        records.push({ connection: source.name, ...entry });
    }
    records.sort((a, b) => a.t - b.t);
    return limit === undefined ? records : records.slice(-limit);
  }

  #entry(source: ControlSource, entry: JournalEntry): void {
    this.#notify(source.name, 'journal.entry', { connection: source.name, ...entry });
  }

  #notify(connection: string, method: string, params: unknown): void {
    for (const client of this.#clients) {
      if (client.watching === undefined) continue;
      if (client.watching !== null && client.watching !== connection) continue;
      this.#write(client, { jsonrpc: '2.0', method, params });
    }
  }

  #answer(client: Client, id: string | number | null, result: unknown): void {
    this.#write(client, { jsonrpc: '2.0', id, result });
  }

  #fail(client: Client, id: string | number | null, code: number, message: string): void {
    this.#write(client, { jsonrpc: '2.0', id, error: { code, message } });
  }

  #write(client: Client, message: unknown): void {
    const socket = client.socket;
    if (socket.destroyed) return;
    if (socket.writableLength > MAX_UNREAD_BYTES) {
      socket.destroy();
      return;
    }
    socket.write(`${JSON.stringify(message)}\n`);
  }
}

let current: ControlServer | undefined;

/**
 * Publishes a connection on this process's control socket, opening the socket with the first
 * one. Returns the function that withdraws it; the socket is removed with the last.
 * Never throws: a socket that cannot be opened is reported to `onError` and the connection
 * runs on unpublished.
 */
export function publishConnection(
  source: ControlSource,
  options: ResolvedControl,
  onError: (error: Error) => void,
): () => void {
  try {
    current ??= new ControlServer(options, onError);
  } catch (error) {
    onError(error as Error);
    return () => {};
  }
  const server = current;
  server.add(source);
  return () => {
    server.remove(source);
    if (server.size === 0) {
      server.close();
      if (current === server) current = undefined;
    }
  };
}

/** The path of this process's control socket while one is open. */
export function controlSocketPath(): string | undefined {
  return current?.path;
}
