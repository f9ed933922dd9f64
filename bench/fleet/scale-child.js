// The child side of the scale check (`node --expose-gc bench/fleet/main.js --scale-child <kind>`):
// a fresh process that opens `connections` connections of one kind to the shared backend at
// once, and measures its own memory and event loop.
//
//   raw:        bare `ws` sockets (the baseline), all opened at once;
//   supervised: one createSupervisor() with a server per connection (default policy), start().
// After the memory reading, the parent kills the backend (`cut` on stdin) and restarts it
// (`restarted`): the bare sockets just close (what 1,000 sockets closing at once costs the
// event loop); the supervised child reports when every server is open again, with the time of
// every connection attempt after the cut.
//
// Lines on stdout: `OPEN <json>` (all open, idle, memory read), `CUT` (the cut noted),
// `RECOVERED <json>` (after the restart), `DONE <json>` (closed). The event-loop delay is read with
// perf_hooks.monitorEventLoopDelay in phases: open, idle, down (cut → restarted) and recovery
// (restarted → every server open), and over all of them together; it is paused while the
// memory reading runs its full GCs.

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createSupervisor } from '../../dist/index.js';
import { openFilesLimit } from '../lib/children.js';
import { settledMemory } from '../lib/memory.js';
import { sleep, withTimeout } from '../lib/stats.js';
import { closed, opened } from '../websocket/clients.js';
import { SCALE } from './setup.js';

/** @import { IntervalHistogram } from 'node:perf_hooks' */
/** @import { ServerStatus, Supervisor } from '../../dist/index.js' */

/** @typedef {{ samples: number, p50Ms: number, p99Ms: number, maxMs: number }} LoopDelay */

/**
 * The event-loop delay over one phase (ms; Node's histogram counts each sample's whole interval,
 * so an idle loop reads about `resolution` ms).
 * @param {IntervalHistogram} h
 * @returns {LoopDelay}
 */
function phaseOf(h) {
  const ms = (/** @type {number} */ ns) => (Number.isFinite(ns) ? ns / 1e6 : Number.NaN);
  return { samples: h.count, p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
}

/** Lines from the parent on stdin: `next(word)` resolves once that line came. */
function commands() {
  /** @type {Map<string, () => void>} */
  const waiting = new Map();
  /** @type {Set<string>} */
  const seen = new Set();
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (/** @type {string} */ chunk) => {
    text += chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const word = text.slice(0, newline).trim();
      text = text.slice(newline + 1);
      seen.add(word);
      waiting.get(word)?.();
      newline = text.indexOf('\n');
    }
  });
  return {
    /** @returns {Promise<void>} */
    next(/** @type {string} */ word) {
      if (seen.has(word)) return Promise.resolve();
      return new Promise((resolve) => waiting.set(word, resolve));
    },
  };
}

/**
 * Bare `ws` sockets, all opened at once; `open` counts those not closed since.
 * @param {string} url
 * @param {number} count
 */
async function openRaw(url, count) {
  let open = 0;
  /** @type {(() => void)[]} */
  const listeners = [];
  const sockets = Array.from({ length: count }, () => {
    const socket = new WebSocket(url, ['mcp'], { perMessageDeflate: false });
    socket.on('message', () => {});
    socket.on('error', () => {});
    socket.on('open', () => {
      open += 1;
    });
    socket.on('close', () => {
      open -= 1;
      for (const listener of listeners) listener();
    });
    return socket;
  });
  await Promise.all(sockets.map(opened));
  return {
    close: () => Promise.all(sockets.map(closed)).then(() => {}),
    get open() {
      return open;
    },
    listen(/** @type {() => void} */ listener) {
      listeners.push(listener);
    },
  };
}

/**
 * Every server's state, kept from the supervisor's status events; `until(n)` waits for n open.
 * @param {Supervisor} supervisor
 */
function trackStates(supervisor) {
  /** @type {Map<string, ServerStatus['state']>} */
  const states = new Map(supervisor.status().map((s) => [s.name, s.state]));
  let open = [...states.values()].filter((s) => s === 'open').length;
  /** @type {{ count: number, resolve: () => void }[]} */
  const waiting = [];
  /** @type {((status: ServerStatus) => void)[]} */
  const listeners = [];
  supervisor.subscribe((status) => {
    const before = states.get(status.name);
    if (before === 'open') open -= 1;
    if (status.state === 'open') open += 1;
    states.set(status.name, status.state);
    for (const listener of listeners) listener(status);
    for (let i = waiting.length - 1; i >= 0; i -= 1) {
      const w = waiting[i];
      if (w !== undefined && w.count === open) {
        waiting.splice(i, 1);
        w.resolve();
      }
    }
  });
  return {
    get open() {
      return open;
    },
    /** @returns {Promise<void>} */
    until(/** @type {number} */ count) {
      if (open === count) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ count, resolve }));
    },
    listen(/** @type {(status: ServerStatus) => void} */ listener) {
      listeners.push(listener);
    },
  };
}

