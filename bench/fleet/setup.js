// The fleet benchmarks' settings and shared pieces: many supervised WebSocket connections to
// one shared backend (bench/echo-server.mjs ws, a child process), which is killed and started
// again on the same port. `herd` compares the reconnect spread of jitter policies at 100
// connections; `scale` runs 1,000 in one process and measures memory, the event loop and the
// recovery (WebSocket, not stdio: 1,000 stdio servers are 1,000 processes, which a 2-core
// machine cannot run beside the client; not Streamable HTTP: an idle HTTP connection holds no
// socket of its own, so 1,000 of them would not measure 1,000 live links).

import { fileURLToPath } from 'node:url';

/** The entry the scale children run (`--scale-child <kind>`). */
export const ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));

/** Attempts are counted per window of this many ms. */
export const WINDOW_MS = 100;

/** The reconnect-spread check (section `herd`). */
export const HERD = { servers: 100, downMs: 1500, initialDelayMs: 1000 };

/** The 1,000-connection check (section `scale`). */
export const SCALE = {
  connections: 1000,
  /** The backend stays down this long after the kill (as in `herd`). */
  downMs: 1500,
  /** All open and idle this long before the memory reading (the event loop measured meanwhile). */
  idleMs: 2000,
  /** Connections opened and closed before the baseline reading (module loading, JIT, caches). */
  warmupConnections: 20,
  /** monitorEventLoopDelay's sampling interval (Node's default). */
  resolutionMs: 10,
  /** How long the fleet may take to open, and to recover. */
  timeoutMs: 60_000,
  /** The targets. */
  maxExtraKiB: 16,
  maxWindowShare: 0.1,
  maxDelayP99Ms: 50,
  kinds: ['raw', 'supervised'],
};

/** Human names of the scale kinds, for tables. */
export const SCALE_NAMES = /** @type {Record<string, string>} */ ({
  raw: 'bare ws sockets (baseline)',
  supervised: 'createSupervisor, 1 server each (default policy)',
});

/**
 * Attempts per window, from the cut to the last attempt.
 * @param {number[]} attemptsMs each attempt's time after the cut
 */
export function histogram(attemptsMs) {
  const last = Math.max(0, ...attemptsMs);
  const counts = Array.from({ length: Math.floor(last / WINDOW_MS) + 1 }, () => 0);
  for (const ms of attemptsMs) {
    const w = Math.floor(ms / WINDOW_MS);
    counts[w] = (counts[w] ?? 0) + 1;
  }
  return counts;
}
