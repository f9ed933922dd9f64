// Memory per idle WebSocket connection: for each kind (bare `ws`, ours, the SDK's transport)
// and round, a fresh child process (the entry run with `--idle-child <kind>`) opens the
// connections and reads its own memory before and after; the server's memory never counts.

import { performance } from 'node:perf_hooks';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { createTransport } from '../../dist/index.js';
import { openFilesLimit, spawnNode, withChild } from '../lib/children.js';
import { perConnection, settledMemory } from '../lib/memory.js';
import { errorText, median, sleep, thousands, withTimeout } from '../lib/stats.js';
import { closed, opened } from './clients.js';
import { ENTRY, ensureGlobalWebSocket, WS_MEMORY } from './setup.js';

/** @import { Log } from '../lib/types.js' */
/** @import { MemoryReading, PerConnection } from '../lib/memory.js' */
/** @import { WsEchoServer } from './setup.js' */

/**
 * What one idle child reports, with the per-connection figures the parent works out.
 * @typedef {{
 *   kind: string, connections: number, openMs: number, before: MemoryReading, after: MemoryReading,
 *   held?: MemoryReading, holdMs: number, openFilesLimit: number, closeMs: number, serverOpen: number,
 *   serverPingsWhileOpen: number, perConnectionKiB: PerConnection, heldPerConnectionKiB?: PerConnection | undefined,
 * }} IdleRun
 */
/** @typedef {IdleRun | { kind: string, failed: true, error: string }} IdleResult */

const onRawMessage = () => {};

/**
 * Opens one idle connection of `kind` in the child; resolves with its handle once open.
 * @param {string} kind
 * @param {string} url
 * @returns {Promise<{ close: () => Promise<void> }>}
 */
async function openIdle(kind, url) {
  if (kind === 'ours') {
    const transport = createTransport({ url });
    transport.onerror = () => {};
    await transport.start();
    if (transport.state !== 'open') throw new Error(`ours: state ${transport.state} after start()`);
    return { close: () => transport.close() };
  }
  if (kind === 'sdk') {
    ensureGlobalWebSocket();
    const transport = new WebSocketClientTransport(new URL(url));
    transport.onerror = () => {};
    transport.onmessage = () => {};
    await transport.start();
    return { close: () => transport.close() };
  }
  const socket = new WebSocket(url, ['mcp'], { perMessageDeflate: false });
  socket.on('message', onRawMessage);
  await opened(socket);
  socket.on('error', () => {});
  return { close: () => closed(socket) };
}

/**
 * Opens `count` connections, `batch` at a time.
 * @param {string} kind
 * @param {string} url
 * @param {number} count
 * @param {number} batch
 */
async function openMany(kind, url, count, batch) {
  /** @type {{ close: () => Promise<void> }[]} */
  const handles = [];
  while (handles.length < count) {
    const n = Math.min(batch, count - handles.length);
    handles.push(...(await Promise.all(Array.from({ length: n }, () => openIdle(kind, url)))));
  }
  return handles;
}

/**
 * The child's side (`--idle-child <kind>`): warm up, read a baseline, open the connections,
 * read again (and again after `holdMs` when asked), print `READY <json>`; close all when
 * stdin says `close`, print `DONE <json>` and exit.
 */
/**
 * @param {{ kind: string, url: string, connections: number, holdMs: number }} options
 */
export async function idleChild({ kind, url, connections, holdMs }) {
  const limit = openFilesLimit();
  if (limit < connections + 64)
    throw new Error(`open-files limit ${limit} is too low for ${connections} connections`);
  if (typeof globalThis.gc !== 'function') throw new Error('the idle-connection child needs --expose-gc');
  const warm = await openMany(kind, url, WS_MEMORY.warmupConnections, WS_MEMORY.warmupConnections);
  await Promise.all(warm.map((h) => h.close()));
  warm.length = 0;
  await sleep(200);
  const before = await settledMemory();
  const began = performance.now();
  const handles = await openMany(kind, url, connections, WS_MEMORY.batch);
  const openMs = performance.now() - began;
  await sleep(WS_MEMORY.settleMs);
  const after = await settledMemory();
  let held;
  if (holdMs > 0) {
    await sleep(holdMs);
    held = await settledMemory();
  }
  process.stdout.write(
    `READY ${JSON.stringify({ kind, connections, openMs, before, after, held, holdMs, openFilesLimit: limit })}\n`,
  );
  /** @type {Promise<void>} */
  const closing = new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (/** @type {string} */ chunk) => {
      text += chunk;
      if (text.includes('close\n')) resolve();
    });
    process.stdin.on('end', () => resolve());
  });
  await closing;
  const closeBegan = performance.now();
  await Promise.all(handles.map((h) => h.close()));
  process.stdout.write(`DONE ${JSON.stringify({ closeMs: performance.now() - closeBegan })}\n`);
  process.exit(0);
}

/**
 * Runs one child for `kind`; resolves with its readings and the server's connection count while open.
 * @param {string} kind
 * @param {WsEchoServer} server
 * @param {{ connections: number, holdMs: number }} options
 * @returns {Promise<IdleResult>}
 */
