// @ts-check
// What this process holds, counted from the kernel's view and Node's: its child processes
// (/proc/<pid>/task/<tid>/children), its file descriptors by kind (/proc/self/fd), its libuv
// handles and requests by kind (process.getActiveResourcesInfo()), the listeners on the emitters
// every connection shares (process, its stdout and stderr, the http/https global agents, which
// dockerode's Engine client uses), and the heap after a forced GC. A sample is synchronous: the
// probe itself must not open what it counts. Containers are counted apart (leak-targets.js),
// before the sample, because asking the engine opens a socket.

import { createHook } from 'node:async_hooks';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * @typedef {object} ChildInfo
 * @property {number} pid
 * @property {string} comm  the command name from /proc/<pid>/comm
 * @property {string} state one letter from /proc/<pid>/stat (Z: a zombie nobody reaped)
 */

/**
 * @typedef {object} FdInfo
 * @property {number} fd
 * @property {'socket' | 'pipe' | 'file' | 'anon'} kind
 * @property {string} target what /proc/self/fd/<fd> links to
 */

/**
 * @typedef {object} Sample
 * @property {ChildInfo[]} children
 * @property {FdInfo[]} fds
 * @property {Record<string, number>} resources process.getActiveResourcesInfo(), counted by kind
 * @property {Record<string, number>} asyncResources live async resources by type, unref'd ones too (see trackAsyncResources)
 * @property {Record<string, number>} listeners `<emitter>:<event>` -> listener count, plus `<agent>:sockets` etc.
 * @property {number} heapUsed bytes, after a forced GC
 * @property {number | undefined} containers the engine's containers carrying our label; undefined without an engine
 */

/**
 * Live async resources by id -> type, from an async hook: unlike getActiveResourcesInfo(), it
 * sees what was unref()'d (a forgotten `setTimeout(...).unref()` or an unref'd socket keeps no
 * process alive, but it is still a leak). Promises are left out: they are many, and GC ends them.
 * @type {Map<number, string>}
 */
const liveAsync = new Map();
/** @type {import('node:async_hooks').AsyncHook | undefined} */
let asyncHook;

/** Starts recording async resources (what existed before is not seen: take the baseline after). */
export function trackAsyncResources() {
  asyncHook ??= createHook({
    init(id, type) {
      if (type !== 'PROMISE') liveAsync.set(id, type);
    },
    destroy(id) {
      liveAsync.delete(id);
    },
  }).enable();
}

/** Stops recording and forgets what was recorded. */
export function stopTrackingAsyncResources() {
  asyncHook?.disable();
  asyncHook = undefined;
  liveAsync.clear();
}

/** The kinds a row reports counts of, in table order. */
export const FD_KINDS = /** @type {const} */ (['socket', 'pipe', 'file', 'anon']);

/** @type {(() => void) | undefined} */
let gcFunction;

/**
 * The garbage collector: `globalThis.gc` under `--expose-gc`, else exposed at run time through
 * V8's flag (the flag must be set before a context is made, hence the fresh vm context).
 * @returns {() => void}
 */
export function collector() {
  if (gcFunction !== undefined) return gcFunction;
  const exposed = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (typeof exposed === 'function') gcFunction = exposed;
  else {
    setFlagsFromString('--expose-gc');
    gcFunction = /** @type {() => void} */ (runInNewContext('gc'));
  }
  return gcFunction;
}

/**
 * Collects garbage until nothing is left to finalise: a few rounds, each letting the event loop
 * run the callbacks (FinalizationRegistry, socket and handle close callbacks) the previous one
 * made due.
 */
export async function collectGarbage() {
  const gc = collector();
  for (let round = 0; round < 4; round += 1) {
    gc();
    await nextTurn();
    await sleep(10);
  }
}

/** @param {string} path */
function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * This process's children: the `children` file of each of its threads (libuv spawns from the
 * main thread, but a worker may too), so a child that was never reaped (state Z) counts.
 * @returns {ChildInfo[]}
 */
export function childProcesses() {
  /** @type {Set<number>} */
  const pids = new Set();
  let tasks = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  for (const tid of tasks) {
    for (const pid of (readText(`/proc/self/task/${tid}/children`) ?? '').trim().split(/\s+/)) {
      if (/^\d+$/.test(pid)) pids.add(Number(pid));
    }
  }
  return [...pids]
    .sort((a, b) => a - b)
    .map((pid) => {
      const stat = readText(`/proc/${pid}/stat`) ?? '';
      // The state follows the command, which is in parentheses and may itself hold spaces.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || '?';
      return { pid, comm: (readText(`/proc/${pid}/comm`) ?? '?').trim(), state };
    });
}

/**
 * This process's open file descriptors by kind. The listing opens one descriptor of its own
 * (the directory), which is gone by the time it is read: every sample has it, so it cancels.
 * @returns {FdInfo[]}
 */
export function openDescriptors() {
  /** @type {FdInfo[]} */
  const fds = [];
  let entries = [];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  for (const entry of entries) {
    let target;
    try {
      target = readlinkSync(`/proc/self/fd/${entry}`);
    } catch {
      continue; // the listing's own descriptor, closed meanwhile
    }
    /** @type {FdInfo['kind']} */
    const kind = target.startsWith('socket:')
      ? 'socket'
      : target.startsWith('pipe:')
        ? 'pipe'
        : target.startsWith('anon_inode:')
          ? 'anon'
          : 'file';
    fds.push({ fd: Number(entry), kind, target });
  }
  return fds;
}

