import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { waitFor } from './processes.js';

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function portOf(server: Server | HttpServer): number {
  return (server.address() as AddressInfo).port;
}

async function listen<T extends Server | HttpServer>(server: T): Promise<T> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** A raw TCP echo server; `tag` is prefixed to every echoed chunk so tests can tell upstreams apart. */
async function echoServer(tag = ''): Promise<Server> {
  const peers = new Set<Socket>();
  const server = createServer((socket) => {
    peers.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => peers.delete(socket));
    socket.on('data', (chunk) => socket.write(tag + chunk.toString('latin1')));
  });
  cleanups.push(() => {
    for (const peer of peers) peer.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return listen(server);
}

interface HttpUpstream {
  server: HttpServer;
  /** Requests the server has seen. */
  hits: number;
}

/** /hello answers text, /echo returns the request body, /sse streams events until the socket closes. */
async function httpServer(name = 'upstream'): Promise<HttpUpstream> {
  const upstream: HttpUpstream = { server: createHttpServer(), hits: 0 };
  upstream.server.on('request', (req, res) => {
    upstream.hits += 1;
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': opened\n\n');
      let n = 0;
      const tick = setInterval(() => {
        n += 1;
        res.write(n === 2 ? 'event: message\ndata: {"n":2}\n\n' : `data: {"n":${n}}\n\n`);
      }, 20);
      res.on('close', () => clearInterval(tick));
      return;
    }
    if (req.url === '/echo') {
      req.pipe(res);
      return;
    }
    res.end(`hello from ${name}`);
  });
  cleanups.push(() => {
    upstream.server.closeAllConnections();
    return new Promise((resolve) => upstream.server.close(resolve));
  });
  await listen(upstream.server);
  return upstream;
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ port });
  cleanups.push(() => proxy.close());
  return proxy;
}

function agent(): Agent {
  const dispatcher = new Agent();
  cleanups.push(() => dispatcher.destroy());
  return dispatcher;
}

interface Peer {
  socket: Socket;
  text: () => string;
  ended: Promise<void>;
  closed: Promise<void>;
  errors: NodeJS.ErrnoException[];
}

/** A raw client connected through the proxy, recording what it receives. */
async function rawClient(proxy: FaultProxy): Promise<Peer> {
  const socket = connect({ port: proxy.port, host: proxy.host });
  cleanups.push(() => socket.destroy());
  let received = '';
  const errors: NodeJS.ErrnoException[] = [];
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', (error) => errors.push(error));
  const ended = once(socket, 'end').then(() => undefined);
  ended.catch(() => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, text: () => received, ended, closed, errors };
}

