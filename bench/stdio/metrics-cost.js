// What OpenTelemetry metrics cost on the stdio data path (docs/observability.md#metrics):
// createTransport() against the bench's echo server, the small scenario (~200 B params, 64 in
// flight), rounds interleaved in one process between
//   off     @opentelemetry/api loaded, no MeterProvider registered (a transport then has no metrics);
//   on      an SDK MeterProvider registered, collected every second by a
//           PeriodicExportingMetricReader into an in-memory exporter;
//   before  (with --before DIST) the createTransport() of another build, e.g. one from before
//           metrics existed: `git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci
//           && npm run build)`, then `--before /tmp/before/dist/index.js`.
// Each round is a fresh transport, and a transport takes its meter when it is created.
// `--modes off,before` runs only those: rounds with metrics on leave the process warmer for the
// SDK (its JIT state, its garbage, its reader still collecting), which the off rounds then pay.
//
//   npm run build && node --expose-gc bench/stdio/metrics-cost.js [rounds] [--before DIST] [--modes off,on,before]

import { pathToFileURL } from 'node:url';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { transportClient } from '../lib/clients.js';
import { measureRound } from '../lib/driver.js';
import { median } from '../lib/stats.js';
import { oursClient } from './clients.js';
import { SCENARIOS, SERVER } from './setup.js';

/** @import { BenchClient, BenchTransport } from '../lib/types.js' */

const args = process.argv.slice(2);
const beforeAt = args.indexOf('--before');
const beforePath = beforeAt === -1 ? undefined : args.splice(beforeAt, 2)[1];
const modesAt = args.indexOf('--modes');
const only = modesAt === -1 ? undefined : args.splice(modesAt, 2)[1]?.split(',');
const rounds = Number(args[0] ?? 7);
const scenario = { ...SCENARIOS.small, rounds };

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 });
const provider = new MeterProvider({ readers: [reader] });

/** @type {Record<string, () => BenchClient>} */
const modes = { off: () => oursClient(), on: () => oursClient() };
if (beforePath !== undefined) {
  /** @type {{ createTransport: (config: object) => BenchTransport }} */
  const before = await import(pathToFileURL(beforePath).href);
  const config = { command: process.execPath, args: [SERVER], heartbeat: { intervalMs: 0 } };
  modes.before = () => transportClient('before', before.createTransport(config));
}
const names = Object.keys(modes).filter((name) => only === undefined || only.includes(name));

/** @type {Record<string, { callsPerSec: number[]; cpuUs: number[]; p99Ms: number[] }>} */
const results = Object.fromEntries(names.map((name) => [name, { callsPerSec: [], cpuUs: [], p99Ms: [] }]));

for (let round = 0; round < rounds; round += 1) {
  // Rotate which mode goes first, so a warming (or busy) machine favours none.
  const order = names.map((_, index) => names[(index + round) % names.length] ?? 'off');
  for (const mode of order) {
    if (mode === 'on') metrics.setGlobalMeterProvider(provider);
    else metrics.disable();
    const result = await measureRound(modes[mode] ?? oursClient, scenario);
    exporter.reset();
    if (result.failed) throw new Error(`round ${round} (${mode}) failed at ${result.phase}: ${result.error}`);
    const into = results[mode] ?? { callsPerSec: [], cpuUs: [], p99Ms: [] };
    into.callsPerSec.push(result.callsPerSec);
    into.cpuUs.push(result.clientCpuUsPerCall);
    into.p99Ms.push(result.p99Ms);
    process.stderr.write(
      `  round ${round + 1} ${mode}: ${Math.round(result.callsPerSec)} calls/s, ${result.clientCpuUsPerCall.toFixed(1)} µs client CPU/call\n`,
    );
  }
}

// The "on" rounds really recorded: every measured call is in the duration histogram.
metrics.setGlobalMeterProvider(provider);
await reader.forceFlush();
const recorded = exporter
  .getMetrics()
  .flatMap((resource) => resource.scopeMetrics)
  .flatMap((scope) => scope.metrics)
  .find((metric) => metric.descriptor.name === 'mcp.client.operation.duration');
const calls = (recorded?.dataPoints ?? []).reduce(
  (sum, point) => sum + (typeof point.value === 'object' ? point.value.count : 0),
  0,
);
await provider.shutdown();

const throughput = (/** @type {string} */ mode) => median(results[mode]?.callsPerSec ?? []);
console.log(
  `stdio, ${scenario.count} calls of ${scenario.label}, ${scenario.window} in flight, ${rounds} rounds each (medians)\n`,
);
console.log('| metrics | calls/s | vs off | client CPU µs/call | p99 ms |');
console.log('|---|---|---|---|---|');
for (const mode of names) {
  const { cpuUs = [], p99Ms = [] } = results[mode] ?? {};
  const share = ((throughput(mode) / throughput('off')) * 100).toFixed(1);
  console.log(
    `| ${mode} | ${Math.round(throughput(mode))} | ${share}% | ${median(cpuUs).toFixed(1)} | ${median(p99Ms).toFixed(2)} |`,
  );
}
if (names.includes('on')) console.log(`\ncalls recorded in mcp.client.operation.duration: ${calls}`);