async function measureIdle(kind, server, { connections, holdMs }) {
  const args = [
    '--expose-gc',
    ENTRY,
    '--idle-child',
    kind,
    '--url',
    server.url,
    '--connections',
    String(connections),
    '--hold-ms',
    String(holdMs),
  ];
  const child = spawnNode(args, { fds: connections * 2 + 512, stdio: ['pipe', 'pipe', 'inherit'] });
  const what = `idle child (${kind})`;
  try {
    return await withChild(child, what, async ({ lines, exited }) => {
      const pingsBefore = (await server.count()).pings;
      const readyLine = await withTimeout(lines.next(/^READY /), WS_MEMORY.timeoutMs + holdMs, what);
      const ready = JSON.parse(readyLine.slice(6));
      const count = await server.count();
      const done = lines.next(/^DONE /);
      child.stdin?.write('close\n');
      const closedAfter = JSON.parse((await withTimeout(done, 30_000, `${what} close`)).slice(5));
      await withTimeout(exited, 10_000, `${what} exit`);
      return {
        ...ready,
        closeMs: closedAfter.closeMs,
        serverOpen: count.open,
        serverPingsWhileOpen: count.pings - pingsBefore,
        perConnectionKiB: perConnection(ready.before, ready.after, connections),
        heldPerConnectionKiB:
          ready.held === undefined ? undefined : perConnection(ready.before, ready.held, connections),
      };
    });
  } catch (error) {
    return { kind, failed: true, error: errorText(error) };
  }
}

/**
 * The progress line of one child.
 * @param {number} r
 * @param {string} kind
 * @param {IdleResult} result
 * @param {number} connections
 */
function idleLine(r, kind, result, connections) {
  const what = `  ws memory round ${r} ${kind.padEnd(4)}`;
  if ('failed' in result) return `${what}: FAILED: ${result.error}`;
  const p = result.perConnectionKiB;
  const h = result.heldPerConnectionKiB;
  return (
    `${what}: ${thousands(connections)} open in ${result.openMs.toFixed(0)} ms ` +
    `(server sees ${result.serverOpen}); per connection: heapUsed ${p.heapUsed.toFixed(1)} KiB, ` +
    `external ${p.external.toFixed(1)}, arrayBuffers ${p.arrayBuffers.toFixed(1)}, ` +
    `sum ${p.sum.toFixed(1)}, rss ${p.rss.toFixed(1)} KiB` +
    (h === undefined
      ? ''
      : `; after ${result.holdMs} ms idle: sum ${h.sum.toFixed(1)}, rss ` +
        `${h.rss.toFixed(1)} KiB (${result.serverPingsWhileOpen} pings at the server)`)
  );
}

/**
 * The medians over the rounds of one kind.
 * @param {IdleResult[]} runs
 * @param {number} holdMs
 */
function summarizeKind(runs, holdMs) {
  const ok = /** @type {IdleRun[]} */ (runs.filter((r) => !('failed' in r)));
  const first = ok[0];
  if (first === undefined) {
    const failure = runs[0];
    return {
      failed: /** @type {const} */ (true),
      error: failure && 'error' in failure ? failure.error : 'no round ran',
      rounds: runs,
    };
  }
  /** @type {(f: keyof PerConnection, key?: 'perConnectionKiB' | 'heldPerConnectionKiB') => number} */
  const field = (f, key = 'perConnectionKiB') => median(ok.map((r) => r[key]?.[f] ?? Number.NaN));
  /** @type {(keyof PerConnection)[]} */
  const fields = ['heapUsed', 'external', 'arrayBuffers', 'sum', 'heapUsedPlusExternal', 'rss'];
  return {
    perConnectionKiB: /** @type {PerConnection} */ (Object.fromEntries(fields.map((f) => [f, field(f)]))),
    heldPerConnectionKiB:
      holdMs > 0
        ? /** @type {PerConnection} */ (
            Object.fromEntries(fields.map((f) => [f, field(f, 'heldPerConnectionKiB')]))
          )
        : undefined,
    minSum: Math.min(...ok.map((r) => r.perConnectionKiB.sum)),
    maxSum: Math.max(...ok.map((r) => r.perConnectionKiB.sum)),
    openMs: median(ok.map((r) => r.openMs)),
    closeMs: median(ok.map((r) => r.closeMs)),
    serverOpen: Math.min(...ok.map((r) => r.serverOpen)),
    serverPingsWhileOpen: median(ok.map((r) => r.serverPingsWhileOpen)),
    resourcesAfter: first.after.resources,
    openFilesLimit: first.openFilesLimit,
    failedRounds: runs.length - ok.length,
    rounds: runs,
  };
}

/** @typedef {ReturnType<typeof summarizeKind>} KindSummary */
/** @typedef {{ connections: number, rounds: number, holdMs: number, kinds: Record<string, KindSummary> }} WsMemory */

/**
 * The idle-connection memory check: kinds interleaved over rounds, each in a fresh child.
 * @param {WsEchoServer} server
 * @param {{ connections: number, rounds: number, holdMs: number, log: Log }} options
 * @returns {Promise<WsMemory>}
 */
export async function runMemory(server, { connections, rounds, holdMs, log }) {
  /** @type {Record<string, IdleResult[]>} */
  const perKind = Object.fromEntries(WS_MEMORY.kinds.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r += 1) {
    for (const kind of WS_MEMORY.kinds) {
      // The server must be back to no connections, so each child meets the same server.
      for (let i = 0; i < 50 && (await server.count()).open > 0; i += 1) await sleep(100);
      const result = await measureIdle(kind, server, { connections, holdMs });
      perKind[kind]?.push(result);
      log(idleLine(r, kind, result, connections));
    }
  }
  const kinds = Object.fromEntries(WS_MEMORY.kinds.map((k) => [k, summarizeKind(perKind[k] ?? [], holdMs)]));
  return { connections, rounds, holdMs, kinds };
}
