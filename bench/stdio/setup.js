// The stdio benchmark's settings and names: every variant talks to the one echo server
// (bench/echo-server.mjs in its stdio mode, its default), spawned by the variant itself.

import { fileURLToPath } from 'node:url';

/** @import { Scenario } from '../lib/types.js' */

/** The echo server; without an argument it serves NDJSON on stdio. */
export const SERVER = fileURLToPath(new URL('../echo-server.mjs', import.meta.url));
export const VARIANTS = ['ours', 'sdk', 'raw'];

/** Human names of the variants, for tables. */
export const VARIANT_NAMES = /** @type {Record<string, string>} */ ({
  ours: 'mcp-lifeline createTransport',
  sdk: 'SDK StdioClientTransport 1.32.2',
  raw: 'raw child_process baseline',
  'raw-detached': 'raw baseline, spawned detached',
});

const MiB = 1024 * 1024;

/** The scenarios: same settings for all three variants. */
export const SCENARIOS = /** @type {Record<'small' | 'large', Scenario>} */ ({
  small: {
    label: '~200 B params',
    // {"name":"echo","arguments":{"message":"xxx…"}} is 192 bytes serialized.
    params: { name: 'echo', arguments: { message: 'x'.repeat(150) } },
    warmup: 2000,
    count: 20000,
    window: 64,
    rounds: 5,
    timeoutMs: 120_000,
  },
  large: {
    label: '9 MiB params',
    params: { name: 'echo', arguments: { message: 'x'.repeat(9 * MiB) } },
    warmup: 4,
    count: 40,
    window: 4,
    rounds: 3,
    timeoutMs: 180_000,
  },
});
