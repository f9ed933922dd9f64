// The WebSocket link against peers that misbehave: binary frames, oversize frames, text frames
// that are not messages, servers that refuse the `mcp` subprotocol or the credentials, and peers
// that are not there. Each ends in a typed error, a diagnostic or a JSON-RPC error response for
// the one request concerned, never a crash, a hang or a lost neighbour; the credential appears
// nowhere but on the wire. Peers are real: the ws fixture as a child process, or a scripted `ws`
// server on loopback in this process. Nothing is mocked.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { type RawData, type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import type { JsonRpcRequest } from '../../src/codec/jsonrpc.js';
import { HttpError } from '../../src/errors.js';
import {
  CONNECTION_LOST_RPC_CODE,
  ConfigError,
  createTransport,
  ErrorCode,
  type LifelineTransport,
  LinkError,
  REQUEST_FAILED_RPC_CODE,
  type TransportConfig,
} from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/processes.js';
import { errorOf, Raw, record, recordingLogger } from '../helpers/raw-client.js';
import { freePort, startWsFixture } from '../peers/index.js';

// --- Harness ---

const TOKEN = 's3cret-token-value';
const clientInfo = { name: 'ws-bad-input', version: '1.0.0' };

const keep = closeAfterEach({ rejections: true });

type Extra = Partial<Omit<TransportConfig, 'url' | 'command'>> & Record<string, unknown>;

/** A transport with a recording logger, fast reconnects and no heartbeat. */
function open(url: string, extra: Extra = {}) {
  const log = recordingLogger();
  const transport = createTransport({
    url,
    logger: log.logger,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    heartbeat: { intervalMs: 0 },
    timeouts: { closeMs: 200 },
    ...extra,
  } as TransportConfig);
  keep(transport);
  const errors: Error[] = [];
  transport.onerror = (error) => errors.push(error);
  return { transport, log, errors };
}

/** A v1 SDK Client connected through a fresh transport. */
async function connected(url: string, extra: Extra = {}) {
  const opened = open(url, extra);
  const client = new Client(clientInfo);
  keep(client);
  await client.connect(opened.transport);
  return { ...opened, client };
}

/** Whether the logger got a warning with this code from this source. */
function warned(log: ReturnType<typeof recordingLogger>, code: string, source: string): boolean {
  return log.calls.some((call) => {
    const fields = call.args[0] as { code?: string; source?: string };
    return call.level === 'warn' && fields.code === code && fields.source === source;
  });
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as { content: { text: string }[] };
  return result.content[0]?.text ?? '';
}

/** Waits until the transport is open on its second link. */
function reconnected(transport: LifelineTransport): Promise<void> {
  return waitFor(() => transport.state === 'open' && transport.stats.links === 2, {
    message: 'never reconnected',
  });
}

/** The token is in none of these (an error with its stack, anything else as JSON). */
function expectNoToken(...values: unknown[]): void {
  for (const value of values) {
    const json = JSON.stringify(value) ?? '';
    const text = value instanceof Error ? `${value.message} ${value.stack} ${json}` : json;
    expect(text).not.toContain(TOKEN);
  }
}

/** The rejection of a promise (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** A scripted WebSocket server on loopback that selects `mcp` and answers requests as told. */
interface Scripted {
  url: string;
  connections: number;
  /** The close code and reason of every connection the server saw close. */
  closes: { code: number; reason: string }[];
  close(): Promise<void>;
}

type Answer = (request: JsonRpcRequest, ws: WebSocket) => void;

/** By default: `{result: {method}}` for every request. */
const standard: Answer = (request, ws) =>
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { method: request.method } }));

async function scripted(answer: Answer, options: ServerOptions = {}): Promise<Scripted> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has('mcp') ? 'mcp' : false),
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const server: Scripted = {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: 0,
    closes: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    server.connections += 1;
    ws.on('close', (code, reason) => server.closes.push({ code, reason: reason.toString('utf8') }));
    ws.on('message', (data: RawData) => {
      const message = JSON.parse(String(data)) as JsonRpcRequest;
      if ('id' in message && 'method' in message) answer(message, ws);
    });
  });
  return keep(server);
}

