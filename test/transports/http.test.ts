// The HTTP family through `createTransport({ url })` with the official SDK Clients (v1 and v2),
// against real servers on loopback: server-everything (Streamable HTTP and HTTP+SSE), a v2
// `createMcpHandler` server (both eras), supergateway (stateless and stateful) and the v1 stateful
// fixture. Nothing is mocked.

import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { createTransport, type HttpConfig, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/raw-client.js';
import {
  type ChildPeer,
  startEverything,
  startLegacySse,
  startLegacyStateful,
  startSupergateway,
  startV2Http,
} from '../peers/index.js';

const MODERN = '2026-07-28';
const clientInfo = { name: 'lifeline-http-test', version: '1.0.0' };

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

type ClientKind = 'v1' | 'v2-legacy' | 'v2-auto';

const keep = closeAfterEach();

function newClient(
  kind: ClientKind,
): ToolClient & { getNegotiatedProtocolVersion?: () => string | undefined } {
  const client =
    kind === 'v1'
      ? new ClientV1(clientInfo)
      : kind === 'v2-legacy'
        ? new ClientV2(clientInfo)
        : new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } });
  return keep(client as unknown as ToolClient);
}

function transportFor(url: string, extra: Partial<HttpConfig> = {}): LifelineTransport {
  const transport = createTransport({
    url,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    ...extra,
  } as HttpConfig);
  return keep(transport);
}

async function connect(
  kind: ClientKind,
  url: string,
  extra: Partial<HttpConfig> = {},
): Promise<{ client: ReturnType<typeof newClient>; transport: LifelineTransport }> {
  const transport = transportFor(url, extra);
  const client = newClient(kind);
  await client.connect(transport);
  return { client, transport };
}

function textOf(result: unknown): string {
  const first = (result as { content?: { type: string; text?: string }[] }).content?.[0];
  if (first?.type !== 'text' || typeof first.text !== 'string')
    throw new Error(`expected a text result, got ${JSON.stringify(result)}`);
  return first.text;
}

async function echo(client: ToolClient, message: string): Promise<string> {
  return textOf(await client.callTool({ name: 'echo', arguments: { message } }));
}

/** Calls echo `count` times with `window` in flight; returns how many answered. */
async function echoMany(client: ToolClient, count: number, window: number): Promise<number> {
  let next = 0;
  let answered = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      expect(await echo(client, `m${index}`)).toBe(`Echo: m${index}`);
      answered += 1;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return answered;
}

