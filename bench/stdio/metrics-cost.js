// What OpenTelemetry metrics cost on the stdio data path (docs/observability.md#metrics):
// createTransport() against the bench's echo server, the small scenario (~200 B params, 64 in
// flight), rounds interleaved in one process between metrics off (@opentelemetry/api loaded, no
// MeterProvider registered: the API's no-op meter) and on (an SDK MeterProvider registered,
// collected every second by a PeriodicExportingMetricReader into an in-memory exporter). Each
// round is a fresh transport, and a transport takes its meter when it is created.
//
//   npm run build && node --expose-gc bench/stdio/metrics-cost.js [rounds]

import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { measureRound } from '../lib/driver.js';
import { median } from '../lib/stats.js';
import { oursClient } from './clients.js';
import { SCENARIOS } from './setup.js';

const rounds = Number(process.argv[2] ?? 7);
const scenario = { ...SCENARIOS.small, rounds };

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 });
const provider = new MeterProvider({ readers: [reader] });

/** @type {Record<'off' | 'on', { callsPerSec: number[]; cpuUs: number[]; p99Ms: number[] }>} */
const results = {
  off: { callsPerSec: [], cpuUs: [], p99Ms: [] },
  on: { callsPerSec: [], cpuUs: [], p99Ms: [] },
};

for (let round = 0; round < rounds; round += 1) {
  // Alternate which mode goes first, so a warming machine favours neither.
  /** @type {('off' | 'on')[]} */
  const order = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    if (mode === 'on') metrics.setGlobalMeterProvider(provider);
    else metrics.disable();
    const result = await measureRound(() => oursClient(), scenario);
    exporter.reset();
    if (result.failed) throw new Error(`round ${round} (${mode}) failed at ${result.phase}: ${result.error}`);
    results[mode].callsPerSec.push(result.callsPerSec);
    results[mode].cpuUs.push(result.clientCpuUsPerCall);
    results[mode].p99Ms.push(result.p99Ms);
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

const row = (/** @type {'off' | 'on'} */ mode) => {
  const { callsPerSec, cpuUs, p99Ms } = results[mode];
  return `| ${mode} | ${Math.round(median(callsPerSec))} | ${median(cpuUs).toFixed(1)} | ${median(p99Ms).toFixed(2)} |`;
};
const ratio = median(results.on.callsPerSec) / median(results.off.callsPerSec);
console.log(
  `stdio, ${scenario.count} calls of ${scenario.label}, ${scenario.window} in flight, ${rounds} rounds each (medians)\n`,
);
console.log('| metrics | calls/s | client CPU µs/call | p99 ms |');
console.log('|---|---|---|---|');
console.log(row('off'));
console.log(row('on'));
console.log(
  `\non/off throughput: ${(ratio * 100).toFixed(1)}%; calls in mcp.client.operation.duration: ${calls}`,
);
