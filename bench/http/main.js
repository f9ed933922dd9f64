// The HTTP section of `npm run bench`: round trips over Streamable HTTP of our transport and the
// SDK's StreamableHTTPClientTransport (both inside the v1 SDK Client, `client.callTool`), a bare
// `undici.request` loop and (for information) our transport driven directly, against the one
// echo server (bench/echo-server.mjs http, a separate process), with JSON and with SSE answers,
// 64 in flight; then the growth checks (ours over 100,000 calls, the SDK over 5,000).
// The parts: setup.js (settings, names, the echo server), clients.js, throughput.js,
// growth.js, report.js.
//
// Run alone: node --expose-gc bench/http/main.js [--rounds N] [--count N] [--leak-calls N] [--mode json|sse]
// (or `node --expose-gc bench/run.js http`, after `npm run build`)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PARAMS_BYTES, WINDOW } from '../lib/clients.js';
import { printTargets } from '../lib/report.js';
import { sleep, thousands } from '../lib/stats.js';
import { countListenerWarnings, oursGrowth, sdkGrowth } from './growth.js';
import { httpTables, httpTargets } from './report.js';
import { GROWTH, HTTP_SCENARIOS, startEchoServer } from './setup.js';
import { runHttpRoundTrips } from './throughput.js';

/** @import { Log, ModeResult, Section } from '../lib/types.js' */
/** @import { HttpGrowth } from './growth.js' */

/**
 * @typedef {{
 *   settings: object, window: number, paramsBytes: number, modes: Record<string, ModeResult>,
 *   growth: HttpGrowth, maxListenersWarnings: number,
 * }} HttpResult
 */

/**
 * The whole HTTP benchmark: interleaved rounds per response mode, then the growth checks.
 * Never throws for a failing client; each failure is recorded where it happened.
 * @param {{
 *   scenarios?: ('json' | 'sse')[] | undefined, rounds?: number | undefined, count?: number | undefined,
 *   leakCalls?: number | undefined, sdkCalls?: number | undefined, log: Log,
 * }} options
 * @returns {Promise<HttpResult>}
 */
export async function runHttp({
  scenarios = ['json', 'sse'],
  rounds,
  count,
  leakCalls = GROWTH.ours.calls,
  sdkCalls = GROWTH.sdk.calls,
  log,
}) {
  const server = await startEchoServer();
  log(`  http echo server pid ${server.pid} on 127.0.0.1:${server.port}`);
  const warnings = countListenerWarnings();
  try {
    const modes = await runHttpRoundTrips(server, { scenarios, rounds, count, log });
    log(`http growth: ours over ${thousands(leakCalls)} calls, the SDK over ${thousands(sdkCalls)} ...`);
    const growth = {
      ours: await oursGrowth(server, { calls: leakCalls, log }),
      sdk: await sdkGrowth(server, { calls: sdkCalls, log }),
      heapSlackMiB: GROWTH.heapSlackMiB,
    };
    // Let warnings emitted on the last ticks land before counting.
    await sleep(20);
    return {
      settings: { scenarios: HTTP_SCENARIOS, growth: GROWTH, rounds, count, leakCalls, sdkCalls },
      window: WINDOW,
      paramsBytes: PARAMS_BYTES,
      modes,
      growth,
      maxListenersWarnings: warnings.counted.MaxListenersExceededWarning,
    };
  } finally {
    warnings.restore();
    await server.close();
    if (warnings.counted.MaxListenersExceededWarning > 0)
      log(
        `  (${thousands(warnings.counted.MaxListenersExceededWarning)} MaxListenersExceededWarning counted, not printed)`,
      );
  }
}

/** @type {Section<HttpResult>} */
export const httpSection = {
  name: 'http',
  intro: 'Streamable HTTP round trips (ours, sdk, raw interleaved), then growth over 100,000 calls ...',
  run: runHttp,
  tables: httpTables,
  targets: httpTargets,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      count: { type: 'string' },
      'leak-calls': { type: 'string' },
      mode: { type: 'string' },
    },
  });
  const number = (/** @type {string | undefined} */ text) => (text === undefined ? undefined : Number(text));
  const mode = values.mode;
  if (mode !== undefined && mode !== 'json' && mode !== 'sse')
    throw new Error(`--mode json or sse, not ${mode}`);
  const http = await runHttp({
    scenarios: mode === undefined ? undefined : [mode],
    rounds: number(values.rounds),
    count: number(values.count),
    leakCalls: number(values['leak-calls']),
    log: (line) => console.error(line),
  });
  console.log(httpTables(http).join('\n'));
  console.log();
  printTargets(httpTargets(http));
}
