// The one client driver of every round-trip benchmark: drive() keeps a window of requests in
// flight on a client (lib/clients.js, or a transport's raw baseline) and measures throughput,
// latency and CPU; measureRound() is one measured round of one variant (a fresh client,
// warm-up, measure, close) that never throws.

import { performance } from 'node:perf_hooks';
import { PARAMS, WINDOW } from './clients.js';
import { at, collectGarbage, errorText, percentile, processCpuNs, withTimeout } from './stats.js';

/** @import { BenchClient, DriveResult, RoundResult, Scenario } from './types.js' */

/**
 * Keeps `window` requests outstanding on `client`: sends `window` at once, then one more as
 * each answer arrives, until `count` answers are in. Latency is per request, from just before
 * the send call to the moment the answer reaches the driver (performance.now()).
 *
 * It also measures the CPU time per call of this process (the client) and of the server
 * (client.pid, from /proc), over the same span.
 *
 * Ids are unique over the life of a client (`firstId` upwards), so a late answer can never be
 * mistaken for a new request's.
 * @param {BenchClient} client
 * @param {{ count: number, window: number, params: unknown, firstId: number, timeoutMs: number }} options
 * @returns {Promise<DriveResult>}
 */
export function drive(client, { count, window, params, firstId, timeoutMs }) {
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = processCpuNs(client.pid);
  const latencies = new Float64Array(count);
  const sentAt = new Float64Array(count);
  let sent = 0;
  let received = 0;
  let errors = 0;
  let began = 0;

  /** @type {Promise<{ elapsedMs: number }>} */
  const done = new Promise((resolve, reject) => {
    const sendNext = () => {
      const index = sent;
      sent += 1;
      sentAt[index] = performance.now();
      client.send(firstId + index, params);
    };
    client.onResponse = (id, message) => {
      const now = performance.now();
      const index = id - firstId;
      if (!(index >= 0 && index < count)) return;
      latencies[index] = now - at(sentAt, index);
      if (/** @type {{ error?: unknown }} */ (message).error !== undefined) errors += 1;
      received += 1;
      if (received === count) {
        const elapsedMs = now - began;
        client.onResponse = undefined;
        resolve({ elapsedMs });
        return;
      }
      if (sent < count) sendNext();
    };
    client.onFailure = (error) => reject(error);
    began = performance.now();
    const initial = Math.min(window, count);
    for (let i = 0; i < initial; i += 1) sendNext();
  });

  return withTimeout(done, timeoutMs, `${client.name}: ${count} requests`).then(({ elapsedMs }) => {
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuNs = processCpuNs(client.pid) - serverCpuBefore;
    const sorted = latencies.slice().sort();
    return {
      count,
      window,
      errors,
      elapsedMs,
      callsPerSec: (count / elapsedMs) * 1000,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: at(sorted, sorted.length - 1),
      // CPU per call: far less sensitive than wall time to other load on the machine.
      clientCpuUsPerCall: (cpu.user + cpu.system) / count,
      serverCpuUsPerCall: serverCpuNs / 1000 / count,
    };
  });
}

/**
 * Detaches a client's callbacks and closes it; a close error is recorded in `result`.
 * @param {BenchClient | undefined} client
 * @param {{ closeError?: string }} result
 */
export async function closeClient(client, result) {
  if (client === undefined) return;
  client.onResponse = undefined;
  client.onFailure = undefined;
  try {
    await client.close();
  } catch (error) {
    result.closeError = errorText(error);
  }
}

/**
 * One measured round of one variant in this process: a fresh client (`makeClient()`), warm-up,
 * then measure, with the scenario's window and params (64 in flight and the 139 B echo call by
 * default). Never throws: a failure (an error, a timeout, a hang at connect or close) comes
 * back as `{ failed, phase, error }`.
 * @param {() => BenchClient} makeClient
 * @param {Scenario} scenario
 * @returns {Promise<RoundResult>}
 */
export async function measureRound(makeClient, scenario) {
  const { warmup, count, timeoutMs, window = WINDOW, params = PARAMS } = scenario;
  collectGarbage();
  /** @type {BenchClient | undefined} */
  let client;
  /** @type {RoundResult} */
  let result;
  let phase = 'create';
  try {
    client = makeClient();
    phase = 'connect';
    await client.start();
    phase = 'warm-up';
    await drive(client, { count: warmup, window, params, firstId: 1, timeoutMs });
    phase = 'measure';
    const measured = await drive(client, { count, window, params, firstId: 1 + warmup, timeoutMs });
    result = { ...measured, transportErrors: client.errors.length };
    const [firstError] = client.errors;
    if (firstError !== undefined) result.firstTransportError = firstError;
  } catch (error) {
    result = { failed: true, phase, error: errorText(error), transportErrors: client?.errors.slice(0, 5) };
  }
  await closeClient(client, result);
  return result;
}
