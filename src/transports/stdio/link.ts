/**
 * The stdio link: one child process speaking NDJSON on stdin/stdout.
 *
 * Spawned without a shell, in its own process group (so wrappers such as npx or uvx cannot
 * orphan the real server: we signal the whole group), with a minimal environment unless the
 * configuration opts into inheriting. stderr is always drained. Graceful close follows the
 * spec: end stdin, wait, SIGTERM the group, wait, SIGKILL.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#stdio
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fromCallback } from 'xstate';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkCloseEvent, LinkHandle, LinkInput, LinkLogic, LinkSink } from '../../link/contract.js';
import { exitFault, spawnFault } from '../failures/table.js';
import {
  createStdinWriter,
  createStdoutDecoder,
  drainStderr,
  pipeWriteError,
  type StderrMode,
} from '../pipe.js';
import { groupAlive, killGroup, trackGroup, untrackGroup } from './process-group.js';
import { createStderrTail, type StderrTail } from './stderr-tail.js';

export type { StderrMode } from '../pipe.js';

/** Options of the stdio link (the resolved `stdio` part of the transport configuration). */
export interface StdioLinkOptions {
  command: string;
  args: readonly string[];
  /** Extra environment variables for the child. */
  env: Readonly<Record<string, string>>;
  /** Pass this process's whole environment to the child (default: only a safe minimum). */
  inheritEnv: boolean;
  cwd?: string | undefined;
  stderr: StderrMode;
  /** In `pipe` mode, where stderr bytes go (lossy when nobody reads it: it never blocks the child). */
  stderrStream?: Writable | undefined;
  maxMessageBytes: number;
  /** Values kept out of the stderr lines an exit error quotes (configured secrets). */
  secrets?: readonly string[] | undefined;
}

/** The variables a child gets by default (the SDK's list, POSIX). */
const DEFAULT_ENV_KEYS = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'] as const;

/** How long a failed write waits for the exit event to report the cause instead. */
const WRITE_ERROR_GRACE_MS = 100;

/** How long an exit waits for the rest of stderr (its last lines say why), less than the above. */
const STDERR_GRACE_MS = 50;

/** The environment a child process starts with. */
export function childEnvironment(options: Pick<StdioLinkOptions, 'env' | 'inheritEnv'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (options.inheritEnv) {
    Object.assign(env, process.env);
  } else {
    for (const key of DEFAULT_ENV_KEYS) {
      const value = process.env[key];
      // Skip exported shell functions, as the SDK does: they are a known injection vector.
      if (value !== undefined && !value.startsWith('()')) env[key] = value;
    }
  }
  return Object.assign(env, options.env);
}

function spawnError(options: StdioLinkOptions, cause: NodeJS.ErrnoException): LinkError {
  const code = cause.code ?? 'UNKNOWN';
  // ENOENT, EACCES and kin cannot be fixed by a new attempt; a shortage (EAGAIN, EMFILE) may pass.
  const permanent = !spawnFault(code).retryable;
  let reason = `${code}`;
  if (code === 'ENOENT') {
    reason =
      options.cwd !== undefined && !existsSync(options.cwd)
        ? `working directory ${options.cwd} does not exist`
        : 'command not found';
  } else if (code === 'EACCES') {
    reason = 'permission denied';
  }
  const hint = permanent ? 'retrying cannot help' : 'will retry';
  return new LinkError(
    ErrorCode.Spawn,
    `Cannot start server command "${options.command}": ${reason} (${hint})`,
    {
      cause,
      retryable: !permanent,
    },
  );
}

/** Signals a process raises on itself when it crashes: its stderr may say why. */
const CRASH_SIGNALS = new Set<NodeJS.Signals>([
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGSEGV',
  'SIGTRAP',
]);

/**
 * The error of an exit. A server that exits (or crashes) usually says why last on stderr, so
 * its last lines are quoted; one killed from outside (SIGKILL, SIGTERM) said nothing about it.
 */
function exitError(code: number | null, signal: NodeJS.Signals | null, tail?: StderrTail): LinkError {
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  const said = signal === null || CRASH_SIGNALS.has(signal) ? (tail?.suffix() ?? '') : '';
  return new LinkError(ErrorCode.ProcessExit, `Server process ${how}${said}`, {
    retryable: exitFault(code, signal).retryable,
  });
}

/** Calls `then` once `stream` has ended, or after `ms`, whichever comes first. */
function afterEnd(stream: NodeJS.ReadableStream | null, ms: number, then: () => void): void {
  const readable = stream as
    | (NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean })
    | null;
  if (readable === null || readable.readableEnded === true || readable.destroyed === true) {
    then();
    return;
  }
  const done = (): void => {
    clearTimeout(timer);
    readable.off('end', done).off('close', done);
    then();
  };
  const timer = setTimeout(done, ms);
  readable.once('end', done).once('close', done);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Creates the link actor logic for a stdio server. Each start of the actor is one process.
 *
 * @param sink where inbound messages and diagnostics go (the runtime).
 */
