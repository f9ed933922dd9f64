// The peer helpers against the official SDK's own client transports (v1 Streamable HTTP and SSE, v2 with
// version negotiation): every peer connects, lists and calls tools, dies and comes back on the same port,
// and answers a stale session the way the helpers document. Raw HTTP goes through undici `request`; the
// WebSocket peers are driven by a raw `ws` client.

import { once } from 'node:events';
import { createServer } from 'node:net';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableV2,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type RawData, WebSocket } from 'ws';
import { isAlive } from '../helpers/processes.js';
import {
  freePort,
  type Peer,
  startEverything,
  startLegacySse,
  startLegacyStateful,
  startSupergateway,
  startV2Http,
  startWsFixture,
  stopAll,
} from './index.js';

const clientInfo = { name: 'lifeline-peers-test', version: '1.0.0' };
const MODERN = '2026-07-28';
const LEGACY_INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo },
};

const modernDiscover = {
  jsonrpc: '2.0',
  id: 1,
  method: 'server/discover',
  params: {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
};

function modernHeaders(method: string): Record<string, string> {
  return { 'mcp-protocol-version': MODERN, 'mcp-method': method };
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
  await stopAll();
});

/** What the tests need of a v1 or v2 Client. */
interface ToolClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

async function connectV1(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client(clientInfo);
  const transport = new StreamableHTTPClientTransport(new URL(url));
  closers.push(() => client.close());
  await client.connect(transport);
  return { client, transport };
}

async function connectSse(url: string): Promise<Client> {
  const client = new Client(clientInfo);
  closers.push(() => client.close());
  await client.connect(new SSEClientTransport(new URL(url)));
  return client;
}

async function connectV2Auto(url: string): Promise<ClientV2> {
  const client = new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } });
  closers.push(() => client.close());
  await client.connect(new StreamableV2(new URL(url)));
  return client;
}

/** The text of the first content block of a tool result. */
function firstText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const block = content?.[0];
  if (block?.type !== 'text' || block.text === undefined)
    throw new Error(`no text: ${JSON.stringify(result)}`);
  return block.text;
}

async function echo(client: ToolClient, message = 'hello'): Promise<string> {
  return firstText(await client.callTool({ name: 'echo', arguments: { message } }));
}

async function stats(client: ToolClient): Promise<Record<string, unknown> & { pid: number }> {
  return JSON.parse(firstText(await client.callTool({ name: 'stats', arguments: {} })));
}

/** A raw POST of one JSON-RPC message, with the headers a legacy client sends. */
async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string; sessionId: string | undefined; text: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const header = (name: string) => {
    const value = res.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    status: res.statusCode,
    contentType: header('content-type') ?? '',
    sessionId: header('mcp-session-id'),
    text: await res.body.text(),
  };
}

