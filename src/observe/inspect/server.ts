/**
 * The `lifeline inspect` web server: the page and its assets, the page's live feed on `/live`,
 * and the `@statelyai/inspect` protocol on every other WebSocket path, all on 127.0.0.1.
 *
 * Offline and local by construction: every asset ships in the package (the page's files in
 * assets/inspect/, ELK from the `elkjs` dependency), and the Content-Security-Policy lets the
 * page reach its own origin only. A request whose Host is not this loopback address and port is
 * refused (a DNS-rebinding site cannot read the feed), and so is a WebSocket opened by a page of
 * another origin. Nothing on the feed is secret: it carries the control socket's snapshots and
 * journal entries, which never hold a header, an environment value or a message.
 */

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type WebSocket, WebSocketServer } from 'ws';
import type { InspectHub } from './hub.js';
import type { PageMessage } from './messages.js';
import { MAX_INSPECTOR_FRAME_BYTES, receiveInspection } from './receiver.js';

/** The page's folder: assets/inspect/ at the package root (from src/ and from dist/ alike). */
const PAGE_DIR = fileURLToPath(new URL('../../../assets/inspect/', import.meta.url));

/** What each asset path serves: a file and its content type. */
function assetTable(): Map<string, { path: string; type: string }> {
  const elk = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  return new Map([
    ['/', { path: `${PAGE_DIR}index.html`, type: 'text/html; charset=utf-8' }],
    ['/assets/app.js', { path: `${PAGE_DIR}app.js`, type: 'text/javascript; charset=utf-8' }],
    ['/assets/app.css', { path: `${PAGE_DIR}app.css`, type: 'text/css; charset=utf-8' }],
    ['/assets/elk.js', { path: elk, type: 'text/javascript; charset=utf-8' }],
  ]);
}

/** A page that falls this far behind on its feed is dropped (it reconnects and starts afresh). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Options of {@link startInspectServer}. */
export interface InspectServerOptions {
  /** The port; 0 (the default) takes a free one. */
  port?: number;
}

/** A running page server. */
export interface InspectServer {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  /** Pages connected now. */
  readonly pages: number;
  /** Inspector frames read, and those skipped as unreadable. */
  readonly inspected: { frames: number; ignored: number };
  close(): Promise<void>;
}

/** Starts serving the hub's picture. */
export async function startInspectServer(
  hub: InspectHub,
  options: InspectServerOptions = {},
): Promise<InspectServer> {
  const assets = assetTable();
  const pages = new Set<WebSocket>();
  const inspected = { frames: 0, ignored: 0 };
  let port = 0;
  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const csp = (): string =>
    [
      "default-src 'self'",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');

  const server: Server = createServer((request, response) => {
    void serve(request, response);
  });
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!allowedHosts().has(request.headers.host ?? '')) {
      response
        .writeHead(421, { 'content-type': 'text/plain' })
        .end('lifeline inspect answers on 127.0.0.1 only\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await readFile(asset.path);
      response.writeHead(200, {
        'content-type': asset.type,
        'content-length': body.length,
        'cache-control': 'no-store',
        'content-security-policy': csp(),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`cannot read ${path}: ${(error as Error).message}\n`);
    }
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_INSPECTOR_FRAME_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!allowedHosts().has(request.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    const origin = request.headers.origin;
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const ownOrigin = origin === undefined || allowedHosts().has(origin.replace(/^http:\/\//, ''));
    // The feed is for this page only; an inspector (a Node process sends no Origin) may also
    // come from another local page, never from a site on the internet.
    const loopbackOrigin = origin === undefined || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(origin);
    if (path === '/live' ? !ownOrigin : !loopbackOrigin) return refuse(403, 'Forbidden');
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (path === '/live') followPage(ws);
      else readInspector(ws);
    });
  });

  const followPage = (ws: WebSocket): void => {
    pages.add(ws);
    const send = (message: PageMessage): void => {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(message));
    };
    for (const message of hub.welcome()) send(message);
    const unsubscribe = hub.subscribe(send);
    ws.on('message', () => {
      // The feed is one way; a page has nothing to say.
    });
    ws.on('close', () => {
      unsubscribe();
      pages.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  };

  const readInspector = (ws: WebSocket): void => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        inspected.ignored += 1;
        return;
      }
      inspected.frames += 1;
      if (receiveInspection(hub, String(data)) === 'ignored') inspected.ignored += 1;
    });
    ws.on('error', () => ws.terminate());
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    get pages() {
      return pages.size;
    },
    inspected,
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