describe('Streamable HTTP and HTTP+SSE against real peers', () => {
  it.each(['v1', 'v2-legacy', 'v2-auto'] as const)(
    '%s Client against server-everything Streamable HTTP (legacy, stateful)',
    async (kind) => {
      const peer = await startEverything('streamableHttp');
      const { client, transport } = await connect(kind, peer.url);
      expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('echo');
      expect(await echoMany(client, 200, 16)).toBe(200);
      expect(transport.status.state).toBe('open');
      expect(transport.actor.getSnapshot().context.era).toBe('legacy');
      // The session id is kept out of the machine's context (snapshots, the inspector).
      expect(JSON.stringify(transport.actor.getSnapshot().context)).not.toContain(transport.sessionId);
    },
  );

  it.each(['v1', 'v2-auto'] as const)(
    '%s Client reaches server-everything HTTP+SSE by fallback from a bare url',
    async (kind) => {
      const peer = await startEverything('sse');
      const { client, transport } = await connect(kind, peer.url);
      expect(await echo(client, 'via fallback')).toBe('Echo: via fallback');
      expect(transport.status.state).toBe('open');
      // A second transport to the same endpoint goes straight to HTTP+SSE (the verdict is cached).
      const second = await connect('v1', peer.url);
      expect(await echo(second.client, 'cached')).toBe('Echo: cached');
      expect(second.transport.stats.links).toBe(1);
    },
  );

  it('v1 Client with type sse against server-everything HTTP+SSE', async () => {
    const peer = await startEverything('sse');
    const { client, transport } = await connect('v1', peer.url, { type: 'sse' });
    expect(await echoMany(client, 100, 8)).toBe(100);
    expect(transport.stats.links).toBe(1);
  });

  it('v2 auto ends modern against a v2 createMcpHandler server; v1 works there in legacy', async () => {
    const peer = await startV2Http();
    const modern = await connect('v2-auto', peer.url);
    expect((modern.client as { getNegotiatedProtocolVersion(): string }).getNegotiatedProtocolVersion()).toBe(
      MODERN,
    );
    expect(modern.transport.actor.getSnapshot().context.era).toBe('modern');
    expect(await echoMany(modern.client, 100, 16)).toBe(100);

    const legacy = await connect('v1', peer.url);
    expect(await echoMany(legacy.client, 50, 8)).toBe(50);
    expect(legacy.transport.actor.getSnapshot().context.era).toBe('legacy');
  });

  it('a modern refusal in a 400 body reaches the Client as the answer, and is no reason to fall back', async () => {
    // This server refuses the legacy era with 400 and -32022 (unsupported version) for the id.
    const peer = await startV2Http({ legacy: 'reject' });
    const transport = transportFor(peer.url);
    const client = newClient('v1');
    const refused = await client.connect(transport).then(
      () => undefined,
      (error: { code?: number }) => error,
    );
    expect(refused?.code).toBe(-32022);
    expect(transport.stats.links).toBe(1);
    expect(transport.status.error?.code).not.toBe('LIFELINE_ERR_FALLBACK');
    // The v2 Client in auto mode still gets the modern era from the same server.
    const modern = await connect('v2-auto', peer.url);
    expect(await echo(modern.client, 'modern')).toBe('Echo: modern');
  });

  it('v2 auto ends modern with SSE responses too', async () => {
    const peer = await startV2Http({ responseMode: 'sse' });
    const { client } = await connect('v2-auto', peer.url);
    expect((client as { getNegotiatedProtocolVersion(): string }).getNegotiatedProtocolVersion()).toBe(
      MODERN,
    );
    expect(await echoMany(client, 50, 8)).toBe(50);
  });

  it.each([false, true])(
    'v1 and v2 Clients through supergateway Streamable HTTP (stateful: %s)',
    async (stateful) => {
      const peer = await startSupergateway({ stateful });
      const v1 = await connect('v1', peer.url);
      expect(await echo(v1.client, 'one')).toBe('Echo: one');
      if (stateful) expect(v1.transport.sessionId).toBeDefined();
      const v2 = await connect('v2-auto', peer.url);
      expect(await echo(v2.client, 'two')).toBe('Echo: two');
    },
  );
});

