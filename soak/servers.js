// @ts-check
// The servers the soak runs on a loopback port: the project's own fixture servers (test/fixtures/*.mjs,
// plain JavaScript run as child processes, nothing imported from test/), each on the official SDK, with
// ./server-hooks.js preloaded so the soak can cut their connections. A backend keeps its port across a
// kill and restart, as a restarted deployment does.
//
//   http   http-legacy-server.mjs: Streamable HTTP, stateful (Mcp-Session-Id), endpoint /mcp
//   sse    http-sse-server.mjs:    legacy HTTP+SSE, GET /sse and POST /message?sessionId=
//   ws     ws-server.mjs:          WebSocket, subprotocol `mcp`, endpoint /ws
//
// Every one has the tool `echo {message}` answering the text `Echo: <message>`.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forget, freePort, killQuietly, remember, withTimeout } from './util.js';

/** The stdio fixture (also the server in the Docker image): NDJSON on stdin/stdout, no package imports. */
export const STDIO_SERVER = fixturePath('stdio-server.mjs');

const HOOKS = fileURLToPath(new URL('./server-hooks.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** How long a server may take to listen after it was spawned. */
const READY_TIMEOUT_MS = 15_000;

/** @typedef {'http' | 'sse' | 'ws'} BackendKind */

/** @type {Record<BackendKind, { script: string, path: string, scheme: 'http' | 'ws' }>} */
const KINDS = {
  http: { script: 'http-legacy-server.mjs', path: '/mcp', scheme: 'http' },
  sse: { script: 'http-sse-server.mjs', path: '/sse', scheme: 'http' },
  ws: { script: 'ws-server.mjs', path: '/ws', scheme: 'ws' },
};

/** The path of a fixture server of the test suite. @param {string} name */
export function fixturePath(name) {
  return fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
}

/** A fixture server on a fixed loopback port that can be killed, signalled and started again. */
export class Backend {
  /** @type {import('node:child_process').ChildProcess | undefined} */
  #child;
  /** @type {Promise<void> | undefined} */
  #exited;
  #output = '';
  /** Waiting for a line of ./server-hooks.js on stderr. @type {Array<{ text: string, resolve: () => void }>} */
  #waiting = [];

  /** @param {BackendKind} kind @param {number} port */
  constructor(kind, port) {
    this.kind = kind;
    this.port = port;
    const { script, path, scheme } = KINDS[kind];
    this.script = fixturePath(script);
    this.path = path;
    /** The endpoint, e.g. `http://127.0.0.1:PORT/mcp`. */
    this.url = `${scheme}://127.0.0.1:${port}${path}`;
  }

  /** The running process's pid, undefined while it is down. */
  get pid() {
    return this.#child?.pid;
  }

  /** Starts the server and resolves once it listens; rejects with its output if it exits first. */
  async start() {
    if (this.#child !== undefined) throw new Error(`${this.kind} server: already running`);
    this.#output = '';
    const child = spawn(process.execPath, ['--import', HOOKS, this.script], {
      cwd: REPO,
      env: { ...process.env, PORT: String(this.port) },
      // stdin stays an open pipe only our death closes (server-hooks.js exits on its end).
      stdio: ['pipe', 'ignore', 'pipe'],
      // Its own process group: a Ctrl-C meant for the soak (which then ends its run cleanly) is not the
      // server's. It is killed by pid, and with the soak (above, and ./util.js).
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`${this.kind} server: spawn failed`);
    remember(child.pid);
    this.#child = child;
    const pid = child.pid;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdin?.on('error', () => {});
    const ready = `listening on http://127.0.0.1:${this.port} `;
    const listening = new Promise((resolve, reject) => {
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (/** @type {string} */ chunk) => {
        // Only the start's output is kept, for the error message below; the rest is drained and dropped.
        if (this.#output.length < 4000) this.#output += chunk;
        if (this.#output.includes(ready)) resolve(undefined);
        for (const waiter of [...this.#waiting]) {
          if (!chunk.includes(waiter.text)) continue;
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
          waiter.resolve();
        }
      });
      child.once('exit', (code, signal) =>
        reject(
          new Error(`${this.kind} server exited (${code ?? signal}) before listening:\n${this.#output}`),
        ),
      );
    });
    try {
      await withTimeout(listening, READY_TIMEOUT_MS, `${this.kind} server start on port ${this.port}`);
    } catch (error) {
      await this.kill();
      throw error;
    }
    this.#exited.then(() => forget(pid));
  }

  /** Sends a signal to the running server (no-op while down). @param {NodeJS.Signals} signal */
  signal(signal) {
    const pid = this.pid;
    return pid !== undefined && killQuietly(pid, signal);
  }

  /**
   * Has the server cut every connection it accepted (FIN, or RST for `reset`), and resolves once it
   * says it did (or after 2 s, or at once while the server is down).
   * @param {'cut' | 'reset'} how
   */
  async cut(how) {
    if (this.pid === undefined) return;
    const acknowledged = new Promise((resolve) => {
      this.#waiting.push({ text: `soak-hooks: ${how} done`, resolve: () => resolve(undefined) });
    });
    this.signal(how === 'cut' ? 'SIGUSR1' : 'SIGUSR2');
    await withTimeout(acknowledged, 2000, `${this.kind} server ${how}`).catch(() => undefined);
  }

  /** Kills the server (SIGKILL unless told otherwise) and resolves once it has exited. @param {NodeJS.Signals} [signal] */
  async kill(signal = 'SIGKILL') {
    const child = this.#child;
    if (child === undefined) return;
    const pid = /** @type {number} */ (child.pid);
    killQuietly(pid, signal);
    // A stopped process does not act on SIGTERM until continued.
    if (signal !== 'SIGKILL') killQuietly(pid, 'SIGCONT');
    await this.#exited;
    child.stdin?.destroy();
    child.stderr?.destroy();
    this.#child = undefined;
    forget(pid);
  }

  /** Kills the server for good. */
  stop() {
    return this.kill();
  }
}

/** Starts a backend of `kind` on a free port (another port if someone took that one first). @param {BackendKind} kind */
export async function startBackend(kind) {
  for (let attempt = 1; ; attempt += 1) {
    const backend = new Backend(kind, await freePort());
    try {
      await backend.start();
      return backend;
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}
