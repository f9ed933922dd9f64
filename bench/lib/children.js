// Child processes of the network benchmarks (echo servers, per-round and per-kind children):
// bookkeeping so that nothing outlives the bench, a line reader on a child's stdout, and the
// start and stop of an echo server that prints `PORT <n>`.

import { withTimeout } from '../lib.js';

/** Pids of live children; an exit hook kills whatever is still here. */
export const livePids = new Set();
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Resolves when `child` has exited (at once if it already has). */
export function exitOf(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

/** Reads `child.stdout` line by line; `next(pattern)` resolves with the first later line matching. */
export function lineReader(child, what) {
  const waiting = [];
  let text = '';
  let exited;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    text += chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const i = waiting.findIndex((w) => w.pattern.test(line));
      if (i !== -1) waiting.splice(i, 1)[0].resolve(line);
      newline = text.indexOf('\n');
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`${what} exited (${code ?? signal})`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  return {
    next(pattern) {
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise((resolve, reject) => waiting.push({ pattern, resolve, reject }));
    },
  };
}

/**
 * Runs `work({ lines, exited })` on a freshly spawned child (stdout piped): registered in
 * livePids until `work` settles; killed when `work` throws (the error is rethrown).
 */
export async function withChild(child, what, work) {
  livePids.add(child.pid);
  const exited = exitOf(child);
  const lines = lineReader(child, what);
  try {
    return await work({ lines, exited });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  } finally {
    livePids.delete(child.pid);
  }
}

/**
 * An echo server child (spawned with stdin and stdout piped) once it printed `PORT <n>`:
 * its pid, port and line reader; `close()` ends its stdin and kills it after 5 s.
 */
export async function echoServer(child, what) {
  livePids.add(child.pid);
  const exited = exitOf(child);
  const lines = lineReader(child, what);
  const portLine = await withTimeout(lines.next(/^PORT \d+$/), 10_000, `${what} start`);
  return {
    pid: child.pid,
    port: Number(portLine.slice(5)),
    lines,
    async close() {
      child.stdin.end();
      try {
        await withTimeout(exited, 5000, `${what} exit`);
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      livePids.delete(child.pid);
    },
  };
}
