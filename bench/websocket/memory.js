// Memory per idle WebSocket connection: for each kind (bare `ws`, ours, the SDK's transport)
// and round, a fresh child process (the entry run with `--idle-child <kind>`) opens the
// connections and reads its own memory before and after; the server's memory never counts.

import { performance } from 'node:perf_hooks';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { createTransport } from '../../dist/index.js';
import { withChild } from '../lib/children.js';
import { errorText } from '../lib/mcp.js';
import { collectGarbage, median, sleep, thousands, withTimeout } from '../lib.js';
import { closed, opened } from './clients.js';
import { ENTRY, ensureGlobalWebSocket, openFilesLimit, spawnNode, WS_MEMORY } from './setup.js';

const KiB = 1024;
const onRawMessage = () => {};

/** Opens one idle connection of `kind` in the child; resolves with its handle once open. */
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

/** Opens `count` connections, `batch` at a time. */
async function openMany(kind, url, count, batch) {
  const handles = [];
  while (handles.length < count) {
    const n = Math.min(batch, count - handles.length);
    handles.push(...(await Promise.all(Array.from({ length: n }, () => openIdle(kind, url)))));
  }
  return handles;
}

/** Full GCs with pauses between (weak callbacks and finalizers run), then process.memoryUsage(). */
async function settledMemory() {
  for (let i = 0; i < 4; i += 1) {
    collectGarbage();
    await sleep(25);
  }
  collectGarbage();
  const m = process.memoryUsage();
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  return {
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    rss: m.rss,
    heapTotal: m.heapTotal,
    resources,
  };
}

/**
 * The child's side (`--idle-child <kind>`): warm up, read a baseline, open the connections,
 * read again (and again after `holdMs` when asked), print `READY <json>`; close all when
 * stdin says `close`, print `DONE <json>` and exit.
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
  await new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      text += chunk;
      if (text.includes('close\n')) resolve();
    });
    process.stdin.on('end', resolve);
  });
  const closing = performance.now();
  await Promise.all(handles.map((h) => h.close()));
  process.stdout.write(`DONE ${JSON.stringify({ closeMs: performance.now() - closing })}\n`);
  process.exit(0);
}

/** KiB per connection between two readings of a child. */
function perConnection(from, to, connections) {
  const kib = (field) => (to[field] - from[field]) / connections / KiB;
  const sum = (m) => m.heapUsed + m.external + m.arrayBuffers;
  return {
    heapUsed: kib('heapUsed'),
    external: kib('external'),
    arrayBuffers: kib('arrayBuffers'),
    sum: (sum(to) - sum(from)) / connections / KiB,
    heapUsedPlusExternal: (to.heapUsed + to.external - from.heapUsed - from.external) / connections / KiB,
    rss: kib('rss'),
  };
}

/** Runs one child for `kind`; resolves with its readings and the server's connection count while open. */
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
      child.stdin.write('close\n');
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

/** The progress line of one child. */
function idleLine(r, kind, result, connections) {
  const what = `  ws memory round ${r} ${kind.padEnd(4)}`;
  if (result.failed) return `${what}: FAILED: ${result.error}`;
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

/** The medians over the rounds of one kind. */
function summarizeKind(runs, holdMs) {
  const ok = runs.filter((r) => !r.failed);
  if (ok.length === 0) return { failed: true, error: runs[0]?.error, rounds: runs };
  const field = (f, key = 'perConnectionKiB') => median(ok.map((r) => r[key][f]));
  const fields = ['heapUsed', 'external', 'arrayBuffers', 'sum', 'heapUsedPlusExternal', 'rss'];
  return {
    perConnectionKiB: Object.fromEntries(fields.map((f) => [f, field(f)])),
    heldPerConnectionKiB:
      holdMs > 0 ? Object.fromEntries(fields.map((f) => [f, field(f, 'heldPerConnectionKiB')])) : undefined,
    minSum: Math.min(...ok.map((r) => r.perConnectionKiB.sum)),
    maxSum: Math.max(...ok.map((r) => r.perConnectionKiB.sum)),
    openMs: median(ok.map((r) => r.openMs)),
    closeMs: median(ok.map((r) => r.closeMs)),
    serverOpen: Math.min(...ok.map((r) => r.serverOpen)),
    serverPingsWhileOpen: median(ok.map((r) => r.serverPingsWhileOpen)),
    resourcesAfter: ok[0].after.resources,
    openFilesLimit: ok[0].openFilesLimit,
    failedRounds: runs.length - ok.length,
    rounds: runs,
  };
}

/** The idle-connection memory check: kinds interleaved over rounds, each in a fresh child. */
export async function runMemory(server, { connections, rounds, holdMs, log }) {
  const perKind = Object.fromEntries(WS_MEMORY.kinds.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r += 1) {
    for (const kind of WS_MEMORY.kinds) {
      // The server must be back to no connections, so each child meets the same server.
      for (let i = 0; i < 50 && (await server.count()).open > 0; i += 1) await sleep(100);
      const result = await measureIdle(kind, server, { connections, holdMs });
      perKind[kind].push(result);
      log(idleLine(r, kind, result, connections));
    }
  }
  const kinds = Object.fromEntries(WS_MEMORY.kinds.map((k) => [k, summarizeKind(perKind[k], holdMs)]));
  return { connections, rounds, holdMs, kinds };
}
