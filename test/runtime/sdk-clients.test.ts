// The official SDK Clients (v1 and v2) over `createTransport()`, against real child processes:
// the everything server (legacy era), a v2 dual-era server (test/fixtures/dual-era-server.mjs) and
// the stdio fixture (kill -9 with requests in flight, session replay). Nothing is mocked.

import { Client as ClientV2, ProtocolError } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE } from '../../src/errors.js';
import type { StdioConfig, TransportConfig } from '../../src/runtime/options/resolve.js';
import {
  createTransport,
  type LifecycleStatus,
  type LifelineTransport,
} from '../../src/runtime/transport.js';
import {
  everythingServerPath,
  fixturePath,
  groupAlive,
  isAlive,
  killAll,
  readPids,
  removeTempFiles,
  tempFile,
  waitFor,
} from '../helpers/processes.js';

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/** Set LIFELINE_TEST_TIMINGS=1 to print the measured timings. */
const logTiming: (...args: unknown[]) => void = process.env.LIFELINE_TEST_TIMINGS
  ? (...args) => console.info('[timing]', ...args)
  : () => {};

/** What these tests need of either Client (v1 and v2 both fit). */
interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const clientInfo = { name: 'lifeline-sdk-clients-test', version: '1.0.0' };

type ClientKind = 'v1' | 'v2-legacy' | 'v2-auto';

function newClient(kind: ClientKind): ToolClient {
  // The SDK's Transport types differ in detail from ours (branded message types); the runtime
  // contract is checked by these tests, not by the type system.
  if (kind === 'v1') return new ClientV1(clientInfo) as unknown as ToolClient;
  if (kind === 'v2-legacy') return new ClientV2(clientInfo) as unknown as ToolClient;
  return new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } }) as unknown as ToolClient;
}

interface Run {
  transport: LifelineTransport;
  /** Every lifecycle status seen, with the wall-clock time (performance.now) it arrived. */
  states: { status: LifecycleStatus; at: number }[];
  /** Every pid the transport ran (recorded on each `open`). */
  pids: number[];
}

const clients: ToolClient[] = [];
const runs: Run[] = [];
const pidFiles: string[] = [];

/** A transport that records its lifecycle, and the pids it ran. */
function track(config: TransportConfig): Run {
  const transport = createTransport(config);
  const run: Run = { transport, states: [], pids: [] };
  transport.subscribe((status) => {
    run.states.push({ status, at: performance.now() });
    if (status.state === 'open' && transport.pid !== undefined) run.pids.push(transport.pid);
  });
  runs.push(run);
  return run;
}

function everythingConfig(): TransportConfig {
  return { command: process.execPath, args: [everythingServerPath(), 'stdio'] };
}

function fixtureConfig(script: string, extra: Partial<StdioConfig> = {}, mode = ''): StdioConfig {
  const pidFile = tempFile('sdk-clients-pids');
  pidFiles.push(pidFile);
  return {
    command: process.execPath,
    args: [fixturePath(script)],
    env: { FIXTURE_PIDFILE: pidFile, FIXTURE_MODE: mode },
    ...extra,
  };
}

async function connect(kind: ClientKind, config: TransportConfig): Promise<{ client: ToolClient; run: Run }> {
  const run = track(config);
  const client = newClient(kind);
  clients.push(client);
  await client.connect(run.transport);
  return { client, run };
}

/** The text of the first content block of a tool result. */
function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const first = content?.[0];
  if (first?.type !== 'text' || typeof first.text !== 'string') {
    throw new Error(`expected a text result, got ${JSON.stringify(result)}`);
  }
  return first.text;
}

/** Runs `count` tasks with at most `limit` in flight; returns the results and the peak in flight. */
async function pool<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<{ results: T[]; peak: number }> {
  const results: T[] = new Array(count);
  let next = 0;
  let inFlight = 0;
  let peak = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        results[index] = await task(index);
      } finally {
        inFlight -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return { results, peak };
}

/** 1,000 echo calls, 64 in flight, every answer checked. */
async function echoThousand(client: ToolClient, label: string): Promise<void> {
  const started = performance.now();
  const { results, peak } = await pool(1000, 64, async (index) =>
    textOf(await client.callTool({ name: 'echo', arguments: { message: `m${index}` } })),
  );
  const ms = performance.now() - started;
  logTiming(`${label}: 1000 echo calls (64 in flight) in ${ms.toFixed(0)} ms`);
  expect(peak).toBe(64);
  expect(results).toHaveLength(1000);
  expect(results).toEqual(Array.from({ length: 1000 }, (_, index) => `Echo: m${index}`));
}

