// @ts-check
// Small shared pieces of the soak: a seeded random sequence (so a run's fault schedule can be replayed
// with --seed), sleeps and deadlines, percentiles, free loopback ports, and the child processes the soak
// started (every one killed when this process exits, however it exits).

import { createServer } from 'node:net';

/** The soak's own pseudo-random sequence: `next()` in [0, 1), `between(a, b)`, `pick(list)`, `shuffle(list)`. */
export class Random {
  /** @type {number} */
  #state;

  /** @param {number} seed any integer; the same seed gives the same sequence (mulberry32). */
  constructor(seed) {
    this.#state = seed >>> 0;
  }

  /** @returns {number} */
  next() {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [low, high]. @param {number} low @param {number} high */
  between(low, high) {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /**
   * A copy of `list` in a random order (Fisher-Yates).
   * @template T @param {readonly T[]} list @returns {T[]}
   */
  shuffle(list) {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      const a = /** @type {T} */ (out[i]);
      out[i] = /** @type {T} */ (out[j]);
      out[j] = a;
    }
    return out;
  }
}

/** A stable 32-bit number for a string, to derive one seed per transport and client from the run's seed. */
export function hashString(/** @type {string} */ text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** @param {number} ms @returns {Promise<void>} */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `promise`, or a rejection naming `what` after `ms`.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const deadline = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no end within ${ms} ms`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, deadline])).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of `values` (p in 0..100); undefined for none. @param {readonly number[]} values @param {number} p */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

/** The short text of an error (first line, 200 characters), for notes and tables. @param {unknown} error */
export function errorText(error) {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 200);
}

/** Process warnings since the last `takeWarnings()`: count and first message per warning name. */
/** @type {Map<string, { count: number, message: string }>} */
let warnings = new Map();

/**
 * Replaces Node's printing of process warnings (a leaking client can print thousands of the same one) by
 * a count per row: each row's notes say which warnings it caused, how often, and the first message.
 * @param {(line: string) => void} log where the first warning of each name still goes at once
 */
export function collectWarnings(log) {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const seen = warnings.get(warning.name);
    if (seen !== undefined) {
      seen.count += 1;
      return;
    }
    warnings.set(warning.name, { count: 1, message: warning.message.slice(0, 200) });
    log(`  warning: ${warning.name}: ${warning.message.slice(0, 200)}`);
  });
}

/** The warnings since the last call, as note lines. @returns {string[]} */
export function takeWarnings() {
  const lines = [...warnings].map(([name, { count, message }]) => `${count}× ${name}, first: ${message}`);
  warnings = new Map();
  return lines;
}

/** Pids of the children the soak runs now; killed with SIGKILL when this process exits. */
const livePids = new Set();
process.once('exit', () => {
  for (const pid of livePids) killQuietly(pid, 'SIGKILL');
});

/** Registers a child pid to be killed at exit (until `forget`). @param {number} pid */
export function remember(pid) {
  livePids.add(pid);
}

/** @param {number} pid */
export function forget(pid) {
  livePids.delete(pid);
}

/** True while `pid` exists. @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `process.kill` that ignores a process already gone. @param {number} pid @param {NodeJS.Signals} signal */
export function killQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