const listTools = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
const bogusSession = { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-11-25' };

/** Kills, checks the old pid is gone, restarts on the same port; returns the old pid. */
async function killAndRestart(peer: Peer): Promise<number> {
  const { pid, port, url } = peer;
  if (pid === undefined) throw new Error('peer not running');
  await peer.kill();
  expect(peer.pid).toBeUndefined();
  expect(() => process.kill(pid, 0)).toThrow();
  await peer.restart();
  expect(peer.port).toBe(port);
  expect(peer.url).toBe(url);
  expect(peer.pid).not.toBe(pid);
  return pid;
}

/** After stop(), neither the peer nor the pids given are alive. */
async function expectGoneAfterStop(peer: Peer, others: number[] = []): Promise<void> {
  const { pid } = peer;
  if (pid === undefined) throw new Error('peer not running');
  await peer.stop();
  await peer.stop();
  expect(() => process.kill(pid, 0)).toThrow();
  for (const other of others) expect(isAlive(other)).toBe(false);
}

describe('freePort', () => {
  it('returns a port that is free to listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('startEverything', () => {
  it('streamableHttp: serves a v1 client on /mcp, answers a stale session with 400 and restarts on its port', async () => {
    const peer = await startEverything('streamableHttp');
    expect(peer.url).toBe(`http://127.0.0.1:${peer.port}/mcp`);
    const { client, transport } = await connectV1(peer.url);
    expect(transport.sessionId).toBeTypeOf('string');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(await echo(client)).toBe('Echo: hello');

    await killAndRestart(peer);
    // The session died with the process; the spec says 404, this server says 400.
    const stale = await post(peer.url, listTools, {
      ...bogusSession,
      'mcp-session-id': transport.sessionId ?? '',
    });
    expect(stale.status).toBe(400);
    expect(JSON.parse(stale.text)).toMatchObject({ error: { code: -32000 } });
    const fresh = await connectV1(peer.url);
    expect(await echo(fresh.client, 'again')).toBe('Echo: again');
    await expectGoneAfterStop(peer);
  });

  it('sse: serves a v1 SSE client on /sse, answers a POST there with 404, and restarts', async () => {
    const peer = await startEverything('sse');
    expect(peer.url).toBe(`http://127.0.0.1:${peer.port}/sse`);
    expect(await echo(await connectSse(peer.url))).toBe('Echo: hello');

    const res = await post(peer.url, LEGACY_INIT);
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('text/html');

    await killAndRestart(peer);
    expect(await echo(await connectSse(peer.url))).toBe('Echo: hello');
  });
});

describe('startV2Http', () => {
  it('serves a v1 client statelessly, ignoring session ids, and a v2 auto client in the modern era', async () => {
    const peer = await startV2Http();
    const { client, transport } = await connectV1(peer.url);
    expect(transport.sessionId).toBeUndefined();
    expect(await echo(client)).toBe('Echo: hello');

    const modern = await connectV2Auto(peer.url);
    expect(modern.getProtocolEra()).toBe('modern');
    expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect((await modern.listTools()).tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'sleep', 'big', 'stats']),
    );
    expect(await echo(modern, 'modern')).toBe('Echo: modern');
    const counters = await stats(modern);
    expect(counters).toMatchObject({ pid: peer.pid, methods: { 'server/discover': 1 } });

    // No sessions: an Mcp-Session-Id it never issued is simply ignored.
    const res = await post(peer.url, listTools, bogusSession);
    expect(res.status).toBe(200);
    expect(res.text).toContain('"echo"');
  });

  it('comes back on the same port after SIGKILL and after SIGTERM, with a new pid', async () => {
    const peer = await startV2Http();
    const before = await stats(await connectV2Auto(peer.url));
    const oldPid = await killAndRestart(peer);
    const after = await stats(await connectV2Auto(peer.url));
    expect(before.pid).toBe(oldPid);
    expect(after.pid).toBe(peer.pid);

    await peer.kill('SIGTERM');
    expect(() => process.kill(after.pid, 0)).toThrow();
    await peer.restart();
    expect((await stats(await connectV2Auto(peer.url))).pid).toBe(peer.pid);
    await expectGoneAfterStop(peer);
  });

  it('legacy: reject refuses a v1 client but still serves the modern era', async () => {
    const peer = await startV2Http({ legacy: 'reject' });
    const res = await post(peer.url, LEGACY_INIT);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: -32022 } });
    await expect(connectV1(peer.url)).rejects.toThrow();
    const modern = await connectV2Auto(peer.url);
    expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
  });

  it('responseMode: sse streams every modern reply; the default answers with JSON', async () => {
    const headers = modernHeaders('server/discover');
    const [sse, auto] = await Promise.all([startV2Http({ responseMode: 'sse' }), startV2Http()]);
    const streamed = await post(sse.url, modernDiscover, headers);
    expect(streamed.contentType).toContain('text/event-stream');
    expect(streamed.text).toContain('supportedVersions');
    const plain = await post(auto.url, modernDiscover, headers);
    expect(plain.contentType).toContain('application/json');
    expect(JSON.parse(plain.text)).toMatchObject({ result: { supportedVersions: [MODERN] } });
  });
});