async function listAndEcho(client: ToolClient): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name)).toContain('echo');
  expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
}

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  const closed = runs.splice(0);
  await Promise.allSettled(closed.map((run) => run.transport.close()));
  const pids = [
    ...closed.flatMap((run) => run.pids),
    ...pidFiles.splice(0).flatMap((file) => readPids(file)),
  ];
  if (closed.length > 0) expect(pids.length).toBeGreaterThan(0);
  try {
    // Every process (and process group: the links spawn each server as a group leader) is gone.
    await waitFor(() => pids.every((pid) => !isAlive(pid) && !groupAlive(pid)), {
      timeoutMs: 5000,
      message: `leftover server processes: ${pids.filter((pid) => isAlive(pid)).join(', ')}`,
    });
  } finally {
    killAll(pids.filter((pid) => isAlive(pid)));
  }
  for (const run of closed) expect(run.transport.state).toBe('idle');
});

afterAll(() => removeTempFiles());

// ---------------------------------------------------------------------------------------------
// Healthy links: every Client, every era
// ---------------------------------------------------------------------------------------------

describe('SDK Clients over createTransport (real servers)', () => {
  it('v1 Client against server-everything: listTools, callTool, 1,000 calls with 64 in flight', async () => {
    const { client, run } = await connect('v1', everythingConfig());
    await listAndEcho(client);
    await echoThousand(client, 'v1 / everything');
    expect(run.transport.status.era).toBe('legacy');
    expect(run.transport.stats.links).toBe(1);
  });

  it('v2 Client (legacy negotiation, the default) against server-everything', async () => {
    const { client, run } = await connect('v2-legacy', everythingConfig());
    await listAndEcho(client);
    await echoThousand(client, 'v2 legacy / everything');
    const v2 = client as unknown as ClientV2;
    expect(v2.getProtocolEra()).toBe('legacy');
    expect(v2.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect(run.transport.status.era).toBe('legacy');
  });

  it('v2 Client (auto negotiation) against server-everything falls back to the legacy era', async () => {
    const { client, run } = await connect('v2-auto', everythingConfig());
    const v2 = client as unknown as ClientV2;
    expect(v2.getProtocolEra()).toBe('legacy');
    expect(v2.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect(run.transport.status.era).toBe('legacy');
    expect(run.transport.status.protocolVersion).toBe(v2.getNegotiatedProtocolVersion());
    // The server/discover probe ran in place, on the one process (it did not kill the server).
    expect(run.transport.stats.links).toBe(1);
    await listAndEcho(client);
    await echoThousand(client, 'v2 auto / everything');
  });

  it('v2 Client (auto negotiation) against a dual-era v2 server ends in the modern era', async () => {
    const { client, run } = await connect('v2-auto', fixtureConfig('dual-era-server.mjs'));
    const v2 = client as unknown as ClientV2;
    expect(v2.getProtocolEra()).toBe('modern');
    expect(v2.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(run.transport.status.era).toBe('modern');
    expect(run.transport.status.protocolVersion).toBe('2026-07-28');
    expect(run.transport.stats.links).toBe(1);
    await listAndEcho(client);
    await echoThousand(client, 'v2 auto / dual-era (modern)');
  });
});

// ---------------------------------------------------------------------------------------------
// kill -9 with 64 requests in flight
// ---------------------------------------------------------------------------------------------

const IN_FLIGHT = 64;

/** Lines of the fixture's `stderr-chatter` mode counting the tools/call requests it received. */
function countCalls(run: Run): () => number {
  let text = '';
  run.transport.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return () => text.split('fixture: got tools/call').length - 1;
}

function isConnectionLost(error: unknown): boolean {
  return (
    (error instanceof McpError || error instanceof ProtocolError) &&
    (error as { code: number }).code === CONNECTION_LOST_RPC_CODE
  );
}

async function statsOf(
  client: ToolClient,
): Promise<{ pid: number; initializeCount: number; initializedCount: number }> {
  return JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} })));
}