async function roundTrip(peer: Peer, data: string, expected: string): Promise<void> {
  peer.socket.write(data);
  await waitFor(() => peer.text().endsWith(expected), { message: `no echo of ${data}` });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('startFaultProxy', () => {
  it('passes HTTP requests and responses through unchanged', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));
    const dispatcher = agent();

    const hello = await request(proxy.url('/hello'), { dispatcher });
    expect(hello.statusCode).toBe(200);
    expect(await hello.body.text()).toBe('hello from upstream');

    const payload = 'x'.repeat(256 * 1024);
    const echo = await request(proxy.url('/echo'), { dispatcher, method: 'POST', body: payload });
    expect(await echo.body.text()).toBe(payload);

    expect(upstream.hits).toBe(2);
    expect(proxy.accepted).toBeGreaterThanOrEqual(1);
    expect(proxy.url('mcp', 'ws')).toBe(`ws://127.0.0.1:${proxy.port}/mcp`);
  });

  it('cuts a streaming response right after the chunk that matches cutWhen', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));
    const fired = proxy.cutWhen(
      (_chunk, direction, seen) => direction === 'down' && seen.includes('event: message'),
    );

    const response = await request(proxy.url('/sse'), { dispatcher: agent() });
    expect(response.statusCode).toBe(200);
    let received = '';
    const reading = (async () => {
      for await (const chunk of response.body) received += (chunk as Buffer).toString('latin1');
    })();

    await fired;
    await expect(reading).rejects.toThrow();
    expect(received).toContain('event: message\ndata: {"n":2}');
    expect(received).not.toContain('{"n":3}');
  });

  it('cutWhen cuts only the connection whose chunk matched', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const victim = await rawClient(proxy);
    const bystander = await rawClient(proxy);
    const fired = proxy.cutWhen((_chunk, direction, seen) => direction === 'up' && seen.includes('boom'));

    victim.socket.write('boom');
    await fired;
    await victim.ended;
    expect(victim.errors).toEqual([]);
    await roundTrip(bystander, 'still here', 'still here');
    expect(proxy.connections).toBe(1);
  });

  it('cutWhen in reset mode resets the matching connection', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));
    const fired = proxy.cutWhen(
      (_chunk, direction, seen) => direction === 'down' && seen.includes('data:'),
      'reset',
    );
    const response = await request(proxy.url('/sse'), { dispatcher: agent() });
    const reading = (async () => {
      for await (const _chunk of response.body) {
        // Drain until the reset.
      }
    })();
    await fired;
    await expect(reading).rejects.toThrow();
  });

  it('cutWhen rejects when its predicate throws and leaves the connection alone', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const peer = await rawClient(proxy);
    // The handler is attached at once: the rejection comes during the round trip.
    const failed = expect(
      proxy.cutWhen(() => {
        throw new Error('bad predicate');
      }),
    ).rejects.toThrow('bad predicate');
    await roundTrip(peer, 'ping', 'ping');
    await failed;
    await roundTrip(peer, 'pong', 'pong');
  });

  it('cut ends live connections with FIN', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const peer = await rawClient(proxy);
    await roundTrip(peer, 'ping', 'ping');

    proxy.cut();
    await peer.ended;
    await peer.closed;
    expect(peer.errors).toEqual([]);
    await waitFor(() => proxy.connections === 0);
  });

  it('reset gives the client ECONNRESET', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const peer = await rawClient(proxy);
    await roundTrip(peer, 'ping', 'ping');

    proxy.reset();
    await peer.closed;
    expect(peer.errors.map((error) => error.code)).toEqual(['ECONNRESET']);
  });

  it('stall holds data in both directions and resume delivers it in order', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const peer = await rawClient(proxy);
    await roundTrip(peer, 'one,', 'one,');

    proxy.stall();
    for (const word of ['two,', 'three,', 'four,']) {
      peer.socket.write(word);
      await sleep(10);
    }
    await sleep(150);
    expect(peer.text()).toBe('one,');
    expect(proxy.connections).toBe(1);

    proxy.resume();
    await waitFor(() => peer.text() === 'one,two,three,four,');
  });

  it('stall holds a connection opened while stalled until resume', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    proxy.stall();
    const peer = await rawClient(proxy);
    peer.socket.write('early');
    await sleep(150);
    expect(peer.text()).toBe('');

    proxy.resume();
    await waitFor(() => peer.text() === 'early');
  });

  it('delay adds latency to each direction and keeps order', async () => {
    const proxy = await proxyTo(portOf(await echoServer()));
    const peer = await rawClient(proxy);
    await roundTrip(peer, 'warm,', 'warm,');

    proxy.delay(150);
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) peer.socket.write(`${i},`);
    const expected = `warm,${Array.from({ length: 20 }, (_, i) => `${i},`).join('')}`;
    await waitFor(() => peer.text() === expected);
    // Up and down are each delayed: at least 2 x 150 ms, with a margin for timer granularity.
    expect(performance.now() - started).toBeGreaterThanOrEqual(0.8 * 300);

    proxy.delay(0);
    await roundTrip(peer, 'fast', 'fast');
  });

  it('refuse resets new connections without reaching the upstream, and can be turned off', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));

    proxy.refuse(true);
    await expect(request(proxy.url('/hello'), { dispatcher: agent() })).rejects.toThrow();
    expect(upstream.hits).toBe(0);
    expect(proxy.refused).toBeGreaterThanOrEqual(1);

    proxy.refuse(false);
    const response = await request(proxy.url('/hello'), { dispatcher: agent() });
    expect(await response.body.text()).toBe('hello from upstream');
  });

  it('closes the client when the upstream refuses the connection', async () => {
    const dead = await listen(createServer());
    const deadPort = portOf(dead);
    await new Promise((resolve) => dead.close(resolve));
    const proxy = await proxyTo(deadPort);

    const peer = await rawClient(proxy);
    await peer.closed;
    expect(peer.text()).toBe('');
    await waitFor(() => proxy.connections === 0);
  });

  it('retarget sends new connections to another upstream and leaves live ones alone', async () => {
    const first = await echoServer('A:');
    const second = await echoServer('B:');
    const proxy = await proxyTo(portOf(first));
    const before = await rawClient(proxy);
    await roundTrip(before, 'x', 'A:x');

    proxy.retarget(portOf(second));
    const after = await rawClient(proxy);
    await roundTrip(after, 'y', 'B:y');
    await roundTrip(before, 'z', 'A:z');
    expect(proxy.accepted).toBe(2);
  });

  it('close destroys every connection and stops listening', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));
    const peer = await rawClient(proxy);
    peer.socket.write('GET /sse HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => peer.text().includes('data:'));

    await proxy.close();
    expect(proxy.connections).toBe(0);
    await peer.closed;

    const probe = connect({ port: proxy.port, host: proxy.host });
    const [error] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    await proxy.close();
  });

  it('never lets socket errors escape when clients vanish mid-stream', async () => {
    const upstream = await httpServer();
    const proxy = await proxyTo(portOf(upstream.server));
    for (let i = 0; i < 3; i += 1) {
      const peer = await rawClient(proxy);
      peer.socket.write('GET /sse HTTP/1.1\r\nhost: x\r\n\r\n');
      await waitFor(() => peer.text().includes('data:'));
      peer.socket.resetAndDestroy();
      await peer.closed;
    }
    await waitFor(() => proxy.connections === 0);
    const response = await request(proxy.url('/hello'), { dispatcher: agent() });
    expect(await response.body.text()).toBe('hello from upstream');
  });
});
