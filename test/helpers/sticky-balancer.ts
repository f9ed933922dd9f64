/**
 * A load balancer with cookie stickiness in front of one real MCP server, for loopback tests: the
 * first request (HTTP or WebSocket upgrade) is answered with `Set-Cookie` naming its backend, and
 * every later request must carry that cookie, or it is refused with 503 as a balancer that cannot
 * route it would. It logs, for every request, whether the cookie came back, and can cut every
 * live connection to force a reconnect. The cookie value is random per balancer.
 */

import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request the balancer saw. */
export interface BalancedRequest {
  method: string;
  path: string;
  /** `upgrade` for a WebSocket handshake. */
  kind: 'http' | 'upgrade';
  /** The request carried the sticky cookie. */
  sticky: boolean;
  /** The request was the first one and got the cookie. */
  issued: boolean;
  /** The Cookie header as received (undefined: none). */
  cookie: string | undefined;
}

/** A running balancer on 127.0.0.1; see {@link startStickyBalancer}. */
export interface StickyBalancer {
  readonly port: number;
  /** The cookie it sets, `name=value`. */
  readonly cookie: string;
  /** `scheme://127.0.0.1:PORT` followed by `path`. */
  url(path: string, scheme?: 'http' | 'ws'): string;
  readonly log: readonly BalancedRequest[];
  /** Requests refused with 503 because the cookie was missing. */
  readonly refused: number;
  /** Destroys every live client connection (streams, keep-alive sockets, WebSockets). */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a sticky balancer in front of the server on `backendPort`. */
export async function startStickyBalancer(backendPort: number): Promise<StickyBalancer> {
  const cookie = `lb_backend=${randomBytes(12).toString('hex')}`;
  const setCookie = `${cookie}; Path=/; HttpOnly; SameSite=Lax`;
  const log: BalancedRequest[] = [];
  const sockets = new Set<Duplex>();
  let issued = false;
  let refused = 0;

  /** Logs the request; returns whether to pass it (and whether it gets the cookie), or refuses it. */
  const admit = (request: IncomingMessage, kind: 'http' | 'upgrade'): { pass: boolean; issue: boolean } => {
    const header = request.headers.cookie;
    const sticky = header?.split(/;\s*/).includes(cookie) === true;
    const issue = !sticky && !issued;
    if (issue) issued = true;
    log.push({
      method: request.method ?? '',
      path: request.url ?? '',
      kind,
      sticky,
      issued: issue,
      cookie: header,
    });
    if (sticky || issue) return { pass: true, issue };
    refused += 1;
    return { pass: false, issue: false };
  };

  const track = (socket: Duplex): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server: Server = createServer((request, response) => {
    const { pass, issue } = admit(request, 'http');
    if (!pass) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('no backend affinity');
      return;
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: backendPort,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const headers = { ...answer.headers };
        if (issue) headers['set-cookie'] = [...(answer.headers['set-cookie'] ?? []), setCookie];
        response.writeHead(answer.statusCode ?? 502, headers);
        response.flushHeaders();
        answer.pipe(response);
        response.once('close', () => answer.destroy());
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502).end('backend down');
      else response.destroy();
    });
    request.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => track(socket));

  server.on('upgrade', (request: IncomingMessage, client: Duplex, head: Buffer) => {
    const { pass, issue } = admit(request, 'upgrade');
    if (!pass) {
      client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: backendPort,
      method: request.method,
      path: request.url,
      headers: request.headers,
    });
    upstream.on('upgrade', (answer, backend, backendHead) => {
      track(backend);
      const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2)
        lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      if (issue) lines.push(`Set-Cookie: ${setCookie}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (backendHead.length > 0) client.write(backendHead);
      if (head.length > 0) backend.write(head);
      backend.pipe(client);
      client.pipe(backend);
      backend.once('close', () => client.destroy());
      client.once('close', () => backend.destroy());
    });
    upstream.on('response', (answer) => {
      // A refused upgrade: pass the status on and close.
      client.end(
        `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      answer.resume();
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    upstream.end();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    cookie,
    url: (path, scheme = 'http') => `${scheme}://127.0.0.1:${port}${path}`,
    log,
    get refused() {
      return refused;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
