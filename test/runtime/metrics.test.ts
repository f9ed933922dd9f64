// OpenTelemetry metrics (docs/observability.md#metrics): an SDK MeterProvider with an in-memory
// exporter, registered here as an application would, receives lifeline's metrics from a real
// stdio server (test/fixtures/stdio-server.mjs) that the test kills with SIGKILL. Nothing is mocked.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Meter, metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE, ErrorCode } from '../../src/errors.js';
import { MetricName } from '../../src/runtime/metrics/instruments.js';
import type { MeterLike } from '../../src/runtime/metrics/otel.js';
import { createTransport, type LifelineTransport } from '../../src/runtime/transport.js';
import { createSupervisor, type Supervisor } from '../../src/supervisor/index.js';
import { fixturePath, isAlive, readPids, removeTempFiles, tempFile, waitFor } from '../helpers/processes.js';
import { startWsFixture, stopAll } from '../peers/index.js';

// The real API's Meter fits the part of it lifeline calls (checked by the compiler).
const fits: (meter: Meter) => MeterLike = (meter) => meter;
void fits;

const SERVER = 'fixture-server';

let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;

beforeAll(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported on demand (forceFlush), never on a timer.
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
});

afterAll(async () => {
  metrics.disable();
  await provider.shutdown();
  removeTempFiles();
});

const transports: LifelineTransport[] = [];
const clients: Client[] = [];
const supervisors: Supervisor[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(supervisors.splice(0).map((supervisor) => supervisor.close()));
  await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
  await stopAll();
});

interface Point {
  attributes: Record<string, unknown>;
  value: number | Histogram;
}

/** Collects now and returns the points of one metric, with its unit. */
async function collect(): Promise<Map<string, { unit: string; points: Point[] }>> {
  exporter.reset();
  await reader.forceFlush();
  const byName = new Map<string, { unit: string; points: Point[] }>();
  for (const resource of exporter.getMetrics())
    for (const scope of resource.scopeMetrics) {
      if (scope.scope.name !== 'mcp-lifeline') continue;
      for (const metric of scope.metrics)
        byName.set(metric.descriptor.name, {
          unit: metric.descriptor.unit,
          points: (metric.dataPoints as DataPoint<number | Histogram>[]).map((point) => ({
            attributes: { ...point.attributes },
            value: point.value,
          })),
        });
    }
  return byName;
}

