// Memory per idle connection, as the WebSocket and scale benchmarks read it in their child
// processes: full GCs with pauses between, then process.memoryUsage() and the active
// resources; the per-connection difference of two readings.

import { collectGarbage, sleep } from './stats.js';

const KiB = 1024;

/**
 * @typedef {{
 *   heapUsed: number, external: number, arrayBuffers: number, rss: number, heapTotal: number,
 *   resources: Record<string, number>,
 * }} MemoryReading
 */

/**
 * Full GCs with pauses between (weak callbacks and finalizers run), then process.memoryUsage()
 * and the active resources by kind.
 * @returns {Promise<MemoryReading>}
 */
export async function settledMemory() {
  for (let i = 0; i < 4; i += 1) {
    collectGarbage();
    await sleep(25);
  }
  collectGarbage();
  const m = process.memoryUsage();
  /** @type {Record<string, number>} */
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
 * KiB per connection between two readings. `sum` is heapUsed + external + arrayBuffers (Node
 * counts arrayBuffers inside external too, so Buffer memory counts twice, as the issue defines it).
 * @param {MemoryReading} from
 * @param {MemoryReading} to
 * @param {number} connections
 */
export function perConnection(from, to, connections) {
  const kib = (/** @type {'heapUsed' | 'external' | 'arrayBuffers' | 'rss'} */ field) =>
    (to[field] - from[field]) / connections / KiB;
  const sum = (/** @type {MemoryReading} */ m) => m.heapUsed + m.external + m.arrayBuffers;
  return {
    heapUsed: kib('heapUsed'),
    external: kib('external'),
    arrayBuffers: kib('arrayBuffers'),
    sum: (sum(to) - sum(from)) / connections / KiB,
    heapUsedPlusExternal: (to.heapUsed + to.external - from.heapUsed - from.external) / connections / KiB,
    rss: kib('rss'),
  };
}

/** @typedef {ReturnType<typeof perConnection>} PerConnection */
