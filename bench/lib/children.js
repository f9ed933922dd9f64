// Child processes of the benchmarks (echo servers, per-round and per-kind children, the
// servers our stdio transport spawns): bookkeeping so that nothing outlives the bench, a line
// reader on a child's stdout, node spawned with enough file descriptors, and the start and
// stop of an echo server that prints `PORT <n>`.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { withTimeout } from './stats.js';

/** @import { ChildProcess, SpawnOptions } from 'node:child_process' */

/** Pids of live children; an exit hook kills whatever is still here. */
export const livePids = new Set(/** @type {number[]} */ ([]));
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      // Our stdio transport spawns its server in its own process group: kill the group; else the pid.
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/** Pids of this process's live children (from /proc; Linux only, empty elsewhere). */
export function childPids() {
  /** @type {number[]} */
  const pids = [];
  /** @type {string[]} */
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/**
 * Resolves when `child` has exited (at once if it already has).
 * @returns {Promise<void>}
 */
export function exitOf(/** @type {ChildProcess} */ child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Reads `child.stdout` line by line; `next(pattern)` resolves with the first later line matching.
 * @param {ChildProcess} child
 * @param {string} what
 */
export function lineReader(child, what) {
  /** @type {{ pattern: RegExp, resolve: (line: string) => void, reject: (error: Error) => void }[]} */
  const waiting = [];
  let text = '';
  /** @type {Error | undefined} */
  let exited;
  const stdout = child.stdout;
  if (stdout === null) throw new Error(`${what}: stdout is not piped`);
  stdout.setEncoding('utf8');
  stdout.on('data', (/** @type {string} */ chunk) => {
    text += chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const i = waiting.findIndex((w) => w.pattern.test(line));
      if (i !== -1) waiting.splice(i, 1)[0]?.resolve(line);
      newline = text.indexOf('\n');
    }
  });
  child.once('exit', (code, signal) => {
    const error = new Error(`${what} exited (${code ?? signal})`);
    exited = error;
    for (const w of waiting.splice(0)) w.reject(error);
  });
  return {
    /** @returns {Promise<string>} */
    next(/** @type {RegExp} */ pattern) {
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise((resolve, reject) => waiting.push({ pattern, resolve, reject }));
    },
  };
}

/** @typedef {ReturnType<typeof lineReader>} LineReader */

/**
 * Runs `work({ lines, exited })` on a freshly spawned child (stdout piped): registered in
 * livePids until `work` settles; killed when `work` throws (the error is rethrown).
 * @template T
 * @param {ChildProcess} child
 * @param {string} what
 * @param {(child: { lines: LineReader, exited: Promise<void> }) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function withChild(child, what, work) {
  const pid = child.pid;
  if (pid !== undefined) livePids.add(pid);
  const exited = exitOf(child);
  const lines = lineReader(child, what);
  try {
    return await work({ lines, exited });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  } finally {
    if (pid !== undefined) livePids.delete(pid);
  }
}

/**
 * An echo server child (spawned with stdin and stdout piped) once it printed `PORT <n>`:
 * its pid, port and line reader; `close()` ends its stdin and kills it after 5 s.
 * @param {ChildProcess} child
 * @param {string} what
 */
export async function echoServer(child, what) {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${what} did not start`);
  livePids.add(pid);
  const exited = exitOf(child);
  const lines = lineReader(child, what);
  const portLine = await withTimeout(lines.next(/^PORT \d+$/), 10_000, `${what} start`);
  return {
    pid,
    port: Number(portLine.slice(5)),
    lines,
    /** Writes one command line to the server's stdin. */
    command(/** @type {string} */ line) {
      child.stdin?.write(`${line}\n`);
    },
    /** Kills the server at once (SIGKILL), as a crash would. */
    kill() {
      child.kill('SIGKILL');
      return exitOf(child).then(() => void livePids.delete(pid));
    },
    async close() {
      child.stdin?.end();
      try {
        await withTimeout(exited, 5000, `${what} exit`);
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      livePids.delete(pid);
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof echoServer>>} EchoServerChild */

// --- file descriptors: 1,000 sockets need a soft limit above the default 1,024 ---

const BASH = ['/bin/bash', '/usr/bin/bash'].find((path) => existsSync(path));

/**
 * Spawns node with `args`, through bash raising the soft limit on open files to `fds` first
 * when it is lower (to the hard limit when `fds` is above it). `exec` keeps the pid node's.
 * Without bash, node starts directly with this process's limit (the child checks it).
 * @param {string[]} args
 * @param {SpawnOptions & { fds: number }} options
 */
export function spawnNode(args, { fds, ...options }) {
  if (BASH === undefined) return spawn(process.execPath, args, options);
  const script =
    'n=$1; shift; s=$(ulimit -Sn); ' +
    'if [ "$s" != unlimited ] && [ "$s" -lt "$n" ]; then ulimit -Sn "$n" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; fi; ' +
    'exec "$@"';
  return spawn(BASH, ['-c', script, 'raise-fds', String(fds), process.execPath, ...args], options);
}

/** This process's soft limit on open files (from /proc/self/limits), or NaN. */
export function openFilesLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return Number.NaN;
  }
}