describe('startLegacyStateful', () => {
  it('serves v1 in a session, answers unknown and pre-restart session ids with 404, re-initializes', async () => {
    const peer = await startLegacyStateful();
    const bogus = await post(peer.url, listTools, bogusSession);
    expect(bogus.status).toBe(404);
    expect(JSON.parse(bogus.text)).toMatchObject({ error: { code: -32001 } });

    const { transport } = await connectV1(peer.url);
    expect(transport.sessionId).toBeTypeOf('string');
    const oldSession = transport.sessionId ?? '';
    await killAndRestart(peer);
    const stale = await post(peer.url, listTools, { ...bogusSession, 'mcp-session-id': oldSession });
    expect(stale.status).toBe(404);

    const fresh = await connectV1(peer.url);
    expect(fresh.transport.sessionId).not.toBe(oldSession);
    expect(await echo(fresh.client)).toBe('Echo: hello');
    // A new process: one initialize, one session, counted from zero.
    expect(await stats(fresh.client)).toMatchObject({
      pid: peer.pid,
      initializeCount: 1,
      initializedCount: 1,
      sessionsCreated: 1,
      openSessions: 1,
    });
    await expectGoneAfterStop(peer);
  });

  it('eventStore: SSE replies carry event ids and a dropped stream is resumed', async () => {
    const peer = await startLegacyStateful({ eventStore: true, retryMs: 20 });
    const init = await post(peer.url, LEGACY_INIT);
    expect(init.contentType).toContain('text/event-stream');
    expect(init.text).toMatch(/^id: \S+\nretry: 20\ndata: \n/m);
    expect(init.text).toMatch(/^id: \S+\ndata: \{.*"protocolVersion"/m);

    const { client } = await connectV1(peer.url);
    const dropped = await client.callTool({ name: 'drop', arguments: { ms: 50 } });
    expect(firstText(dropped)).toBe('dropped');
    expect((await stats(client)).methods).toMatchObject({ 'tools/call': 2 });
  });

  it('without eventStore, drop ends the response stream with no reply', async () => {
    const peer = await startLegacyStateful();
    const init = await post(peer.url, LEGACY_INIT);
    const session = { 'mcp-session-id': init.sessionId ?? '', 'mcp-protocol-version': '2025-11-25' };
    expect(init.text).not.toMatch(/^id:/m);
    await post(peer.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    const call = {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'drop', arguments: { ms: 0 } },
    };
    const res = await post(peer.url, call, session);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('"result"');
  });

  it('jsonResponse: answers with one JSON body', async () => {
    const peer = await startLegacyStateful({ jsonResponse: true });
    const init = await post(peer.url, LEGACY_INIT);
    expect(init.contentType).toContain('application/json');
    expect(init.sessionId).toBeTypeOf('string');
    expect(JSON.parse(init.text)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
  });
});

describe('startLegacySse', () => {
  it('serves a v1 SSE client, answers unknown sessions with 404 and restarts on the same port', async () => {
    const peer = await startLegacySse();
    expect(peer.url).toBe(`http://127.0.0.1:${peer.port}/sse`);
    const client = await connectSse(peer.url);
    expect(await echo(client)).toBe('Echo: hello');
    expect(await stats(client)).toMatchObject({ sessionsCreated: 1, initializeCount: 1 });

    expect((await post(peer.url, LEGACY_INIT)).status).toBe(404);
    const stale = await post(new URL('/message?sessionId=nope', peer.url).href, listTools);
    expect(stale.status).toBe(404);

    await killAndRestart(peer);
    expect(await echo(await connectSse(peer.url))).toBe('Echo: hello');
    await expectGoneAfterStop(peer);
  });
});

describe('startSupergateway', () => {
  it('stateless: serves v1 without sessions, a new stdio child per POST, and restarts', async () => {
    const peer = await startSupergateway({ stateful: false });
    expect(peer.url).toBe(`http://127.0.0.1:${peer.port}/mcp`);
    const { client, transport } = await connectV1(peer.url);
    expect(transport.sessionId).toBeUndefined();
    expect(await echo(client)).toBe('Echo: hello');
    const [a, b] = [await stats(client), await stats(client)];
    expect(a.pid).not.toBe(b.pid);

    await killAndRestart(peer);
    expect(await echo((await connectV1(peer.url)).client)).toBe('Echo: hello');
  });

  it('relays the era of its stdio server: legacy for the stdio fixture, modern for the dual-era one', async () => {
    const [legacy, dual] = await Promise.all([
      startSupergateway({ stateful: false }),
      startSupergateway({ stateful: false, stdio: 'dual-era' }),
    ]);
    const discover = await post(legacy.url, modernDiscover, modernHeaders('server/discover'));
    expect(discover.status).toBe(404);
    expect(JSON.parse(discover.text)).toMatchObject({ error: { code: -32601 } });
    const fellBack = await connectV2Auto(legacy.url);
    expect(fellBack.getProtocolEra()).toBe('legacy');
    expect(await echo(fellBack)).toBe('Echo: hello');

    const modern = await connectV2Auto(dual.url);
    expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(await echo(modern, 'modern')).toBe('Echo: modern');
  });

  it('stateful: one stdio child per session, 404 for an unknown session, no child left after a kill', async () => {
    const peer = await startSupergateway({ stateful: true });
    const { client, transport } = await connectV1(peer.url);
    expect(transport.sessionId).toBeTypeOf('string');
    const first = await stats(client);
    expect(first).toMatchObject({ initializeCount: 1, initializedCount: 1 });
    expect((await stats(client)).pid).toBe(first.pid);

    const bogus = await post(peer.url, listTools, bogusSession);
    expect(bogus.status).toBe(404);

    // The stdio child runs in a process group of its own: kill() finds it through /proc.
    await peer.kill();
    expect(isAlive(first.pid)).toBe(false);
    await peer.restart();
    const again = await connectV1(peer.url);
    const second = await stats(again.client);
    expect(second.pid).not.toBe(first.pid);
    await expectGoneAfterStop(peer, [second.pid]);
  });
});

/** One WebSocket frame as received. */
interface Frame {
  binary: boolean;
  data: Buffer;
}

/** An upgrade the server answered with an HTTP status other than 101. */
class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status} ${body}`);
  }
}

function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** A raw `ws` client that queues every frame it receives, so none is missed between awaits. */
class RawWs {
  readonly #queue: Frame[] = [];
  readonly #waiters: { resolve: (frame: Frame) => void; reject: (err: Error) => void }[] = [];
  #closedWith: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, binary) => {
      const frame = { binary, data: frameBytes(data) };
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#queue.push(frame);
      else waiter.resolve(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#closedWith = { code, reason: reason.toString('utf8') };
        for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`closed with ${code}`));
        resolve(this.#closedWith);
      });
    });
  }

  /** How many received frames nobody has taken yet. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The next frame (rejects if the connection closes first). */
  next(): Promise<Frame> {
    const frame = this.#queue.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.#closedWith !== undefined) return Promise.reject(new Error('closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The next frame as a JSON text message. */
  async nextJson(): Promise<Record<string, unknown>> {
    const frame = await this.next();
    expect(frame.binary).toBe(false);
    return JSON.parse(frame.data.toString('utf8'));
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Sends a request and returns its response, skipping notifications before it. */
  async request(id: number | string, method: string, params?: unknown): Promise<Record<string, unknown>> {
    this.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    for (;;) {
      const message = await this.nextJson();
      if (!('method' in message)) return message;
    }
  }

  /** initialize + notifications/initialized; returns the initialize result. */
  async initialize(): Promise<Record<string, unknown>> {
    const reply = await this.request(1, 'initialize', LEGACY_INIT.params);
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return reply;
  }

  async callTool(
    id: number,
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    return this.request(id, 'tools/call', { name, arguments: args });
  }
}

/** Opens a raw WebSocket (offering `mcp` unless told otherwise); rejects with UpgradeRefused on a non-101. */
async function openWs(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<RawWs> {
  const ws = new WebSocket(url, options.protocols ?? ['mcp'], {
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  closers.push(async () => ws.terminate());
  const client = new RawWs(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.on('error', reject);
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        req.destroy();
      });
    });
  });
  return client;
}

/** The status and body of a refused upgrade. */
async function refusal(opening: Promise<RawWs>): Promise<{ status: number; body: string }> {
  const err = await opening.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof UpgradeRefused)) throw new Error(`expected a refused upgrade, got ${String(err)}`);
  return { status: err.status, body: err.body };
}

/** The text of the first content block of a tools/call response. */
function replyText(reply: Record<string, unknown>): string {
  return firstText(reply.result);
}

async function wsStats(client: RawWs, id: number): Promise<Record<string, number>> {
  return JSON.parse(replyText(await client.callTool(id, 'stats')));
}

describe('startWsFixture', () => {
  it('serves initialize, tools/list and tools/call over subprotocol mcp, counts pings, and restarts', async () => {
    const peer = await startWsFixture();
    expect(peer.url).toBe(`ws://127.0.0.1:${peer.port}/ws`);
    const client = await openWs(peer.url);
    expect(client.ws.protocol).toBe('mcp');
    expect(await client.initialize()).toMatchObject({
      id: 1,
      result: { serverInfo: { name: 'ws-fixture' } },
    });
    const tools = (await client.request(2, 'tools/list')) as { result: { tools: { name: string }[] } };
    expect(tools.result.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'sleep', 'big', 'stats', 'crash', 'misbehave']),
    );
    expect(replyText(await client.callTool(3, 'echo', { message: 'hello' }))).toBe('Echo: hello');

    // sleep {notify}: a log notification arrives before the reply.
    client.send({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'sleep', arguments: { ms: 0, notify: true } },
    });
    expect(await client.nextJson()).toMatchObject({
      method: 'notifications/message',
      params: { level: 'info' },
    });
    expect(await client.nextJson()).toMatchObject({ id: 4, result: { content: [{ text: 'slept' }] } });

    client.ws.ping();
    await once(client.ws, 'pong');
    expect(await wsStats(client, 5)).toEqual({
      pid: peer.pid,
      connections: 1,
      connectionsTotal: 1,
      initializeCount: 1,
      pingsReceived: 1,
    });

    await killAndRestart(peer);
    expect((await client.closed).code).toBe(1006);
    const fresh = await openWs(peer.url);
    await fresh.initialize();
    expect(await wsStats(fresh, 2)).toMatchObject({ pid: peer.pid, connectionsTotal: 1, pingsReceived: 0 });
    await expectGoneAfterStop(peer);
  });

  it('refuses another path (404) and an upgrade without mcp (400); a bad text frame gets -32700, a binary one 1003', async () => {
    const peer = await startWsFixture();
    expect(await refusal(openWs(`ws://127.0.0.1:${peer.port}/mcp`))).toMatchObject({ status: 404 });
    expect(await refusal(openWs(peer.url, { protocols: [] }))).toMatchObject({ status: 400 });
    expect(await refusal(openWs(peer.url, { protocols: ['other'] }))).toMatchObject({ status: 400 });
    const plain = await request(`http://127.0.0.1:${peer.port}/ws`);
    expect(plain.statusCode).toBe(426);
    await plain.body.dump();

    const client = await openWs(peer.url, { protocols: ['other', 'mcp'] });
    expect(client.ws.protocol).toBe('mcp');
    await client.initialize();
    client.ws.send('not json {');
    expect(await client.nextJson()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
    client.send({ jsonrpc: '2.0', id: 9, bogus: true });
    expect(await client.nextJson()).toMatchObject({ id: 9, error: { code: -32600 } });
    expect(replyText(await client.callTool(2, 'echo', { message: 'still open' }))).toBe('Echo: still open');

    client.ws.send(Buffer.from(JSON.stringify(listTools)), { binary: true });
    expect((await client.closed).code).toBe(1003);
  });

  it('auth: an upgrade without the bearer token gets 401 unauthorized', async () => {
    const peer = await startWsFixture({ auth: 's3cret' });
    expect(await refusal(openWs(peer.url))).toEqual({ status: 401, body: 'unauthorized' });
    const wrong = { authorization: 'Bearer nope' };
    expect(await refusal(openWs(peer.url, { headers: wrong }))).toMatchObject({ status: 401 });
    const client = await openWs(peer.url, { headers: { authorization: 'Bearer s3cret' } });
    expect(await client.initialize()).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
  });

  it('protocol none / other: a client offering mcp refuses the upgrade', async () => {
    const [none, other] = await Promise.all([
      startWsFixture({ protocol: 'none' }),
      startWsFixture({ protocol: 'other' }),
    ]);
    await expect(openWs(none.url)).rejects.toThrow('Server sent no subprotocol');
    await expect(openWs(other.url)).rejects.toThrow('Server sent an invalid subprotocol');
    await expect(openWs(other.url, { protocols: [] })).rejects.toThrow(
      'Server sent a subprotocol but none was requested',
    );
    // Without an offer, `none` is an ordinary (protocol-less) WebSocket server.
    const lax = await openWs(none.url, { protocols: [] });
    expect(lax.ws.protocol).toBe('');
    expect(await lax.initialize()).toMatchObject({ id: 1, result: {} });
  });

  it('misbehave: binary, garbage and oversize frames, then silence', async () => {
    const peer = await startWsFixture();
    const client = await openWs(peer.url);
    await client.initialize();

    client.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'misbehave', arguments: { kind: 'binary' } },
    });
    const binary = await client.next();
    expect(binary).toEqual({ binary: true, data: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    expect(replyText(await client.nextJson())).toBe('binary sent');

    client.send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'misbehave', arguments: { kind: 'garbage' } },
    });
    const garbage = await client.next();
    expect(garbage.binary).toBe(false);
    expect(garbage.data.toString('utf8')).toBe('not json {');
    expect(await client.nextJson()).toMatchObject({ id: 3, result: { content: [{ text: 'garbage sent' }] } });

    client.send({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'misbehave', arguments: { kind: 'oversize' } },
    });
    const oversize = await client.next();
    expect(oversize.binary).toBe(false);
    expect(oversize.data.length).toBe(2 * 1024 * 1024);
    expect(JSON.parse(oversize.data.toString('utf8'))).toMatchObject({ jsonrpc: '2.0', id: 4, result: {} });
    // Its own frame was the reply: the next frame answers the next request.
    expect(replyText(await client.callTool(5, 'misbehave', { kind: 'oversize', bytes: 100 }))).toMatch(
      /^x+$/,
    );
    expect(replyText(await client.callTool(6, 'echo', { message: 'after' }))).toBe('Echo: after');

    // Silence: no reply, no pong; the ping still reaches the server (seen through a second connection).
    const observer = await openWs(peer.url);
    await observer.initialize();
    const before = (await wsStats(observer, 2)).pingsReceived ?? 0;
    client.send({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'misbehave', arguments: { kind: 'silence' } },
    });
    client.send({
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'x' } },
    });
    let pongs = 0;
    client.ws.on('pong', () => {
      pongs += 1;
    });
    client.ws.ping();
    let id = 3;
    for (;;) {
      const counters = await wsStats(observer, id++);
      if ((counters.pingsReceived ?? 0) > before) break;
    }
    expect(pongs).toBe(0);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    // Nothing arrived on the silenced connection (neither the silence reply nor the echo).
    expect(client.queued).toBe(0);
  });
});

