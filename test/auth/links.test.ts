/**
 * The links ask their auth for the `Authorization` header and hand it 401s: legacy HTTP+SSE
 * (the stream GET and the message POSTs) and WebSocket (the upgrade), against real loopback
 * servers, with SDK v2's minimal `AuthProvider { token, onUnauthorized }`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';

const keep = closeAfterEach();
const GOOD = 'Bearer good-token';

function answer(message: { id?: unknown; method?: string }): unknown {
  if (message.method === 'initialize') {
    return {
      jsonrpc: '2.0',
      id: message.id,
      result: {
        protocolVersion: '2024-11-05',
        capabilities: {},
        serverInfo: { name: 'auth-links', version: '0' },
      },
    };
  }
  return { jsonrpc: '2.0', id: message.id, result: {} };
}

/** A provider whose token is refused until `onUnauthorized` has run once. */
function provider() {
  const calls = { token: 0, onUnauthorized: 0 };
  let token = 'stale-token';
  return {
    calls,
    token: async () => {
      calls.token += 1;
      return token;
    },
    onUnauthorized: async () => {
      calls.onUnauthorized += 1;
      token = 'good-token';
    },
  };
}

/** Sends one request and resolves its answer. */
function request(transport: LifelineTransport, id: number, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const previous = transport.onmessage;
    transport.onmessage = (message) => {
      if ((message as { id?: unknown }).id === id) resolve(message);
      else previous?.(message);
    };
    transport.send({ jsonrpc: '2.0', id, method, params: {} }).catch(reject);
  });
}

/** A legacy HTTP+SSE server that wants `Authorization: Bearer good-token` on every request. */
async function startSseServer(): Promise<{
  url: string;
  seen: (string | undefined)[];
  close(): Promise<void>;
}> {
  const seen: (string | undefined)[] = [];
  let stream: ServerResponse | undefined;
  const sockets = new Set<Socket>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.headers.authorization ?? '-'}`);
    if (req.headers.authorization !== GOOD) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end('{}');
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /messages\n\n');
      stream = res;
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    res.writeHead(202).end();
    const message = JSON.parse(body) as { id?: unknown; method?: string };
    if (message.id !== undefined)
      stream?.write(`event: message\ndata: ${JSON.stringify(answer(message))}\n\n`);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('HTTP+SSE with an authProvider', () => {
  it('sends the token on the stream GET and the POSTs; a refused GET is renewed and retried once', async () => {
    const server = keep(await startSseServer());
    const auth = provider();
    const transport = keep(createTransport({ type: 'sse', url: server.url, authProvider: auth }));
    await transport.start();
    await expect(request(transport, 1, 'initialize')).resolves.toMatchObject({
      result: { protocolVersion: '2024-11-05' },
    });
    expect(auth.calls.onUnauthorized).toBe(1);
    expect(server.seen).toEqual(['GET Bearer stale-token', `GET ${GOOD}`, `POST ${GOOD}`]);
  });

  it('fails start() with UnauthorizedError when there is no onUnauthorized (the SDK SSE transport does too)', async () => {
    const server = keep(await startSseServer());
    const transport = keep(
      createTransport({ type: 'sse', url: server.url, authProvider: { token: async () => 'x' } }),
    );
    const error = await transport.start().catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnauthorizedError');
    expect(transport.status.authorization).toBe('required');
  });
});

describe('WebSocket with an authProvider', () => {
  it('carries the token on the upgrade; a refused upgrade is renewed and the next socket opens', async () => {
    const seen: (string | undefined)[] = [];
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: () => 'mcp',
      verifyClient: (info, done) => {
        seen.push(info.req.headers.authorization);
        if (info.req.headers.authorization === GOOD) done(true);
        else done(false, 401, 'Unauthorized', { 'www-authenticate': 'Bearer error="invalid_token"' });
      },
    });
    keep({ close: () => new Promise<void>((resolve) => wss.close(() => resolve())) });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    wss.on('connection', (socket) => {
      socket.on('message', (data) => socket.send(JSON.stringify(answer(JSON.parse(String(data))))));
    });
    const auth = provider();
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/mcp`;
    const transport = keep(createTransport({ url, authProvider: auth }));
    await transport.start();
    await expect(request(transport, 1, 'initialize')).resolves.toMatchObject({ id: 1 });
    expect(seen).toEqual(['Bearer stale-token', GOOD]);
    expect(auth.calls.onUnauthorized).toBe(1);
  });
});
