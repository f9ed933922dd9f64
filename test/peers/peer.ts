// A real MCP server (HTTP or WebSocket) as a child process on a loopback port, which a test can kill and
// restart on the SAME port. Each peer runs detached (its own process group) and is killed as a whole tree,
// so nothing outlives the tests; `stopAll()` (for afterEach) stops every peer this module started.

import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupAlive, isAlive, killQuietly, waitFor } from '../helpers/processes.js';
import { descendants, ownProcessGroup, type ProcEntry } from './process-tree.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How long a peer may take to accept connections after it was spawned. */
const READY_TIMEOUT_MS = 15_000;
/** How long a graceful signal (SIGTERM, SIGINT) may take before the tree is SIGKILLed. */
const GRACE_MS = 5_000;
/** How much of the peer's output (stdout and stderr together) is kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;

/** A running MCP server process on a fixed loopback port. */
export interface Peer {
  /** The full endpoint URL, e.g. `http://127.0.0.1:PORT/mcp` or `ws://127.0.0.1:PORT/ws`. */
  readonly url: string;
  readonly port: number;
  /** The current process's pid; undefined once it exited (killed, stopped, or crashed). */
  readonly pid: number | undefined;
  /** Kills the process tree and waits until it is gone (default SIGKILL; a graceful signal escalates). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the server again on the same port (killing it first if running) and waits until it accepts
   * connections. Rejects after stop().
   */
  restart(): Promise<void>;
  /** Kills the tree if running; idempotent. */
  stop(): Promise<void>;
}

/** How to run one peer. `args` and `env` are functions of the port so a restart reuses it. */
export interface PeerSpec {
  /** For messages, e.g. `server-everything streamableHttp`. */
  name: string;
  /** The endpoint path, e.g. `/mcp`. */
  path: string;
  /** The URL scheme of `url` (default `http`). */
  scheme?: 'http' | 'ws';
  /** Arguments to `node` (the executable running the tests). */
  args: (port: number) => string[];
  env?: (port: number) => Record<string, string>;
  /** Text the server prints once it listens on `port`. */
  readyText: (port: number) => string;
  /** How long the server may take to accept connections (default 15 s). */
  readyTimeoutMs?: number;
}