/** The value of the one point whose attributes include `match`. */
function pointValue(
  collected: Map<string, { points: Point[] }>,
  name: string,
  match: Record<string, unknown>,
): number | Histogram | undefined {
  const points = (collected.get(name)?.points ?? []).filter((point) =>
    Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
  if (points.length > 1) throw new Error(`${points.length} points of ${name} match ${JSON.stringify(match)}`);
  return points[0]?.value;
}

function histogram(value: number | Histogram | undefined): Histogram {
  if (value === undefined || typeof value === 'number') throw new Error('expected a histogram point');
  return value;
}

describe('metrics through @opentelemetry/api', () => {
  it('records state, reconnects, request durations, failures by code, queue length and heartbeats across a server restart', async () => {
    const pidFile = tempFile('metrics-pids');
    const transport = createTransport({
      command: process.execPath,
      args: [fixturePath('stdio-server.mjs')],
      env: { FIXTURE_PIDFILE: pidFile },
      name: SERVER,
      // A quiet link is probed with an MCP ping after 100 ms; the first retry waits 400 ms, long
      // enough to send a request while the connection is down.
      heartbeat: { intervalMs: 100, timeoutMs: 2000 },
      reconnect: { initialDelayMs: 400, jitter: 0 },
    });
    transports.push(transport);
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(transport as never);

    await client.callTool({ name: 'echo', arguments: { message: 'one' } });
    await expect(client.request({ method: 'no/such/method' }, EmptyResultSchema)).rejects.toThrow(
      /not found/i,
    );

    // A heartbeat on the quiet link: a ping out and back.
    await waitFor(
      async () => histogram(pointValue(await collect(), MetricName.heartbeatDuration, {})).count > 0,
      {
        timeoutMs: 3000,
        message: 'no heartbeat recorded',
      },
    );

    const before = await collect();
    expect(pointValue(before, MetricName.connectionCount, { 'lifeline.connection.state': 'open' })).toBe(1);
    expect(pointValue(before, MetricName.reconnects, {})).toBeUndefined();

    // The server dies with a request in flight: it is answered with the connection-lost error.
    const [pid] = readPids(pidFile);
    const sleeping = client.callTool({ name: 'sleep', arguments: { ms: 5000 } });
    await waitFor(() => transport.stats.written >= 5, { timeoutMs: 2000, message: 'sleep not written' });
    process.kill(pid as number, 'SIGKILL');
    await expect(sleeping).rejects.toThrow(/Connection lost/);
    await waitFor(() => transport.state === 'reconnecting', { timeoutMs: 2000, message: 'not reconnecting' });

    // Sent while the link is down: it waits in the queue.
    const queued = client.callTool({ name: 'echo', arguments: { message: 'two' } });
    const down = await collect();
    expect(
      pointValue(down, MetricName.connectionCount, { 'lifeline.connection.state': 'reconnecting' }),
    ).toBe(1);
    expect(pointValue(down, MetricName.connectionCount, { 'lifeline.connection.state': 'open' })).toBe(0);
    expect(pointValue(down, MetricName.queueLength, { 'lifeline.server.name': SERVER })).toBe(1);

    await queued;
    expect(transport.state).toBe('open');
    expect(isAlive(pid as number)).toBe(false);

    const after = await collect();
    // Units and attributes as docs/observability.md lists them.
    expect(after.get(MetricName.operationDuration)?.unit).toBe('s');
    expect(after.get(MetricName.heartbeatDuration)?.unit).toBe('s');
    expect(after.get(MetricName.connectionCount)?.unit).toBe('{connection}');

    const server = { 'lifeline.server.name': SERVER, 'network.transport': 'pipe' };
    expect(
      pointValue(after, MetricName.connectionCount, { ...server, 'lifeline.connection.state': 'open' }),
    ).toBe(1);
    expect(
      pointValue(after, MetricName.connectionCount, { 'lifeline.connection.state': 'reconnecting' }),
    ).toBe(0);
    expect(pointValue(after, MetricName.reconnects, server)).toBe(1);
    expect(pointValue(after, MetricName.queueLength, server)).toBe(0);

    // Two echo calls answered, with the negotiated protocol version.
    const answered = histogram(
      pointValue(after, MetricName.operationDuration, {
        ...server,
        'mcp.method.name': 'tools/call',
        'mcp.protocol.version': '2025-11-25',
        'error.type': undefined,
      }),
    );
    expect(answered.count).toBe(2);
    // The sleep lost with its server: lifeline's code as error.type, the JSON-RPC code as status.
    const lost = {
      ...server,
      'mcp.method.name': 'tools/call',
      'error.type': ErrorCode.ConnectionLost,
      'rpc.response.status_code': String(CONNECTION_LOST_RPC_CODE),
    };
    const lostDuration = histogram(pointValue(after, MetricName.operationDuration, lost));
    expect(lostDuration.count).toBe(1);
    expect(lostDuration.sum).toBeLessThan(5);
    expect(pointValue(after, MetricName.requestFailures, lost)).toBe(1);
    // The server's own error answer: its JSON-RPC code.
    expect(
      pointValue(after, MetricName.requestFailures, {
        ...server,
        'mcp.method.name': 'no/such/method',
        'error.type': '-32601',
        'rpc.response.status_code': '-32601',
      }),
    ).toBe(1);
    const initialize = histogram(
      pointValue(after, MetricName.operationDuration, { 'mcp.method.name': 'initialize' }),
    );
    expect(initialize.count).toBe(1);
    expect(histogram(pointValue(after, MetricName.heartbeatDuration, server)).count).toBeGreaterThan(0);
  }, 20_000);

  it('records nothing for a transport created while no MeterProvider is registered', async () => {
    metrics.disable();
    let transport: LifelineTransport;
    try {
      transport = createTransport({
        command: process.execPath,
        args: [fixturePath('stdio-server.mjs')],
        name: 'unregistered',
      });
      transports.push(transport);
    } finally {
      metrics.setGlobalMeterProvider(provider);
    }
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(transport as never);
    await client.callTool({ name: 'echo', arguments: { message: 'unseen' } });
    const text = JSON.stringify([...(await collect())]);
    expect(text).not.toContain('unregistered');
  });

  it('counts the failures lifeline answers itself: a full queue, and a close with requests waiting', async () => {
    // A server that exits at once: the connection never opens, and requests wait in a queue of one.
    const transport = createTransport({
      command: process.execPath,
      args: [fixturePath('stdio-server.mjs')],
      env: { FIXTURE_MODE: 'exit-at-start' },
      name: 'never-up',
      queue: { maxMessages: 1 },
      reconnect: { initialDelayMs: 50, jitter: 0 },
    });
    transports.push(transport);
    const answers: unknown[] = [];
    transport.onmessage = (message) => answers.push(message);
    void transport.start().catch(() => {});
    // Down again after a retry: one reconnect attempt at least.
    await waitFor(() => transport.state === 'reconnecting' && transport.status.attempt >= 2, {
      timeoutMs: 3000,
      message: 'no retry',
    });
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await expect(transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).rejects.toMatchObject({
      code: ErrorCode.QueueFull,
    });
    expect(pointValue(await collect(), MetricName.queueLength, { 'lifeline.server.name': 'never-up' })).toBe(
      1,
    );
    await transport.close();
    expect(answers).toHaveLength(1);

    const collected = await collect();
    const server = { 'lifeline.server.name': 'never-up', 'mcp.method.name': 'tools/list' };
    expect(
      pointValue(collected, MetricName.requestFailures, { ...server, 'error.type': ErrorCode.QueueFull }),
    ).toBe(1);
    expect(
      pointValue(collected, MetricName.requestFailures, {
        ...server,
        'error.type': ErrorCode.Closed,
        'rpc.response.status_code': String(CONNECTION_LOST_RPC_CODE),
      }),
    ).toBe(1);
    expect(pointValue(collected, MetricName.queueLength, { 'lifeline.server.name': 'never-up' })).toBe(0);
    expect(
      pointValue(collected, MetricName.reconnects, { 'lifeline.server.name': 'never-up' }),
    ).toBeGreaterThan(0);
  });

  it("times a WebSocket heartbeat (the link's own ping) and names the transport tcp", async () => {
    const peer = await startWsFixture();
    const transport = createTransport({
      url: peer.url,
      name: 'ws-fixture',
      heartbeat: { intervalMs: 100, timeoutMs: 2000 },
    });
    transports.push(transport);
    await transport.start();
    const server = { 'lifeline.server.name': 'ws-fixture', 'network.transport': 'tcp' };
    await waitFor(
      async () => histogram(pointValue(await collect(), MetricName.heartbeatDuration, server)).count >= 2,
      { timeoutMs: 3000, message: 'no WebSocket heartbeat recorded' },
    );
    expect(
      pointValue(await collect(), MetricName.connectionCount, {
        ...server,
        'lifeline.connection.state': 'open',
      }),
    ).toBe(1);
  });

  it("labels a supervisor's connections with their servers' names", async () => {
    const server = { command: process.execPath, args: [fixturePath('stdio-server.mjs')] };
    const supervisor = createSupervisor({ servers: { alpha: server, beta: server } });
    supervisors.push(supervisor);
    await supervisor.start();
    const collected = await collect();
    for (const name of ['alpha', 'beta'])
      expect(
        pointValue(collected, MetricName.connectionCount, {
          'lifeline.server.name': name,
          'lifeline.connection.state': 'open',
        }),
      ).toBe(1);
  });

  it('names a server without its URL credentials, path or query', async () => {
    const transport = createTransport({
      url: 'http://user:hunter2@127.0.0.1:9/mcp/secret-path?token=sekret',
    });
    transports.push(transport);
    const collected = await collect();
    expect(
      pointValue(collected, MetricName.connectionCount, {
        'lifeline.server.name': '127.0.0.1:9',
        'network.transport': 'tcp',
        'lifeline.connection.state': 'idle',
      }),
    ).toBe(1);
    const text = JSON.stringify([...collected]);
    for (const secret of ['hunter2', 'user:', 'secret-path', 'sekret']) expect(text).not.toContain(secret);
  });
});