describe('recovery when the server is killed and restarted on the same port', () => {
  it('legacy stateful: in-flight requests fail at once with -32090, the session is re-initialized, calls go on', async () => {
    const peer = await startLegacyStateful();
    const { client, transport } = await connect('v1', peer.url);
    const firstSession = transport.sessionId;
    expect(await echo(client, 'before')).toBe('Echo: before');

    const inFlight = Array.from({ length: 8 }, () =>
      client.callTool({ name: 'sleep', arguments: { ms: 30_000 } }).then(
        () => 'answered',
        (error: { code?: number }) => error.code,
      ),
    );
    await waitForServerCalls(peer, 8);
    const cut = performance.now();
    await peer.kill();
    const outcomes = await Promise.all(inFlight);
    expect(performance.now() - cut).toBeLessThan(5000);
    expect(outcomes).toEqual(Array(8).fill(-32090));

    await peer.restart();
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.sessionId).toBeDefined();
    expect(transport.sessionId).not.toBe(firstSession);
    expect(transport.stats.reestablished).toBeGreaterThanOrEqual(1);
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} }))) as {
      initializeCount: number;
    };
    expect(stats.initializeCount).toBe(1);
  });

  it('legacy stateful: after a quiet restart the next call re-initializes and goes through', async () => {
    const peer = await startLegacyStateful();
    const log = recordingLogger();
    const { client, transport } = await connect('v1', peer.url, {
      heartbeat: { intervalMs: 0 },
      logger: log.logger,
    });
    expect(await echo(client, 'before')).toBe('Echo: before');
    await peer.kill();
    await peer.restart();
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.stats.reestablished).toBe(1);
    expect(log.messages('warn').some((line) => line.includes('ECONNREFUSED'))).toBe(true);
  });

  it('legacy stateful behind a proxy: a restart unseen at TCP level gives 404, a new session, the request sent again', async () => {
    const peer = await startLegacyStateful();
    const proxy = keep(await startFaultProxy({ port: peer.port }));
    const log = recordingLogger();
    const { client, transport } = await connect('v1', proxy.url('/mcp'), {
      heartbeat: { intervalMs: 0 },
      logger: log.logger,
    });
    const firstSession = transport.sessionId;
    expect(await echo(client, 'before')).toBe('Echo: before');
    await peer.kill();
    await peer.restart();
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(log.messages('warn').some((line) => /session expired \(HTTP 404\)/.test(line))).toBe(true);
    expect(transport.sessionId).not.toBe(firstSession);
    expect(transport.stats.reestablished).toBe(1);
    expect(transport.stats.failed).toBe(0);
  });

  it('modern: requests in flight at the cut are re-issued and answered by the restarted server', async () => {
    const peer = await startV2Http();
    const { client, transport } = await connect('v2-auto', peer.url);
    expect(await echo(client, 'before')).toBe('Echo: before');

    const inFlight = Array.from({ length: 8 }, (_, i) =>
      client.callTool({ name: 'sleep', arguments: { ms: 300 + i } }),
    );
    await waitForServerCalls(peer, 8);
    await peer.kill();
    const restarted = peer.restart();
    const results = await Promise.all(inFlight);
    await restarted;
    expect(results.map(textOf)).toEqual(Array(8).fill('slept'));
    expect(transport.stats.reissued).toBe(8);
    expect(await echoMany(client, 50, 8)).toBe(50);
    expect(transport.status.state).toBe('open');
  });
});

/** Waits until the server has started `count` sleep calls (the fixture logs each). */
async function waitForServerCalls(peer: ChildPeer, count: number): Promise<void> {
  await waitFor(() => (peer.outputTail.match(/sleep \d+ started/g)?.length ?? 0) >= count, {
    timeoutMs: 10_000,
  });
}

describe('legacy HTTP+SSE server (v1 SSEServerTransport)', () => {
  it('reconnects with a new session when the server restarts', async () => {
    const peer = await startLegacySse();
    const { client, transport } = await connect('v1', peer.url, { type: 'sse' });
    expect(await echo(client, 'before')).toBe('Echo: before');
    await peer.kill();
    await peer.restart();
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.stats.reestablished).toBe(1);
  });
});

