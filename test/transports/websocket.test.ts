// The WebSocket transport through `createTransport({ url: 'ws://…' })` with the official SDK Clients
// (v1 and v2), against real servers on loopback: our fixture (test/fixtures/ws-server.mjs) and
// supergateway 4.0.0 `--outputTransport ws` in front of server-everything. Half-open links are made
// by the fault proxy stalling a live TCP connection; time for the heartbeat comes from a
// SimulatedClock. Nothing is mocked.

import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createTransport, ErrorCode, type LifelineTransport, type WsConfig } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/processes.js';
import { type ChildPeer, startSupergateway, startWsFixture } from '../peers/index.js';

const clientInfo = { name: 'lifeline-ws-test', version: '1.0.0' };

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const keep = closeAfterEach();

function transportFor(url: string, extra: Partial<WsConfig> = {}): LifelineTransport {
  const transport = createTransport({
    url,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    ...extra,
  } as WsConfig);
  return keep(transport);
}

async function connect(
  kind: 'v1' | 'v2',
  url: string,
  extra: Partial<WsConfig> = {},
): Promise<{ client: ToolClient; transport: LifelineTransport }> {
  const transport = transportFor(url, extra);
  const client = (kind === 'v1'
    ? new ClientV1(clientInfo)
    : new ClientV2(clientInfo)) as unknown as ToolClient;
  keep(client);
  await client.connect(transport);
  return { client, transport };
}

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

async function echo(client: ToolClient, message: string): Promise<string> {
  return textOf(await client.callTool({ name: 'echo', arguments: { message } }));
}

/** A second client straight to the fixture (no proxy), to read its counters without touching the link under test. */
async function observer(peer: ChildPeer): Promise<() => Promise<Record<string, number>>> {
  const { client } = await connect('v1', peer.url, { heartbeat: { intervalMs: 0 } });
  return async () => JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} })));
}

async function proxyTo(peer: ChildPeer): Promise<FaultProxy> {
  return keep(await startFaultProxy({ port: peer.port }));
}

/** Lets socket events and queued microtasks run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SDK Clients over WebSocket against real peers', () => {
  for (const kind of ['v1', 'v2'] as const) {
    it(`${kind} Client against the fixture: listTools, callTool, 1,000 calls with 64 in flight`, async () => {
      const peer = await startWsFixture();
      const { client, transport } = await connect(kind, peer.url);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'sleep', 'misbehave']));
      expect(await echo(client, 'hello')).toBe('Echo: hello');

      await inFlightCalls(client, 1000, 64);
      expect(transport.stats).toMatchObject({ links: 1, failed: 0 });
    });

    it(`${kind} Client against supergateway (ws) wrapping server-everything: listTools, callTool, 1,000 calls with 64 in flight`, async () => {
      const peer = await startSupergateway({ outputTransport: 'ws', stdio: 'everything' });
      const { client, transport } = await connect(kind, peer.url);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
      await inFlightCalls(client, 1000, 64);
      expect(transport.stats).toMatchObject({ links: 1, failed: 0 });
    });
  }
});

/** `total` echo calls, never more than `width` at once; every answer checked. */
async function inFlightCalls(client: ToolClient, total: number, width: number): Promise<void> {
  let next = 0;
  const answers: string[] = [];
  const lane = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      answers[n] = await echo(client, `m${n}`);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  expect(answers).toEqual(Array.from({ length: total }, (_, n) => `Echo: m${n}`));
}

describe('heartbeat: WebSocket ping/pong measured from the last byte read', () => {
  const intervalMs = 10_000;
  const timeoutMs = 5_000;

  async function halfOpenRig() {
    const peer = await startWsFixture();
    const proxy = await proxyTo(peer);
    const stats = await observer(peer);
    const clock = new SimulatedClock();
    const { client, transport } = await connect('v1', proxy.url('/ws', 'ws'), {
      clock,
      heartbeat: { intervalMs, timeoutMs },
      reconnect: { initialDelayMs: 1000, jitter: 0 },
    });
    const snapshot = () => transport.actor.getSnapshot();
    return { peer, proxy, stats, clock, client, transport, snapshot };
  }

  it('a quiet link gets one ping and its pong; a busy link gets none', async () => {
    const { stats, clock, client, snapshot } = await halfOpenRig();
    const pingsAtStart = (await stats()).pingsReceived as number;

    // Quiet for intervalMs: one ping, answered, back to watching.
    clock.increment(intervalMs);
    expect(snapshot().matches({ open: 'probing' })).toBe(true);
    await waitFor(() => snapshot().matches({ open: 'watching' }));
    expect((await stats()).pingsReceived).toBe(pingsAtStart + 1);

    // Traffic 6 s into the next interval: the check at 10 s finds 4 s of quiet and sends nothing;
    // the ping waits until the quiet reaches intervalMs, 6 s later.
    clock.increment(6000);
    expect(await echo(client, 'busy')).toBe('Echo: busy');
    clock.increment(4000);
    await turn();
    expect(snapshot().matches({ open: 'watching' })).toBe(true);
    clock.increment(5999);
    await turn();
    expect(snapshot().matches({ open: 'watching' })).toBe(true);
    expect((await stats()).pingsReceived).toBe(pingsAtStart + 1);
    clock.increment(1);
    expect(snapshot().matches({ open: 'probing' })).toBe(true);
    await waitFor(() => snapshot().matches({ open: 'watching' }));
    expect((await stats()).pingsReceived).toBe(pingsAtStart + 2);
  });

  it('a half-open link is declared dead within intervalMs + timeoutMs, requests in flight fail at once, and it reopens when traffic passes again', async () => {
    const { proxy, clock, client, transport, snapshot } = await halfOpenRig();
    expect(await echo(client, 'before')).toBe('Echo: before');

    proxy.stall();
    const stalledAt = clock.now();
    let settled = false;
    const inFlight = client.callTool({ name: 'echo', arguments: { message: 'lost' } }).then(
      () => 'answered',
      (error: { code?: number; data?: { cause?: string } }) => [error.code, error.data?.cause],
    );
    void inFlight.finally(() => {
      settled = true;
    });

    // Step the clock; the link must be given up no later than intervalMs + timeoutMs after the stall.
    while (transport.state === 'open' && clock.now() - stalledAt < intervalMs + timeoutMs) {
      clock.increment(250);
      await turn();
    }
    expect(transport.state).toBe('reconnecting');
    expect(clock.now() - stalledAt).toBeLessThanOrEqual(intervalMs + timeoutMs);
    expect(transport.status.error?.code).toBe(ErrorCode.HeartbeatTimeout);
    await turn();
    expect(settled).toBe(true);
    expect(await inFlight).toEqual([-32090, ErrorCode.HeartbeatTimeout]);

    // The retry's handshake is held by the stalled proxy; once traffic passes, the link reopens.
    clock.increment(1000);
    expect(snapshot().value).toBe('connecting');
    proxy.resume();
    await waitFor(() => transport.state === 'open');
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.stats).toMatchObject({ links: 2, reestablished: 1 });
  });

  it('a server that stops answering pings (half-open from its side) is given up the same way', async () => {
    const { clock, client, transport } = await halfOpenRig();
    const unanswered = client
      .callTool({ name: 'misbehave', arguments: { kind: 'silence' } })
      .catch((error: { code?: number }) => error.code);
    await waitFor(() => transport.stats.written >= 3);
    const silentFrom = clock.now();
    while (transport.state === 'open' && clock.now() - silentFrom < intervalMs + timeoutMs) {
      clock.increment(250);
      await turn();
    }
    expect(transport.state).toBe('reconnecting');
    expect(transport.status.error?.code).toBe(ErrorCode.HeartbeatTimeout);
    expect(await unanswered).toBe(-32090);
    clock.increment(1000);
    await waitFor(() => transport.state === 'open');
    expect(await echo(client, 'again')).toBe('Echo: again');
  });
});