/**
 * @param {{ kind: string, url: string, connections: number }} options
 */
export async function scaleChild({ kind, url, connections }) {
  const limit = openFilesLimit();
  if (limit < connections + 64)
    throw new Error(`open-files limit ${limit} is too low for ${connections} connections`);
  if (typeof globalThis.gc !== 'function') throw new Error('the scale child needs --expose-gc');
  const parent = commands();
  const servers = (/** @type {number} */ n, /** @type {string} */ prefix) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, { url }]));

  // Warm up: module loading, JIT and caches, so the baseline holds none of them.
  if (kind === 'raw') await (await openRaw(url, SCALE.warmupConnections)).close();
  else {
    const warm = createSupervisor({ servers: servers(SCALE.warmupConnections, 'warm-') });
    await warm.start();
    await warm.close();
  }
  await sleep(200);
  const before = await settledMemory();

  // One histogram per phase, and one over every phase (histograms of the event loop do not merge).
  const phase = monitorEventLoopDelay({ resolution: SCALE.resolutionMs });
  const whole = monitorEventLoopDelay({ resolution: SCALE.resolutionMs });
  const loop = {
    enable() {
      phase.enable();
      whole.enable();
    },
    disable() {
      phase.disable();
      whole.disable();
    },
  };
  /** @type {Record<string, LoopDelay>} */
  const delay = {};
  const endPhase = (/** @type {string} */ name) => {
    delay[name] = phaseOf(phase);
    phase.reset();
  };
  loop.enable();
  const began = performance.now();
  /** @type {{ close: () => Promise<unknown> }} */
  let fleet;
  /** What the cut needs: how many are open, and a call on every change. */
  /** @type {{ readonly open: number, listen: (listener: (status?: ServerStatus) => void) => void }} */
  let view;
  /** @type {ReturnType<typeof trackStates> | undefined} */
  let tracked;
  if (kind === 'raw') {
    const sockets = await withTimeout(openRaw(url, connections), SCALE.timeoutMs, 'raw: open');
    fleet = sockets;
    view = sockets;
  } else {
    const supervisor = createSupervisor({ servers: servers(connections, 's') });
    tracked = trackStates(supervisor);
    await supervisor.start();
    await withTimeout(tracked.until(connections), SCALE.timeoutMs, 'supervised: every server open');
    fleet = supervisor;
    view = tracked;
  }
  const openMs = performance.now() - began;
  endPhase('open');
  await sleep(SCALE.idleMs);
  endPhase('idle');
  loop.disable();
  const after = await settledMemory();
  phase.reset();
  process.stdout.write(
    `OPEN ${JSON.stringify({ kind, connections, openMs, before, after, openFilesLimit: limit })}\n`,
  );

  await parent.next('cut');
  loop.enable();
  const cut = performance.now();
  /** @type {number[]} */
  const attemptsMs = [];
  /** @type {number | undefined} */
  let allDownMs;
  view.listen((status) => {
    const at = performance.now() - cut;
    if (status?.state === 'connecting') attemptsMs.push(at);
    if (view.open === 0) allDownMs ??= at;
  });
  process.stdout.write('CUT\n');
  await parent.next('restarted');
  const restartedMs = performance.now() - cut;
  endPhase('down');
  let recovered = false;
  /** @type {number | undefined} */
  let recoveredMs;
  if (tracked !== undefined) {
    try {
      await withTimeout(tracked.until(connections), SCALE.timeoutMs, 'supervised: every server open again');
      recovered = true;
    } catch {
      // reported as not recovered
    }
    recoveredMs = performance.now() - cut;
    endPhase('recovery');
  }
  loop.disable();
  const report = { allDownMs, restartedMs, recoveredMs, recovered, openAtEnd: view.open, attemptsMs };
  process.stdout.write(`RECOVERED ${JSON.stringify(report)}\n`);

  await parent.next('close');
  const closing = performance.now();
  await fleet.close();
  delay.all = phaseOf(whole);
  const summary = { closeMs: performance.now() - closing, delay };
  process.stdout.write(`DONE ${JSON.stringify(summary)}\n`);
  process.exit(0);
}
