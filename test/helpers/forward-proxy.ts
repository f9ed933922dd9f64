/**
 * A forward HTTP proxy for loopback tests, on node:http: CONNECT tunnels (what undici's
 * ProxyAgent and lifeline's WebSocket link use, for `http:` targets too) and absolute-form
 * requests (`GET http://host/path`, what curl and older clients send for `http:`). It counts
 * what it relays per target, so a test can prove traffic went through it, and can demand
 * credentials (407 with `Proxy-Authenticate`) or resolve names only it knows (an internal host
 * reachable through the proxy alone).
 */

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Options of {@link startForwardProxy}. */
export interface ForwardProxyOptions {
  /** Credentials the proxy demands (`Proxy-Authorization: Basic`); 407 without them. */
  auth?: { username: string; password: string };
  /** Names only the proxy resolves: host name → address. */
  hosts?: Readonly<Record<string, string>>;
}

/** A running forward proxy on 127.0.0.1; see {@link startForwardProxy}. */
export interface ForwardProxy {
  /** `http://127.0.0.1:PORT` (no credentials). */
  readonly url: string;
  readonly port: number;
  /** CONNECT tunnels opened, per target `host:port` as the client named it. */
  readonly tunnels: ReadonlyMap<string, number>;
  /** Absolute-form requests relayed, per target `host:port`. */
  readonly requests: ReadonlyMap<string, number>;
  /** Requests and tunnels refused with 407. */
  readonly refused: number;
  /** Bytes relayed client → server through tunnels and requests. */
  readonly bytesUp: number;
  /** Tunnels plus requests relayed to `target` (`host:port`). */
  relayed(target: string): number;
  /** Stops listening and destroys every open connection and tunnel. */
  close(): Promise<void>;
}

/** Starts a forward proxy on an ephemeral loopback port. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const tunnels = new Map<string, number>();
  const requests = new Map<string, number>();
  const open = new Set<Duplex>();
  let refused = 0;
  let bytesUp = 0;
  const expected =
    options.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  const track = (stream: Duplex): void => {
    open.add(stream);
    stream.once('close', () => open.delete(stream));
    stream.on('error', () => stream.destroy());
  };
  const count = (table: Map<string, number>, target: string): void => {
    table.set(target, (table.get(target) ?? 0) + 1);
  };
  const authorized = (request: IncomingMessage): boolean => {
    if (expected === undefined || request.headers['proxy-authorization'] === expected) return true;
    refused += 1;
    return false;
  };
  /** Where `host:port` really is: a name only the proxy knows, or itself. */
  const resolve = (host: string): string => options.hosts?.[host.toLowerCase()] ?? host;

  const server: Server = createServer((request, response) => {
    track(request.socket);
    let target: URL;
    try {
      target = new URL(request.url ?? '');
    } catch {
      response.writeHead(400).end('absolute-form request expected');
      return;
    }
    if (!authorized(request)) {
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const port = Number(target.port || 80);
    count(requests, `${target.hostname}:${port}`);
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        host: resolve(target.hostname),
        port,
        method: request.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    request.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
    });
    request.pipe(upstream);
  });

  server.on('connect', (request: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    if (!authorized(request)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    const match = /^(.+):(\d+)$/.exec(request.url ?? '');
    if (match === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const [, rawHost = '', port = ''] = match;
    count(tunnels, `${rawHost}:${port}`);
    const host = resolve(rawHost.replace(/^\[|\]$/g, ''));
    const upstream: Socket = netConnect({ host, port: Number(port) });
    track(upstream);
    let established = false;
    upstream.once('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) {
        bytesUp += head.length;
        upstream.write(head);
      }
      client.on('data', (chunk: Buffer) => {
        bytesUp += chunk.length;
      });
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('error', () => {
      if (!established) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    upstream.once('close', () => {
      if (established) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  });

  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    requests,
    get refused() {
      return refused;
    },
    get bytesUp() {
      return bytesUp;
    },
    relayed: (target) => (tunnels.get(target) ?? 0) + (requests.get(target) ?? 0),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const stream of open) stream.destroy();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
