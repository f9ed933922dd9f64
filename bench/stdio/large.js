// Above the SDK's 10 MiB: one 12 MiB echo through our transport (limits.maxMessageBytes
// 32 MiB) and through the SDK's transport, each bounded by a timeout.

import { performance } from 'node:perf_hooks';
import { collectGarbage, errorText, withTimeout } from '../lib/stats.js';
import { oursClient, sdkClient } from './clients.js';

/** @import { Log } from '../lib/types.js' */

const MiB = 1024 * 1024;

/**
 * @typedef {{
 *   answered: boolean, intact?: boolean, error?: unknown, timeout?: string, ms: number,
 *   transportErrors: string[], closedByTransport?: boolean,
 * }} LargeOutcome
 */

/**
 * @param {{ log: Log, timeoutMs?: number }} options
 * @returns {Promise<{ messageChars: number, ours: LargeOutcome, sdk: LargeOutcome }>}
 */
export async function runLargeCheck({ log, timeoutMs = 20_000 }) {
  const bytes = 12 * MiB;
  const params = { name: 'echo', arguments: { message: 'x'.repeat(bytes) } };
  /** @type {Record<string, LargeOutcome>} */
  const outcomes = {};
  for (const variant of ['ours', 'sdk']) {
    collectGarbage();
    const client = variant === 'ours' ? oursClient({ limits: { maxMessageBytes: 32 * MiB } }) : sdkClient();
    await client.start();
    const began = performance.now();
    // The SDK closes itself when its buffer overflows: stop waiting then, not at the timeout.
    /** @type {Promise<{ message?: any, closed?: boolean }>} */
    const answered = new Promise((resolve) => {
      client.onResponse = (_id, message) => resolve({ message });
      client.onClosed = () => resolve({ closed: true });
    });
    client.send(1, params);
    /** @type {LargeOutcome} */
    let outcome;
    try {
      const { message, closed } = await withTimeout(answered, timeoutMs, `${variant} 12 MiB echo`);
      if (closed) throw new Error('the transport closed before any answer');
      const echoed = message?.result?.echo?.arguments?.message;
      outcome = {
        answered: true,
        intact: typeof echoed === 'string' && echoed.length === bytes,
        error: message?.error,
        ms: performance.now() - began,
        transportErrors: [],
      };
    } catch (error) {
      outcome = {
        answered: false,
        timeout: errorText(error),
        ms: performance.now() - began,
        transportErrors: [],
      };
    }
    outcome.transportErrors = [...new Set(client.errors)];
    if (variant === 'sdk') outcome.closedByTransport = client.closed === true;
    await client.close();
    outcomes[variant] = outcome;
    log(`  12 MiB ${variant}: ${JSON.stringify(outcome).slice(0, 300)}`);
  }
  const { ours, sdk } = outcomes;
  if (ours === undefined || sdk === undefined) throw new Error('12 MiB check: a variant did not run');
  return { messageChars: bytes, ours, sdk };
}