describe('startSupergateway (ws)', () => {
  it('serves the stdio fixture on /message: echoes the offered subprotocol, numeric ids only, and restarts', async () => {
    const peer = await startSupergateway({ outputTransport: 'ws' });
    expect(peer.url).toBe(`ws://127.0.0.1:${peer.port}/message`);
    expect(await refusal(openWs(`ws://127.0.0.1:${peer.port}/ws`))).toMatchObject({ status: 400 });

    const client = await openWs(peer.url);
    expect(client.ws.protocol).toBe('mcp');
    expect(await client.initialize()).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
    const tools = (await client.request(2, 'tools/list')) as { result: { tools: { name: string }[] } };
    expect(tools.result.tools.map((t) => t.name)).toContain('echo');
    expect(replyText(await client.callTool(3, 'echo', { message: 'hello' }))).toBe('Echo: hello');

    // Ids travel as `<uuid>:<id>` and come back through parseInt.
    expect(await client.request('abc', 'tools/list')).toMatchObject({ id: null, result: {} });
    expect(await client.request('12', 'tools/list')).toMatchObject({ id: 12, result: {} });
    // A binary frame is parsed like a text one; the reply is a text frame.
    client.ws.send(Buffer.from(JSON.stringify({ ...listTools, id: 13 })), { binary: true });
    expect(await client.nextJson()).toMatchObject({ id: 13, result: {} });
    // Whatever is offered first is echoed; no offer, no subprotocol.
    expect((await openWs(peer.url, { protocols: ['other', 'mcp'] })).ws.protocol).toBe('other');
    expect((await openWs(peer.url, { protocols: [] })).ws.protocol).toBe('');

    await killAndRestart(peer);
    const fresh = await openWs(peer.url);
    await fresh.initialize();
    expect(replyText(await fresh.callTool(2, 'echo', { message: 'again' }))).toBe('Echo: again');
  });

  it('serves server-everything over stdio', async () => {
    const peer = await startSupergateway({ outputTransport: 'ws', stdio: 'everything' });
    const client = await openWs(peer.url);
    expect(await client.initialize()).toMatchObject({ id: 1, result: { capabilities: { tools: {} } } });
    const tools = (await client.request(2, 'tools/list')) as { result: { tools: { name: string }[] } };
    expect(tools.result.tools.map((t) => t.name)).toContain('echo');
    expect(replyText(await client.callTool(3, 'echo', { message: 'hello' }))).toBe('Echo: hello');
  });
});
