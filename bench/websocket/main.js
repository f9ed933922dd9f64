// The WebSocket section of `npm run bench` (SEP-1288 framing: subprotocol `mcp`, one JSON-RPC
// message per text frame), against the one echo server (bench/echo-server.mjs ws, the `ws`
// package, a separate process):
//
// 1. Round trips, 64 in flight: our transport and the SDK's v1 WebSocketClientTransport (both
//    inside the v1 SDK Client, `client.callTool`), a bare `ws` client loop, and (for
//    information) our transport driven directly, interleaved over rounds.
// 2. Growth: our transport over 100,000 calls (heap, active resources, listeners on its socket,
//    abort listeners), and the SDK over 20,000.
// 3. Memory per idle connection: 1,000 connections open at once in one process, each kind in a
//    fresh child process of its own (bare `ws` clients, ours via createTransport with the default
//    policy, and the SDK transport for information); the server's memory never counts.
//
// Each round-trip round runs in a fresh child process (the variants would otherwise tune the JIT
// for each other; --in-process runs them all here, as bench/http.js does).
//
// This file is the entry (bench/run.js imports it; the child processes run it with
// --round-child or --idle-child); the parts beside it: setup.js (settings, names, the echo
// server), clients.js, throughput.js, growth.js, memory.js and report.js.
//
// Run alone: node --expose-gc bench/websocket/main.js [--rounds N] [--count N] [--leak-calls N]
//            [--connections N] [--memory-rounds N] [--hold-ms MS] [--in-process]
//            [--skip round-trips,growth,memory]
// (`node --expose-gc bench/run.js websocket` runs it within the bench, after `npm run build`.)
// For a CPU profile of one variant:
//   node --cpu-prof --cpu-prof-dir=.bench-out/profiles bench/websocket/main.js --drive ours-transport --calls 200000

import { parseArgs } from 'node:util';
import { PARAMS, PARAMS_BYTES, WINDOW } from '../lib/clients.js';
import { drive } from '../lib/driver.js';
import { printTargets } from '../lib/report.js';
import { thousands } from '../lib/stats.js';
import { factoryOf } from './clients.js';
import { growth } from './growth.js';
import { idleChild, runMemory } from './memory.js';
import { wsTables, wsTargets } from './report.js';
import {
  ENTRY,
  SDK_VERSION,
  SDK_WEBSOCKET,
  startEchoServer,
  WS_GROWTH,
  WS_MEMORY,
  WS_SCENARIOS,
  WS_VERSION,
} from './setup.js';
import { roundChild, runRoundTrips } from './throughput.js';

/** @import { Log, ModeResult, Section } from '../lib/types.js' */
/** @import { GrowthResult } from '../lib/growth.js' */
/** @import { WsCounters } from './growth.js' */
/** @import { WsMemory } from './memory.js' */

/**
 * @typedef {{
 *   settings: object, window: number, paramsBytes: number, sdkWebSocket: string, wsVersion: string,
 *   sdkVersion: string, modes?: Record<string, ModeResult>,
 *   growth?: { ours: GrowthResult<WsCounters>, sdk: GrowthResult<WsCounters>, heapSlackMiB: number }, memory?: WsMemory,
 * }} WsResult
 */

// --- the whole benchmark ---

/**
 * The whole WebSocket benchmark: interleaved rounds, the growth checks, then the idle-connection
 * memory check. Never throws for a failing client; each failure is recorded where it happened.
 * @param {{
 *   rounds?: number | undefined, count?: number | undefined, leakCalls?: number | undefined,
 *   sdkCalls?: number | undefined, connections?: number | undefined, memoryRounds?: number | undefined,
 *   holdMs?: number | undefined, inProcess?: boolean, skip?: string[], log: Log,
 * }} options
 * @returns {Promise<WsResult>}
 */
