// The HTTP benchmark's settings and names, and its echo server (bench/echo-server.mjs in its
// http mode, one child process for the whole benchmark).

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { echoServer } from '../lib/children.js';

/** @import { Scenario } from '../lib/types.js' */

export const ECHO_SERVER = fileURLToPath(new URL('../echo-server.mjs', import.meta.url));
export const HTTP_VARIANTS = ['ours', 'sdk', 'raw', 'ours-transport'];

/** Human names of the variants, for tables. */
export const HTTP_VARIANT_NAMES = /** @type {Record<string, string>} */ ({
  ours: 'mcp-lifeline createTransport({type: "http"}) in SDK Client',
  sdk: 'SDK StreamableHTTPClientTransport 1.32.2 in SDK Client',
  raw: 'bare undici.request, Pool of 64 (no MCP client)',
  'ours-transport': 'for information: mcp-lifeline transport driven directly (no SDK Client)',
});

/** The scenarios: same settings for every variant. */
export const HTTP_SCENARIOS = /** @type {Record<'json' | 'sse', Scenario>} */ ({
  json: { label: 'JSON responses', mode: 'json', warmup: 1000, count: 10_000, rounds: 5, timeoutMs: 60_000 },
  sse: { label: 'SSE responses', mode: 'sse', warmup: 1000, count: 10_000, rounds: 5, timeoutMs: 60_000 },
});

/** The growth checks. */
export const GROWTH = {
  ours: { calls: 100_000, checkpointEvery: 10_000, warmup: 2000, mode: 'json', timeoutMs: 120_000 },
  sdk: { calls: 5000, mode: 'json', timeoutMs: 60_000 },
  /** Allowed heap growth (after a full GC) between the first and the last checkpoint, in MiB. */
  heapSlackMiB: 2,
};

/** Starts the echo server in its http mode; resolves once it printed its port. */
export async function startEchoServer() {
  const child = spawn(process.execPath, [ECHO_SERVER, 'http'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const server = await echoServer(child, 'HTTP echo server');
  return {
    ...server,
    url: (/** @type {string} */ mode) => `http://127.0.0.1:${server.port}/mcp?mode=${mode}`,
  };
}

/** @typedef {Awaited<ReturnType<typeof startEchoServer>>} HttpEchoServer */