// --- Frames that are not messages ---

describe('frames the link cannot take', () => {
  it('closes with 1003 on a binary frame, warns with LIFELINE_ERR_WEBSOCKET, reconnects; the Client goes on', async () => {
    const peer = await startWsFixture();
    const { client, transport, log } = await connected(peer.url);
    expect(await call(client, 'echo', { message: 'before' })).toBe('Echo: before');

    // The reply follows the binary frame on the wire: it may arrive before the link closes, or
    // the request fails as lost with the link. Either way, it is settled, not left hanging.
    const outcome = await call(client, 'misbehave', { kind: 'binary' }).catch((error: unknown) => error);
    if (typeof outcome !== 'string') {
      expect(outcome).toBeInstanceOf(McpError);
      expect(outcome).toMatchObject({ code: CONNECTION_LOST_RPC_CODE });
    } else expect(outcome).toBe('binary sent');

    await reconnected(transport);
    expect(warned(log, ErrorCode.WebSocket, 'websocket')).toBe(true);
    expect(log.messages('warn').join('\n')).toMatch(/binary frame \(4 bytes\).*1003/);
    expect(await call(client, 'echo', { message: 'after' })).toBe('Echo: after');
    // The server saw a second connection (and the session was initialized again on it).
    const stats = JSON.parse(await call(client, 'stats')) as Record<string, number>;
    expect(stats).toMatchObject({ connections: 1, connectionsTotal: 2, initializeCount: 2 });
  });

  it('the server sees the close code 1003 and the reason; the request in flight fails as lost', async () => {
    const server = await scripted((request, ws) => {
      if (request.method === 'binary') ws.send(Buffer.from([1, 2, 3]), { binary: true });
      else standard(request, ws);
    });
    const { transport, log } = open(server.url);
    const raw = new Raw(transport);
    await transport.start();

    const lost = errorOf(await raw.request('binary'));
    expect(lost).toMatchObject({
      code: CONNECTION_LOST_RPC_CODE,
      data: { code: ErrorCode.ConnectionLost, cause: ErrorCode.WebSocket },
    });
    await waitFor(() => server.closes.length === 1, { message: 'the server saw no close' });
    expect(server.closes[0]).toEqual({ code: 1003, reason: 'MCP messages are text frames' });
    await reconnected(transport);
    expect(await raw.request('next')).toMatchObject({ result: { method: 'next' } });
    expect(server.connections).toBe(2);
    expect(warned(log, ErrorCode.WebSocket, 'websocket')).toBe(true);
  });

  it('fails the request whose answer is over limits.maxMessageBytes (-32090, cause MESSAGE_TOO_LARGE), reconnects, goes on', async () => {
    const peer = await startWsFixture();
    const { client, transport } = await connected(peer.url, { limits: { maxMessageBytes: 64 * 1024 } });

    const error = await rejection(
      client.callTool({ name: 'misbehave', arguments: { kind: 'oversize', bytes: 200_000 } }),
    );
    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({
      code: CONNECTION_LOST_RPC_CODE,
      data: { code: ErrorCode.ConnectionLost, cause: ErrorCode.MessageTooLarge },
    });
    expect((error as Error).message).toMatch(/limits\.maxMessageBytes \(65536\).*1009/);

    await reconnected(transport);
    expect(await call(client, 'echo', { message: 'after' })).toBe('Echo: after');
    // A large answer under the limit still passes.
    expect((await call(client, 'big', { bytes: 32 * 1024 })).length).toBeGreaterThan(0);
  });

  it('warns with LIFELINE_ERR_PARSE on a text frame that is not JSON; the link stays up and the replies arrive', async () => {
    const peer = await startWsFixture();
    const { client, transport, log, errors } = await connected(peer.url);

    const [garbage, echo] = await Promise.all([
      call(client, 'misbehave', { kind: 'garbage' }),
      call(client, 'echo', { message: 'alongside' }),
    ]);
    expect(garbage).toBe('garbage sent');
    expect(echo).toBe('Echo: alongside');
    expect(warned(log, ErrorCode.Parse, 'websocket')).toBe(true);
    expect(log.messages('warn').join('\n')).toContain('not json {');
    expect(transport.state).toBe('open');
    expect(transport.stats).toMatchObject({ links: 1, failed: 0 });
    expect(errors).toEqual([]);
  });

  it('fails at once a request whose answer is a broken envelope naming it; concurrent requests are answered', async () => {
    const server = await scripted((request, ws) => {
      if (request.method === 'tools/call') ws.send(`{"jsonrpc":"2.0","id":${request.id},"bogus":1}`);
      else setTimeout(() => standard(request, ws), 20);
    });
    const { transport, log } = open(server.url);
    const raw = new Raw(transport);
    await transport.start();

    const started = Date.now();
    const [broken, first, second] = await Promise.all([
      raw.request('tools/call', { name: 'x' }),
      raw.request('first'),
      raw.request('second'),
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errorOf(broken)).toMatchObject({
      code: REQUEST_FAILED_RPC_CODE,
      data: { code: ErrorCode.InvalidEnvelope },
    });
    expect(errorOf(broken).message).toMatch(/answer to request 1 is unreadable/);
    expect(first).toMatchObject({ result: { method: 'first' } });
    expect(second).toMatchObject({ result: { method: 'second' } });
    expect(warned(log, ErrorCode.InvalidEnvelope, 'websocket')).toBe(true);
    expect(transport.state).toBe('open');
    expect(transport.stats.links).toBe(1);
    expect(server.connections).toBe(1);
  });
});

// --- Refused upgrades ---

describe('refused upgrades', () => {
  it.each(['none', 'other'] as const)(
    'fails for good when the server selects %s subprotocol instead of mcp',
    async (protocol) => {
      const peer = await startWsFixture({ protocol });
      const { transport } = open(peer.url);
      const client = new Client(clientInfo);
      keep(client);

      const error = await rejection(client.connect(transport));
      expect(error).toBeInstanceOf(LinkError);
      expect(error).toMatchObject({ code: ErrorCode.WebSocket, retryable: false });
      expect((error as Error).message).toMatch(/subprotocol "mcp"/);
      expect(transport.state).toBe('failed');
      expect(transport.status.error).toMatchObject({ code: ErrorCode.WebSocket, retryable: false });
      expect(transport.stats.links).toBe(0);
    },
  );

  it('fails for good on 401 with an HttpError; with the right header it connects; the token leaks nowhere', async () => {
    const peer = await startWsFixture({ auth: TOKEN });
    const refused = open(peer.url, { headers: { 'X-Api-Key': `not-${TOKEN}` } });
    const error = await rejection(refused.transport.start());
    expect(refused.transport.state).toBe('failed');
    const failure = refused.transport.status.error;
    expect(failure).toBe(error);
    expect(failure).toBeInstanceOf(HttpError);
    expect(failure).toMatchObject({ code: ErrorCode.Http, status: 401, retryable: false });
    expect(failure?.message).toMatch(/credentials/);
    expect(refused.transport.stats.links).toBe(0);

    const bare = open(peer.url);
    await expect(bare.transport.start()).rejects.toMatchObject({ status: 401, retryable: false });
    expect(bare.transport.state).toBe('failed');

    const authorized = await connected(peer.url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await call(authorized.client, 'echo', { message: 'in' })).toBe('Echo: in');
    expect(authorized.transport.stats.links).toBe(1);

    for (const { log, transport, errors } of [refused, bare, authorized])
      expectNoToken(log.calls, transport.actor.getSnapshot().context, transport.status, ...errors);
    expectNoToken(failure);
  });

  it('redacts a credential the server echoes in its 401 body', async () => {
    const server = await scripted(standard, {
      verifyClient: (info, done) => done(false, 401, `no access for ${info.req.headers.authorization}`),
    });
    const { transport, log } = open(server.url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const error = await rejection(transport.start());
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as HttpError).message).toMatch(/no access for \[redacted\]/);
    expectNoToken(error, (error as HttpError).data, log.calls, transport.actor.getSnapshot().context);
  });

  it('fails for good on a 401 whose body never ends: the body waits at most closeMs', async () => {
    const server = createServer();
    const sockets: Duplex[] = [];
    server.on('upgrade', (_request, socket) => {
      sockets.push(socket);
      socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\npartial');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { transport } = open(`ws://127.0.0.1:${port}/`, {
        timeouts: { connectMs: 60_000, closeMs: 100 },
      });
      const error = await rejection(transport.start());
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 401, retryable: false });
      expect(transport.state).toBe('failed');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// --- Configuration ---

describe('configuration', () => {
  const problems = (config: Extra & { url: string }): string => {
    try {
      keep(createTransport(config as TransportConfig));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems.join('\n');
    }
    throw new Error('expected a ConfigError');
  };
  const credential = { headers: { Authorization: 'Bearer x-token' } };

  it('refuses credentials over plain ws to another host unless allowInsecure; wss is fine', () => {
    expect(problems({ url: 'ws://example.com/x', ...credential })).toMatch(
      /^allowInsecure: .* ws to example\.com/,
    );
    for (const fine of [{ url: 'wss://example.com/x' }, { url: 'ws://example.com/x', allowInsecure: true }])
      keep(createTransport({ ...fine, ...credential, type: 'ws' }));
  });

  it('refuses the headers the handshake sets itself, and type ws with an http URL', () => {
    for (const name of ['Sec-WebSocket-Protocol', 'Sec-WebSocket-Key', 'Upgrade', 'Connection', 'Host'])
      expect(problems({ url: 'wss://example.com/x', headers: { [name]: 'v' } })).toMatch(
        new RegExp(`^headers\\.${name}: set by the transport itself`),
      );
    expect(problems({ type: 'ws', url: 'http://127.0.0.1/ws' })).toMatch(
      /^url: expected a ws: or wss: URL, got http:/,
    );
  });

  it('infers ws from a ws: URL without type, and works', async () => {
    const peer = await startWsFixture();
    const { client, transport } = await connected(peer.url);
    expect(transport.hasPerRequestStream).toBe(false);
    expect(await call(client, 'echo', { message: 'inferred' })).toBe('Echo: inferred');
    expect(transport.stats.links).toBe(1);
  });
});

// --- Dead peers ---

describe('a peer that is not there', () => {
  it('keeps reconnecting after a refused connection (a retryable network error)', async () => {
    const port = await freePort();
    const { transport } = open(`ws://127.0.0.1:${port}/ws`);
    const statuses = record(transport);
    const started = transport.start();
    started.catch(() => {});
    await waitFor(() => statuses.filter((status) => status.state === 'reconnecting').length >= 2, {
      message: 'never went to reconnecting twice',
    });
    const reconnecting = statuses.find((status) => status.state === 'reconnecting');
    expect(reconnecting?.error).toBeInstanceOf(LinkError);
    expect(reconnecting?.error).toMatchObject({ code: ErrorCode.Network, retryable: true });
    expect(reconnecting?.error?.message).toMatch(/ECONNREFUSED/);
    expect(statuses.some((status) => status.state === 'failed')).toBe(false);
    await transport.close();
    await expect(started).rejects.toMatchObject({ code: ErrorCode.Closed });
  });

  it('fails with reconnect.maxAttempts 0, the network error as the cause', async () => {
    const port = await freePort();
    const { transport } = open(`ws://127.0.0.1:${port}/ws`, { reconnect: { maxAttempts: 0 } });
    const error = await rejection(transport.start());
    expect(transport.state).toBe('failed');
    expect(transport.status.error).toBe(error);
    expect(error).toMatchObject({ code: ErrorCode.RetriesExhausted, retryable: false });
    expect((error as Error).cause).toBeInstanceOf(LinkError);
    expect((error as Error).cause).toMatchObject({ code: ErrorCode.Network, retryable: true });
  });
});