export async function runWebSocket({
  rounds,
  count,
  leakCalls = WS_GROWTH.ours.calls,
  sdkCalls = WS_GROWTH.sdk.calls,
  connections = WS_MEMORY.connections,
  memoryRounds = WS_MEMORY.rounds,
  holdMs = 0,
  inProcess = false,
  skip = [],
  log,
}) {
  const server = await startEchoServer();
  log(`  ws echo server pid ${server.pid} on 127.0.0.1:${server.port}; SDK WebSocket: ${SDK_WEBSOCKET}`);
  /** @type {WsResult} */
  const result = {
    settings: {
      scenarios: WS_SCENARIOS,
      growth: WS_GROWTH,
      memory: WS_MEMORY,
      rounds,
      count,
      leakCalls,
      sdkCalls,
      connections,
      memoryRounds,
      holdMs,
      inProcess,
    },
    window: WINDOW,
    paramsBytes: PARAMS_BYTES,
    sdkWebSocket: SDK_WEBSOCKET,
    wsVersion: WS_VERSION,
    sdkVersion: SDK_VERSION,
  };
  try {
    if (!skip.includes('round-trips'))
      result.modes = await runRoundTrips(server, { rounds, count, inProcess, log });
    if (!skip.includes('growth')) {
      log(`ws growth: ours over ${thousands(leakCalls)} calls, the SDK over ${thousands(sdkCalls)} ...`);
      result.growth = {
        ours: await growth('ours', server, { ...WS_GROWTH.ours, calls: leakCalls, log }),
        sdk: await growth('sdk', server, {
          ...WS_GROWTH.sdk,
          calls: sdkCalls,
          checkpointEvery: sdkCalls,
          warmup: WS_GROWTH.ours.warmup,
          log,
        }),
        heapSlackMiB: WS_GROWTH.heapSlackMiB,
      };
    }
    if (!skip.includes('memory')) {
      log(
        `ws memory: ${thousands(connections)} idle connections per child process, ${memoryRounds} rounds of ` +
          `${WS_MEMORY.kinds.join(', ')}${holdMs > 0 ? `, held ${holdMs} ms` : ''} ...`,
      );
      result.memory = await runMemory(server, { connections, rounds: memoryRounds, holdMs, log });
    }
    return result;
  } finally {
    await server.close();
  }
}

/** @type {Section<WsResult>} */
export const wsSection = {
  name: 'websocket',
  intro:
    'WebSocket round trips (ours, sdk, raw interleaved), growth over 100,000 calls, then memory of 1,000 idle connections ...',
  run: runWebSocket,
  tables: wsTables,
  targets: wsTargets,
};

// --- command line ---

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      count: { type: 'string' },
      'leak-calls': { type: 'string' },
      'sdk-calls': { type: 'string' },
      connections: { type: 'string' },
      'memory-rounds': { type: 'string' },
      'hold-ms': { type: 'string' },
      skip: { type: 'string' },
      'in-process': { type: 'boolean' },
      'round-child': { type: 'string' },
      'server-pid': { type: 'string' },
      warmup: { type: 'string' },
      'idle-child': { type: 'string' },
      url: { type: 'string' },
      drive: { type: 'string' },
      calls: { type: 'string' },
    },
  });
  const number = (/** @type {string | undefined} */ text) => (text === undefined ? undefined : Number(text));
  const url = values.url ?? '';
  if (values['idle-child'] !== undefined) {
    await idleChild({
      kind: values['idle-child'],
      url,
      connections: number(values.connections) ?? WS_MEMORY.connections,
      holdMs: number(values['hold-ms']) ?? 0,
    });
    return;
  }
  if (values['round-child'] !== undefined) {
    await roundChild({
      variant: values['round-child'],
      url,
      serverPid: values['server-pid'] ? Number(values['server-pid']) : undefined,
      warmup: number(values.warmup) ?? WS_SCENARIOS.text.warmup,
      count: number(values.count) ?? WS_SCENARIOS.text.count,
    });
    return;
  }
  const log = (/** @type {string} */ line) => console.error(line);
  if (values.drive !== undefined) {
    // One variant, one long run (for `node --cpu-prof`).
    const server = await startEchoServer();
    const client = factoryOf(values.drive)(server);
    try {
      await client.start();
      const calls = number(values.calls) ?? 200_000;
      const r = await drive(client, {
        count: calls,
        window: WINDOW,
        params: PARAMS,
        firstId: 1,
        timeoutMs: 600_000,
      });
      log(
        `${values.drive}: ${thousands(calls)} calls, ${thousands(r.callsPerSec)} calls/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, client CPU ${r.clientCpuUsPerCall.toFixed(1)} µs/call`,
      );
    } finally {
      await client.close();
      await server.close();
    }
    return;
  }
  const ws = await runWebSocket({
    rounds: number(values.rounds),
    count: number(values.count),
    leakCalls: number(values['leak-calls']),
    sdkCalls: number(values['sdk-calls']),
    connections: number(values.connections),
    memoryRounds: number(values['memory-rounds']),
    holdMs: number(values['hold-ms']),
    inProcess: values['in-process'] === true,
    skip: values.skip?.split(',') ?? [],
    log,
  });
  console.log(wsTables(ws).join('\n'));
  console.log();
  printTargets(wsTargets(ws));
}

if (process.argv[1] === ENTRY) await main();