export function createStdioLink(options: StdioLinkOptions, sink: LinkSink): LinkLogic {
  return fromCallback<LinkCloseEvent, LinkInput>(({ sendBack, receive }) => {
    let finished = false;
    let closing = false;
    let child: ChildProcess;

    const reportDown = (error: LinkError): void => {
      if (finished || closing) return;
      finished = true;
      sendBack({ type: 'link.down', error });
    };

    try {
      child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: childEnvironment(options),
        stdio: [
          'pipe',
          'pipe',
          options.stderr === 'inherit' ? 'inherit' : options.stderr === 'ignore' ? 'ignore' : 'pipe',
        ],
        detached: true,
        shell: false,
        windowsHide: true,
      });
    } catch (cause) {
      reportDown(spawnError(options, cause as NodeJS.ErrnoException));
      return;
    }

    const stdin = child.stdin as Writable;
    const writer = createStdinWriter(stdin, () =>
      finished || closing || !stdin.writable
        ? new LinkError(ErrorCode.Write, 'The server process is not accepting input', { retryable: true })
        : undefined,
    );
    const decoder = createStdoutDecoder(sink, options.maxMessageBytes, 'stdout');

    child.stdout?.on('data', (chunk: Buffer) => {
      sink.activity();
      decoder.feed(chunk);
    });
    const tail = createStderrTail(options.secrets ?? []);
    drainStderr(child.stderr, options.stderr, sink, options.stderrStream, (line) => tail.push(line));
    // A write to a dead child fails with EPIPE. Give the exit event a moment to report the real
    // cause; a child that closed its stdin but lives on is unusable all the same.
    stdin.on('error', (cause) => {
      const error = pipeWriteError(cause, 'the server process');
      writer.fail(error);
      setTimeout(() => reportDown(error), WRITE_ERROR_GRACE_MS).unref();
    });
    const { send } = writer;

    child.once('spawn', () => {
      const pid = child.pid;
      if (pid !== undefined) trackGroup(pid);
      const handle: LinkHandle = pid === undefined ? { send } : { send, pid };
      sendBack({ type: 'link.up', link: handle });
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Before 'spawn' this is a spawn failure; later, a failed kill or pipe, reported by exit.
      if (child.pid === undefined) reportDown(spawnError(options, error));
      else
        sink.diagnostic({
          source: 'process',
          level: 'warn',
          message: `Server process error: ${error.message}`,
          error,
        });
    });
    child.once('exit', (code, signal) => {
      writer.fail(exitError(code, signal));
      // A server that dies explaining why (`boom: missing API_KEY`) has its last words read first.
      afterEnd(child.stderr, STDERR_GRACE_MS, () => reportDown(exitError(code, signal, tail)));
    });

    receive((event) => {
      if (event.type !== 'link.close' || closing) return;
      closing = true;
      void shutdown(child, event.closeMs).then(() => {
        if (!finished) {
          finished = true;
          sendBack({ type: 'link.closed' });
        }
      });
    });

    return () => {
      finished = true;
      writer.fail(new LinkError(ErrorCode.Write, 'The link was stopped', { retryable: true }));
      const pid = child.pid;
      if (pid !== undefined) {
        if (!hasExited(child) || groupAlive(pid)) killGroup(pid, 'SIGKILL');
        untrackGroup(pid);
      }
      child.stdout?.removeAllListeners('data');
      child.stderr?.removeAllListeners('data');
      child.stdout?.destroy();
      child.stderr?.destroy();
      stdin.destroy();
      decoder.reset();
    };
  });
}

/**
 * The graceful shutdown: end stdin, wait `closeMs`; SIGTERM the group, wait `closeMs`; SIGKILL.
 * Once the leader is gone, stragglers in its group (a wrapper's real server) get the same.
 */
async function shutdown(child: ChildProcess, closeMs: number): Promise<void> {
  const pid = child.pid;
  child.stdin?.end();
  if (pid === undefined) return;
  if (!(await exited(child, closeMs))) {
    killGroup(pid, 'SIGTERM');
    if (!(await exited(child, closeMs))) {
      killGroup(pid, 'SIGKILL');
      await exited(child, closeMs);
    }
  }
  if (groupAlive(pid)) {
    killGroup(pid, 'SIGTERM');
    if (!(await until(() => !groupAlive(pid), closeMs))) killGroup(pid, 'SIGKILL');
  }
  untrackGroup(pid);
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