/**
 * Counts of a list of names.
 * @param {readonly string[]} names
 * @returns {Record<string, number>}
 */
function countBy(names) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/**
 * @param {Record<string, unknown[] | undefined>} table an agent's `sockets`, `freeSockets` or `requests`
 */
function pooled(table) {
  return Object.values(table).reduce((sum, list) => sum + (list?.length ?? 0), 0);
}

/**
 * Listeners on the emitters every connection of the process shares, and what the global HTTP
 * agents pool. Getters that create their stream on first use (process.stdin) are left alone.
 * @returns {Record<string, number>}
 */
export function sharedListeners() {
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {[string, import('node:events').EventEmitter][]} */
  const emitters = [
    ['process', process],
    ['stdout', process.stdout],
    ['stderr', process.stderr],
    ['http.globalAgent', http.globalAgent],
    ['https.globalAgent', https.globalAgent],
  ];
  for (const [name, emitter] of emitters) {
    for (const event of emitter.eventNames()) {
      counts[`${name}:${String(event)}`] = emitter.listenerCount(event);
    }
  }
  for (const [name, agent] of /** @type {const} */ ([
    ['http.globalAgent', http.globalAgent],
    ['https.globalAgent', https.globalAgent],
  ])) {
    counts[`${name}:sockets`] = pooled(agent.sockets);
    counts[`${name}:freeSockets`] = pooled(agent.freeSockets);
    counts[`${name}:requests`] = pooled(agent.requests);
  }
  return counts;
}

/**
 * One synchronous sample of everything counted (call collectGarbage() first for the heap).
 * @param {number | undefined} containers counted by the caller beforehand; undefined: no engine
 * @returns {Sample}
 */
export function takeSample(containers) {
  return {
    children: childProcesses(),
    fds: openDescriptors(),
    resources: countBy(process.getActiveResourcesInfo()),
    asyncResources: countBy([...liveAsync.values()]),
    listeners: sharedListeners(),
    heapUsed: process.memoryUsage().heapUsed,
    containers,
  };
}

/**
 * @typedef {object} Excess
 * @property {ChildInfo[]} children children not in the baseline
 * @property {number | undefined} containers containers above the baseline (undefined: not counted)
 * @property {Record<FdInfo['kind'], number>} fds descriptors above the baseline, by kind
 * @property {FdInfo[]} newFds descriptors whose number or target is not in the baseline
 * @property {Record<string, number>} resources handle kinds above the baseline (only those above)
 * @property {Record<string, number>} asyncResources async resource types above the baseline (only those above)
 * @property {Record<string, number>} listeners listener counts above the baseline (only those above)
 * @property {number} heapDelta bytes, information only
 */

/**
 * What `after` holds above `baseline`. A count below its baseline is no leak and shows as 0.
 * @param {Sample} baseline
 * @param {Sample} after
 * @returns {Excess}
 */
export function excessOver(baseline, after) {
  const before = new Set(baseline.children.map((child) => child.pid));
  const fdKey = (/** @type {FdInfo} */ info) => `${info.fd} ${info.target}`;
  const beforeFds = new Set(baseline.fds.map(fdKey));
  /** @type {Record<FdInfo['kind'], number>} */
  const fds = { socket: 0, pipe: 0, file: 0, anon: 0 };
  for (const kind of FD_KINDS) {
    const count = (/** @type {Sample} */ sample) => sample.fds.filter((info) => info.kind === kind).length;
    fds[kind] = Math.max(0, count(after) - count(baseline));
  }
  return {
    children: after.children.filter((child) => !before.has(child.pid)),
    containers:
      after.containers === undefined || baseline.containers === undefined
        ? undefined
        : Math.max(0, after.containers - baseline.containers),
    fds,
    newFds: after.fds.filter((info) => !beforeFds.has(fdKey(info))),
    resources: above(baseline.resources, after.resources),
    asyncResources: above(baseline.asyncResources, after.asyncResources),
    listeners: above(baseline.listeners, after.listeners),
    heapDelta: after.heapUsed - baseline.heapUsed,
  };
}

/**
 * @param {Record<string, number>} before
 * @param {Record<string, number>} after
 */
function above(before, after) {
  /** @type {Record<string, number>} */
  const grown = {};
  for (const [key, count] of Object.entries(after)) {
    const extra = count - (before[key] ?? 0);
    if (extra > 0) grown[key] = extra;
  }
  return grown;
}

/**
 * True when nothing is above the baseline (the heap is information, not a verdict).
 * @param {Excess} excess
 */
export function isClean(excess) {
  return (
    excess.children.length === 0 &&
    (excess.containers ?? 0) === 0 &&
    FD_KINDS.every((kind) => excess.fds[kind] === 0) &&
    Object.keys(excess.resources).length === 0 &&
    Object.keys(excess.asyncResources).length === 0 &&
    Object.keys(excess.listeners).length === 0
  );
}