describe.each([
  ['v1', 'v1'],
  ['v2 (legacy)', 'v2-legacy'],
] as const)('%s Client: kill -9 with 64 requests in flight', (label, kind) => {
  it(`${label}: 64 in-flight requests fail fast with ${CONNECTION_LOST_RPC_CODE}, then the same Client works on a new process`, async () => {
    const { client, run } = await connect(
      kind,
      fixtureConfig(
        'stdio-server.mjs',
        { stderr: 'pipe', reconnect: { initialDelayMs: 200, jitter: 0 } },
        'stderr-chatter',
      ),
    );
    const { transport } = run;
    const calls = countCalls(run);
    const oldPid = transport.pid;
    expect(oldPid).toBeTypeOf('number');

    // 64 requests the server holds for 5 s: still pending when the process dies.
    const settled = Array.from({ length: IN_FLIGHT }, (_, index) =>
      client.callTool({ name: 'sleep', arguments: { ms: 5000 } }).then(
        (value) => ({ ok: true as const, value, at: performance.now(), index }),
        (error: unknown) => ({ ok: false as const, error, at: performance.now(), index }),
      ),
    );
    // The server logged every one of them: they were written and are pending on its side.
    await waitFor(() => calls() >= IN_FLIGHT, {
      timeoutMs: 5000,
      message: 'the server did not get 64 calls',
    });

    const statesBefore = run.states.length;
    const killedAt = performance.now();
    process.kill(oldPid as number, 'SIGKILL');
    const outcomes = await Promise.all(settled);
    const slowest = Math.max(...outcomes.map((outcome) => outcome.at - killedAt));
    logTiming(`${label}: 64 in-flight requests rejected within ${slowest.toFixed(1)} ms of SIGKILL`);

    for (const outcome of outcomes) {
      expect(outcome.ok, `request ${outcome.index} should have failed`).toBe(false);
      if (!outcome.ok) {
        expect(isConnectionLost(outcome.error), String(outcome.error)).toBe(true);
        expect(outcome.error).toBeInstanceOf(kind === 'v1' ? McpError : ProtocolError);
        expect((outcome.error as { data?: { code?: string } }).data?.code).toBe(
          'LIFELINE_ERR_CONNECTION_LOST',
        );
      }
      expect(outcome.at - killedAt).toBeLessThan(1000);
    }

    // open → reconnecting (200 ms, no jitter) → connecting → open on a new process.
    await waitFor(() => transport.state === 'open' && transport.pid !== oldPid, { timeoutMs: 5000 });
    // Consecutive statuses of one state (e.g. `open` again when the new link proves itself and the
    // attempt count resets) are one state entry.
    const after = run.states
      .slice(statesBefore)
      .filter((entry, index, all) => entry.status.state !== all[index - 1]?.status.state);
    expect(after.map((entry) => entry.status.state)).toEqual(['reconnecting', 'connecting', 'open']);
    const [reconnecting, connecting] = after;
    expect(reconnecting?.status.delayMs).toBe(200);
    expect(reconnecting?.status.attempt).toBe(1);
    expect(reconnecting?.status.error?.code).toBe('LIFELINE_ERR_PROCESS_EXIT');
    const waited = (connecting?.at ?? 0) - (reconnecting?.at ?? 0);
    logTiming(`${label}: reconnecting → connecting after ${waited.toFixed(1)} ms (delayMs 200)`);
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(600);

    // The same Client, no new connect(): the session was replayed on the new process.
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'again' } }))).toBe(
      'Echo: again',
    );
    const stats = await statsOf(client);
    expect(stats.pid).toBe(transport.pid);
    expect(stats.pid).not.toBe(oldPid);
    expect(stats.initializeCount).toBe(1);
    expect(stats.initializedCount).toBe(1);
    expect(transport.stats.reestablished).toBe(1);
    expect(transport.stats.links).toBe(2);
    expect(transport.status.era).toBe('legacy');
  });
});

describe('v1 Client: server killed while idle', () => {
  it('a call issued while the link is down waits for the replayed session and succeeds', async () => {
    const { client, run } = await connect(
      'v1',
      fixtureConfig('stdio-server.mjs', { reconnect: { initialDelayMs: 200, jitter: 0 } }),
    );
    const { transport } = run;
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'before' } }))).toBe(
      'Echo: before',
    );
    const oldPid = transport.pid as number;

    process.kill(oldPid, 'SIGKILL');
    // As soon as the runtime has seen the death (a request written before that would be lost
    // with the process and answered with CONNECTION_LOST_RPC_CODE), and before the link is back.
    await waitFor(() => transport.state !== 'open', { timeoutMs: 2000, intervalMs: 1 });
    expect(transport.state).toBe('reconnecting');
    const issuedAt = performance.now();
    const pending = client.callTool({ name: 'echo', arguments: { message: 'after' } });
    expect(transport.stats.queued).toBe(1);

    expect(textOf(await pending)).toBe('Echo: after');
    logTiming(`v1 idle kill: queued call answered after ${(performance.now() - issuedAt).toFixed(1)} ms`);
    expect(transport.pid).not.toBe(oldPid);
    const stats = await statsOf(client);
    expect(stats).toEqual({ pid: transport.pid, initializeCount: 1, initializedCount: 1 });
    expect(transport.stats.reestablished).toBe(1);
  });
});
