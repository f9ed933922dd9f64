// The scale check (section `scale`): 1,000 connections in one process against one shared
// WebSocket backend, each kind in a fresh child process (scale-child.js): bare `ws` sockets as
// the baseline, then 1,000 servers under one createSupervisor(). Per kind: the time to open all
// at once, the memory per connection, and the event-loop delay; for the supervised fleet, the
// backend is then killed (SIGKILL) and started again on the same port `downMs` later, and the
// child reports when every server is open again and when each attempt was made.

import { spawnNode, withChild } from '../lib/children.js';
import { perConnection } from '../lib/memory.js';
import { errorText, withTimeout } from '../lib/stats.js';
import { startEchoServer } from '../websocket/setup.js';
import { ENTRY, histogram, SCALE, WINDOW_MS } from './setup.js';

/** @import { Log } from '../lib/types.js' */
/** @import { MemoryReading, PerConnection } from '../lib/memory.js' */
/** @import { WsEchoServer } from '../websocket/setup.js' */
/** @import { LoopDelay } from './scale-child.js' */

/**
 * What a child saw of the backend's restart (bare sockets do not reconnect: no recoveredMs).
 * @typedef {{
 *   allDownMs: number | undefined, restartedMs: number, recoveredMs: number | undefined, recovered: boolean,
 *   openAtEnd: number, attemptsMs: number[],
 * }} Recovery
 */

/**
 * One kind's run.
 * @typedef {{
 *   kind: string, connections: number, openMs: number, before: MemoryReading, after: MemoryReading,
 *   openFilesLimit: number, perConnectionKiB: PerConnection, delay: Record<string, LoopDelay>,
 *   closeMs: number, serverOpen: number, down?: { allDownMs: number | undefined, restartedMs: number },
 *   recovery?: Recovery & { attempts: number, busiestWindow: number, histogram: number[] },
 * }} ScaleRun
 */
/** @typedef {ScaleRun | { kind: string, failed: true, error: string }} ScaleKind */
/** @typedef {{ connections: number, downMs: number, idleMs: number, windowMs: number, kinds: Record<string, ScaleKind> }} ScaleResult */

/**
 * Runs one kind in its child: kills and restarts the backend between the child's `OPEN` and
 * its `RECOVERED`. Resolves with the backend to use next (the restarted one).
 * @param {string} kind
 * @param {WsEchoServer} backend
 * @param {{ connections: number, downMs: number, log: Log }} options
 * @returns {Promise<{ run: ScaleKind, backend: WsEchoServer }>}
 */
async function runKind(kind, backend, { connections, downMs, log }) {
  const args = [
    '--expose-gc',
    ENTRY,
    '--scale-child',
    kind,
    '--url',
    backend.url,
    '--connections',
    String(connections),
  ];
  const child = spawnNode(args, { fds: connections * 2 + 512, stdio: ['pipe', 'pipe', 'inherit'] });
  const what = `scale child (${kind})`;
  let current = backend;
  const tell = (/** @type {string} */ word) => child.stdin?.write(`${word}\n`);
  try {
    const run = await withChild(child, what, async ({ lines, exited }) => {
      const opened = JSON.parse(
        (await withTimeout(lines.next(/^OPEN /), SCALE.timeoutMs * 2, what)).slice(5),
      );
      const serverOpen = (await current.count()).open;
      log(
        `  scale ${kind}: ${connections} open in ${opened.openMs.toFixed(0)} ms (the backend sees ${serverOpen}), ` +
          `${perConnection(opened.before, opened.after, connections).sum.toFixed(1)} KiB per connection`,
      );
      const noted = lines.next(/^CUT$/);
      tell('cut');
      await withTimeout(noted, 10_000, `${what}: cut`);
      const cutAt = Date.now();
      await current.kill();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downMs - (Date.now() - cutAt))));
      current = await startEchoServer(current.port);
      const recovered = lines.next(/^RECOVERED /);
      tell('restarted');
      /** @type {Recovery} */
      const recovery = JSON.parse(
        (await withTimeout(recovered, SCALE.timeoutMs * 2, `${what}: recovery`)).slice(10),
      );
      const done = lines.next(/^DONE /);
      tell('close');
      const closed = JSON.parse((await withTimeout(done, 60_000, `${what}: close`)).slice(5));
      await withTimeout(exited, 10_000, `${what}: exit`);
      /** @type {ScaleRun} */
      const result = {
        ...opened,
        perConnectionKiB: perConnection(opened.before, opened.after, connections),
        delay: closed.delay,
        closeMs: closed.closeMs,
        serverOpen,
      };
      result.down = { allDownMs: recovery.allDownMs, restartedMs: recovery.restartedMs };
      if (kind === 'supervised') {
        const counts = histogram(recovery.attemptsMs);
        result.recovery = {
          ...recovery,
          attempts: recovery.attemptsMs.length,
          busiestWindow: Math.max(0, ...counts),
          histogram: counts,
        };
      }
      return result;
    });
    return { run, backend: current };
  } catch (error) {
    return { run: { kind, failed: true, error: errorText(error) }, backend: current };
  }
}

/**
 * The scale check: the raw baseline, then the supervised fleet through one backend restart.
 * @param {{ connections?: number | undefined, downMs?: number | undefined, log: Log }} options
 * @returns {Promise<ScaleResult>}
 */
export async function runScale({ connections = SCALE.connections, downMs = SCALE.downMs, log }) {
  let backend = await startEchoServer(0);
  log(`  scale backend (echo server, ws) pid ${backend.pid} on 127.0.0.1:${backend.port}`);
  /** @type {Record<string, ScaleKind>} */
  const kinds = {};
  try {
    for (const kind of SCALE.kinds) {
      // The backend must be back to no connections, so each child meets the same backend.
      for (let i = 0; i < 50 && (await backend.count()).open > 0; i += 1)
        await new Promise((r) => setTimeout(r, 100));
      const { run, backend: next } = await runKind(kind, backend, { connections, downMs, log });
      backend = next;
      kinds[kind] = run;
      if ('failed' in run) log(`  scale ${kind}: FAILED: ${run.error}`);
      else {
        const r = run.recovery;
        log(
          `  scale ${kind}: backend killed, all down after ${run.down?.allDownMs === undefined ? 'n/a (never all at once)' : `${run.down.allDownMs.toFixed(0)} ms`}, back after ` +
            `${run.down?.restartedMs.toFixed(0)} ms` +
            (r === undefined
              ? ''
              : `; ${r.openAtEnd} of ${connections} open again after ${r.recoveredMs?.toFixed(0)} ms; ${r.attempts} ` +
                `attempts, busiest ${WINDOW_MS} ms window ${r.busiestWindow}`) +
            `; event-loop delay p99 ${Object.entries(run.delay)
              .map(([name, d]) => `${name} ${d.p99Ms.toFixed(1)}`)
              .join(', ')} ms`,
        );
      }
    }
  } finally {
    await backend.close();
  }
  return { connections, downMs, idleMs: SCALE.idleMs, windowMs: WINDOW_MS, kinds };
}