/** A free TCP port: listen on port 0 on all interfaces (some peers listen there), read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() =>
        port === undefined ? reject(new Error('freePort: no port assigned')) : resolvePort(port),
      );
    });
  });
}

/** True if a TCP connection to 127.0.0.1:port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolveAccepts(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Thrown by start() when the port was taken by someone else, so a first start can pick another port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

const live = new Set<ChildPeer>();

interface Running {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  hasExited: () => boolean;
}

export class ChildPeer implements Peer {
  readonly url: string;
  readonly port: number;
  readonly #spec: PeerSpec;
  #running: Running | undefined;
  #output = '';
  #stopped = false;
  #killing: Promise<void> | undefined;

  constructor(spec: PeerSpec, port: number) {
    this.#spec = spec;
    this.port = port;
    this.url = `${spec.scheme ?? 'http'}://127.0.0.1:${port}${spec.path}`;
  }

  get pid(): number | undefined {
    const running = this.#running;
    return running === undefined || running.hasExited() ? undefined : running.pid;
  }

  /** The last few thousand characters the process wrote (stdout and stderr). */
  get outputTail(): string {
    return this.#output;
  }

  async start(): Promise<void> {
    if (this.#running !== undefined) throw new Error(`${this.#spec.name}: already running`);
    if (this.#stopped) throw new Error(`${this.#spec.name}: start() after stop()`);
    this.#output = '';
    const child = spawn(process.execPath, this.#spec.args(this.port), {
      cwd: repoRoot,
      env: { ...process.env, ...this.#spec.env?.(this.port), PORT: String(this.port) },
      detached: true,
      // stdin stays an open pipe that only our death closes: supergateway and the watchdog preloaded into
      // the other servers (test/fixtures/http-watchdog.mjs) exit when it ends.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const record = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    // Always drained: a peer blocked on a full stdout pipe would look hung.
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    child.stdin?.on('error', () => {});
    let exited = false;
    const exitedPromise = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        record(Buffer.from(`\n[exited: code ${code}, signal ${signal}]\n`));
        exited = true;
        resolveExit();
      });
      child.once('error', (err) => {
        record(Buffer.from(`\nspawn error: ${err.message}\n`));
        exited = true;
        resolveExit();
      });
    });
    if (child.pid === undefined) {
      await exitedPromise;
      throw new Error(`${this.#spec.name}: spawn failed\n${this.#output}`);
    }
    const running: Running = { child, pid: child.pid, exited: exitedPromise, hasExited: () => exited };
    this.#running = running;
    live.add(this);
    try {
      await this.#waitReady(running);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  async #waitReady(running: Running): Promise<void> {
    const readyText = this.#spec.readyText(this.port);
    const timeoutMs = this.#spec.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (running.hasExited()) {
        const tail = this.#output;
        const message = `${this.#spec.name}: exited before listening on port ${this.port}; output tail:\n${tail}`;
        throw /EADDRINUSE|already in use/.test(tail) ? new PortInUseError(message) : new Error(message);
      }
      // The ready line rules out a different process that happens to hold the port.
      if (this.#output.includes(readyText) && (await accepts(this.port))) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `${this.#spec.name}: not accepting connections on port ${this.port} after ${timeoutMs}ms; ` +
            `output tail:\n${this.#output}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    // One kill at a time: a stop() during a kill() waits for the same one.
    this.#killing ??= this.#kill(signal).finally(() => {
      this.#killing = undefined;
    });
    return this.#killing;
  }

  async #kill(signal: NodeJS.Signals): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    const { pid } = running;
    let tree: ProcEntry[];
    if (signal === 'SIGKILL') {
      // Freeze the tree first so nobody spawns a child between the snapshot and the kill.
      killQuietly(-pid, 'SIGSTOP');
      tree = descendants(pid);
      killTree(pid, tree, 'SIGKILL');
    } else {
      tree = descendants(pid);
      killQuietly(-pid, signal);
      const graceful = await Promise.race([
        running.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), GRACE_MS).unref()),
      ]);
      if (!graceful) killTree(pid, [...tree, ...descendants(pid)], 'SIGKILL');
    }
    await running.exited;
    // Whatever is left of the tree (a graceful server may have left children behind) goes now.
    killTree(pid, tree, 'SIGKILL');
    await waitFor(() => !groupAlive(pid) && tree.every((entry) => !isAlive(entry.pid)), {
      timeoutMs: GRACE_MS,
      message: `${this.#spec.name}: processes of pid ${pid} survived SIGKILL`,
    });
    running.child.stdin?.destroy();
    running.child.stdout?.destroy();
    running.child.stderr?.destroy();
    this.#running = undefined;
    live.delete(this);
  }

  async restart(): Promise<void> {
    await this.kill();
    // A stop() (say stopAll() in afterEach) while this restart was killing wins: nothing may outlive it.
    if (this.#stopped) throw new Error(`${this.#spec.name}: restart() after stop()`);
    await this.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.kill();
  }

  /** Synchronous last resort for process exit: SIGKILL the tree without waiting. */
  killNow(): void {
    const running = this.#running;
    if (running === undefined) return;
    killQuietly(-running.pid, 'SIGSTOP');
    killTree(running.pid, descendants(running.pid), 'SIGKILL');
  }
}

/** Signals the root's group, then every descendant's group and the descendant itself (never our own group). */
function killTree(root: number, tree: readonly ProcEntry[], signal: NodeJS.Signals): void {
  const own = ownProcessGroup();
  killQuietly(-root, signal);
  for (const entry of tree) {
    if (entry.pgid > 1 && entry.pgid !== own && entry.pgid !== root) killQuietly(-entry.pgid, signal);
    killQuietly(entry.pid, signal);
  }
}

/**
 * Starts a peer on a free port. A port someone else grabbed between freePort() and the peer's bind is
 * retried with a new port (only here: a restart must keep its port).
 */
export async function launch(spec: PeerSpec): Promise<ChildPeer> {
  for (let attempt = 1; ; attempt += 1) {
    const peer = new ChildPeer(spec, await freePort());
    try {
      await peer.start();
      return peer;
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= 3) throw err;
    }
  }
}

/** Stops every peer started by this module (for afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((peer) => peer.stop()));
}

// If the test process exits without stopAll() (a crash, a forgotten afterEach), take the peers with it.
process.once('exit', () => {
  for (const peer of live) peer.killNow();
});