describe('recovery when the server restarts', () => {
  it('fixture: in-flight requests fail at once with -32090, the session is re-initialized, calls go on', async () => {
    const peer = await startWsFixture();
    const { client, transport } = await connect('v1', peer.url);
    expect(await echo(client, 'before')).toBe('Echo: before');
    const inFlight = Array.from({ length: 8 }, () =>
      client.callTool({ name: 'sleep', arguments: { ms: 30_000 } }).then(
        () => 'answered',
        (error: { code?: number }) => error.code,
      ),
    );
    await turn();
    const cut = performance.now();
    await peer.kill();
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill(-32090));
    expect(performance.now() - cut).toBeLessThan(5000);

    await peer.restart();
    await waitFor(() => transport.state === 'open');
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.stats.reestablished).toBe(1);
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} })));
    expect(stats.initializeCount).toBe(1);
  });

  it('supergateway: a restarted gateway gets the replayed initialize (string ids travel as numbers) and calls go on', async () => {
    const peer = await startSupergateway({ outputTransport: 'ws', stdio: 'everything' });
    const { client, transport } = await connect('v2', peer.url);
    expect(await echo(client, 'before')).toBe('Echo: before');
    await peer.kill();
    await waitFor(() => transport.state !== 'open');
    await peer.restart();
    await waitFor(() => transport.stats.reestablished === 1);
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.state).toBe('open');
  });
});

describe('close leaves no socket or timer behind', () => {
  /** Handles of this process that a transport could leave behind. */
  function handles(): { sockets: number; timers: number } {
    const info = process.getActiveResourcesInfo();
    return {
      sockets: info.filter((kind) => kind === 'TCPSocketWrap').length,
      timers: info.filter((kind) => kind === 'Timeout').length,
    };
  }

  async function expectNothingLeft(baseline: { sockets: number; timers: number }, proxy: FaultProxy) {
    await waitFor(() => proxy.connections === 0);
    await waitFor(() => {
      const now = handles();
      return now.sockets <= baseline.sockets && now.timers <= baseline.timers;
    });
  }

  it.each(['idle', 'connecting', 'open', 'reconnecting', 'failed', 'closing'] as const)(
    'closing in %s',
    async (state) => {
      const peer = await startWsFixture(state === 'failed' ? { auth: 'secret-token-1' } : {});
      const proxy = await proxyTo(peer);
      const baseline = handles();
      const transport = transportFor(proxy.url('/ws', 'ws'), {
        reconnect: { initialDelayMs: 60_000 },
        timeouts: { closeMs: 200 },
      });
      if (state === 'connecting') {
        proxy.stall();
        void transport.start().catch(() => undefined);
        await waitFor(() => proxy.connections === 1);
      } else if (state !== 'idle') {
        await transport.start().catch(() => undefined);
      }
      if (state === 'reconnecting') {
        await peer.kill();
        await waitFor(() => transport.state === 'reconnecting');
      }
      if (state === 'closing') {
        // A server that never answers the close frame: terminated after closeMs.
        await transport.send({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'misbehave', arguments: { kind: 'silence' } },
        });
        await waitFor(() => transport.stats.written >= 1);
      }
      expect(transport.state).toBe(state === 'closing' ? 'open' : state);
      const started = performance.now();
      await transport.close();
      expect(transport.state).toBe('idle');
      expect(performance.now() - started).toBeLessThan(3000);
      proxy.resume();
      await expectNothingLeft(baseline, proxy);
    },
  );
});