describe('a response stream cut mid-request (fault proxy)', () => {
  it('modern: the request is re-issued once under a new id and answered', async () => {
    const peer = await startV2Http({ responseMode: 'sse' });
    const proxy = keep(await startFaultProxy({ port: peer.port }));
    const { client, transport } = await connect('v2-auto', proxy.url('/mcp'));
    expect(await echo(client, 'warm')).toBe('Echo: warm');

    // Cut the sleep call's stream right after its first event (a log notification), before the answer.
    const cut = proxy.cutWhen((chunk, direction) => direction === 'down' && chunk.includes('sleeping'));
    const call = client.callTool({ name: 'sleep', arguments: { ms: 400, notify: true } });
    await cut;
    expect(textOf(await call)).toBe('slept');
    expect(transport.stats.reissued).toBe(1);
    expect(transport.status.state).toBe('open');
  });

  it('legacy: the stream is resumed with Last-Event-ID and the answer arrives', async () => {
    const peer = await startLegacyStateful({ eventStore: true, retryMs: 100 });
    const proxy = keep(await startFaultProxy({ port: peer.port }));
    const { client, transport } = await connect('v1', proxy.url('/mcp'), { heartbeat: { intervalMs: 0 } });
    expect(await echo(client, 'warm')).toBe('Echo: warm');

    let lastEventId = '';
    const cut = proxy.cutWhen((chunk, direction) => {
      if (direction !== 'down') return false;
      const text = chunk.toString('latin1');
      const id = /(?:^|\n)id: ?([^\r\n]+)/.exec(text)?.[1];
      // Cut right after the priming event of the sleep call's stream, before its answer.
      if (id !== undefined && !text.includes('"result"')) lastEventId = id;
      return id !== undefined && !text.includes('"result"');
    });
    // A trigger that never fires, to watch the client's requests for the resumption.
    let resumedWith = '';
    void proxy.cutWhen((chunk, direction) => {
      const header = /last-event-id: ?([^\r\n]+)/i.exec(chunk.toString('latin1'))?.[1];
      if (direction === 'up' && header !== undefined) resumedWith = header;
      return false;
    });
    const call = client.callTool({ name: 'sleep', arguments: { ms: 400 } });
    await cut;
    expect(lastEventId).not.toBe('');
    expect(textOf(await call)).toBe('slept');
    expect(resumedWith).toBe(lastEventId);
    expect(transport.stats.reissued).toBe(0);
    expect(transport.stats.failed).toBe(0);
    expect(transport.stats.links).toBe(1);
  });
});

describe('modern-era per-request streams', () => {
  it('a v2 Client cancels a request by aborting its stream: silent, prompt, and the transport goes on', async () => {
    const peer = await startV2Http({ responseMode: 'sse' });
    const { client, transport } = await connect('v2-auto', peer.url);
    expect(transport.hasPerRequestStream).toBe(true);
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);

    const controller = new AbortController();
    const call = (client as unknown as ClientV2)
      .callTool({ name: 'sleep', arguments: { ms: 30_000 } }, { signal: controller.signal })
      .then(
        () => 'answered',
        (error: Error) => error.name,
      );
    await waitForServerCalls(peer, 1);
    controller.abort('the user changed their mind');
    expect(await call).not.toBe('answered');
    // The stream's close reached the server, which stopped the work.
    await waitFor(() => peer.outputTail.includes('sleep 30000 ended'), { timeoutMs: 5000 });
    expect(await echo(client, 'after')).toBe('Echo: after');
    expect(transport.stats.failed).toBe(0);
    expect(transport.stats.reissued).toBe(0);
    expect(errors).toEqual([]);
  });

  it('passes per-request headers except reserved names, and reports each stream end', async () => {
    const peer = await startV2Http({ responseMode: 'sse' });
    const proxy = keep(await startFaultProxy({ port: peer.port }));
    const { transport } = await connect('v2-auto', proxy.url('/mcp'));
    let sent = '';
    void proxy.cutWhen((chunk, direction) => {
      const text = chunk.toString('latin1');
      if (direction === 'up' && text.includes('"tools/call"')) sent = text;
      return false;
    });
    const answers: unknown[] = [];
    transport.onmessage = (message) => answers.push(message);
    let ended = 0;
    const meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': clientInfo,
    };
    await transport.send(
      {
        jsonrpc: '2.0',
        id: 'h1',
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'é' }, _meta: meta },
      },
      {
        headers: { 'x-trace': 'abc', 'mcp-method': 'forged', authorization: 'forged' },
        onRequestStreamEnd: () => {
          ended += 1;
        },
      },
    );
    await waitFor(() => answers.length === 1 && ended === 1);
    expect(sent).toMatch(/x-trace: abc/i);
    expect(sent).toMatch(/mcp-method: tools\/call/i);
    expect(sent).toMatch(/mcp-name: echo/i);
    expect(sent).not.toMatch(/forged/);
    expect(answers[0]).toMatchObject({ id: 'h1', result: { content: [{ text: 'Echo: é' }] } });
  });
});
