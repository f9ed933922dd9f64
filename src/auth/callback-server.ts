/**
 * The loopback redirect target of a sign-in (RFC 8252 §7.3): an HTTP server on 127.0.0.1 that
 * takes the authorization response for one `state` and answers the browser with a small page.
 *
 * The port doubles as the lock between lifeline processes signing in to the same server: the
 * first binds it; a second finds it taken, asks the holder who it is (`GET /lifeline/sign-in`:
 * which server, by hash only) and, when it is a lifeline signing in to the same server, waits
 * on the same path with `?wait=1` until the holder is done, instead of opening a second browser
 * tab. Callbacks with an unknown `state` are refused with a page and do not end the sign-in (a
 * stale tab, or a forged request, must not be able to cancel it).
 */

import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { AuthorizationError } from '../errors.js';

/** The path the authorization server redirects to. */
export const CALLBACK_PATH = '/oauth/callback';
const STATUS_PATH = '/lifeline/sign-in';
const LOOPBACK = '127.0.0.1';

/** The result of claiming a port. */
export type PortClaim =
  | { kind: 'listening'; listener: CallbackListener }
  | {
      kind: 'busy';
      /** Resolves when the holder's sign-in is over, or the holder is gone, or `signal` aborts. */
      wait(signal: AbortSignal): Promise<void>;
    };

/** Listeners of this process, by port: a second sign-in here to the same server waits like another process would. */
const listeners = new Map<number, CallbackListener>();

/**
 * Binds `port` on 127.0.0.1 for a sign-in to the server `serverKey`, or learns that a lifeline
 * sign-in to the same server holds it. Rejects with an `AuthorizationError` when something else
 * holds the port.
 */
export async function claimCallbackPort(port: number, serverKey: string): Promise<PortClaim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const local = listeners.get(port);
    if (local !== undefined) {
      if (local.serverKey !== serverKey) throw portTaken(port, 'another sign-in of this process');
      return { kind: 'busy', wait: (signal) => untilAborted(local.closed, signal) };
    }
    const listener = new CallbackListener(port, serverKey);
    try {
      await listener.listen();
      return { kind: 'listening', listener };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    }
    const holder = await askHolder(port);
    if (holder === 'gone') continue; // freed between our bind and our question: bind again
    if (holder === serverKey) return { kind: 'busy', wait: (signal) => waitForHolder(port, signal) };
    throw portTaken(port, holder === 'other' ? 'another program' : 'a lifeline sign-in to another server');
  }
  throw portTaken(port, 'another program');
}

function portTaken(port: number, by: string): AuthorizationError {
  return new AuthorizationError(
    'callback',
    `The sign-in callback port ${port} on ${LOOPBACK} is in use by ${by}; choose another with --callback-port`,
  );
}

/** One bound callback port. */
export class CallbackListener {
  readonly port: number;
  /** Hash of the server being signed in to (never the URL: anyone on this machine can ask). */
  readonly serverKey: string;
  /** Resolves once the port is released. */
  readonly closed: Promise<void>;
  readonly #server: Server;
  readonly #waiters = new Set<ServerResponse>();
  /** Responses not yet fully sent: the port is released only after them. */
  readonly #sending = new Set<Promise<void>>();
  readonly #expected = new Map<string, (params: URLSearchParams) => void>();
  #markClosed = (): void => {};
  #closing = false;

  constructor(port: number, serverKey: string) {
    this.port = port;
    this.serverKey = serverKey;
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  /** Binds the port (exclusively: never shared with a cluster). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen({ host: LOOPBACK, port: this.port, exclusive: true }, () => {
        this.#server.off('error', onError);
        listeners.set(this.port, this);
        resolve();
      });
    });
  }

  /** Resolves with the query of the first callback carrying `state` (with `code`, or `error`). */
  waitFor(state: string): Promise<URLSearchParams> {
    return new Promise((resolve) => {
      this.#expected.set(state, (params) => {
        this.#expected.delete(state);
        resolve(params);
      });
    });
  }

  /**
   * Releases the port: answers every process waiting on it, then closes. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closing) return this.closed;
    this.#closing = true;
    this.#expected.clear();
    for (const waiter of this.#waiters) reply(waiter, 200, 'application/json', '{"done":true}\n');
    this.#waiters.clear();
    await Promise.all(this.#sending);
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // A browser keeps its connection open; it must not hold the port.
      this.#server.closeAllConnections();
    });
    if (listeners.get(this.port) === this) listeners.delete(this.port);
    this.#markClosed();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const sent = new Promise<void>((resolve) => res.once('close', () => resolve()));
    this.#sending.add(sent);
    void sent.then(() => this.#sending.delete(sent));
    // DNS rebinding: a web page that resolves its own name to 127.0.0.1 sends its own Host.
    const host = req.headers.host;
    if (host !== `${LOOPBACK}:${this.port}` && host !== `localhost:${this.port}`) {
      reply(res, 400, 'text/plain; charset=utf-8', 'Bad host\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${this.port}`);
    if (req.method !== 'GET') {
      reply(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    } else if (url.pathname === STATUS_PATH) {
      if (url.searchParams.get('wait') === '1' && !this.#closing) {
        this.#waiters.add(res);
        res.on('close', () => this.#waiters.delete(res));
        return;
      }
      const body = JSON.stringify({ lifeline: 'sign-in', server: this.serverKey, done: this.#closing });
      reply(res, 200, 'application/json', `${body}\n`);
    } else if (url.pathname === CALLBACK_PATH) {
      const deliver = this.#expected.get(url.searchParams.get('state') ?? '');
      const complete = url.searchParams.has('code') || url.searchParams.has('error');
      if (deliver === undefined || !complete) {
        reply(res, 400, 'text/html; charset=utf-8', page(PAGES.unknown));
        return;
      }
      reply(
        res,
        200,
        'text/html; charset=utf-8',
        page(url.searchParams.has('error') ? PAGES.refused : PAGES.done),
      );
      deliver(new URLSearchParams(url.searchParams));
    } else {
      reply(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
    }
  }
}

const PAGES = {
  done: [
    'Sign-in received',
    'lifeline received the sign-in. You can close this tab and return to the terminal.',
  ],
  refused: [
    'Sign-in not completed',
    'The authorization server did not grant access. You can close this tab.',
  ],
  unknown: [
    'Unknown sign-in',
    'This page does not belong to the sign-in lifeline is waiting for (an old tab?). Close it and use the newest link.',
  ],
} as const;

/** A fixed page: nothing from the request is echoed into it. */
function page([title, text]: readonly [string, string]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:36em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body></html>\n`;
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    // The callback URL carries the authorization code: never send it on as a Referer.
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(body);
}

/** Who holds a port: the server key of a lifeline sign-in, `other`, or `gone` (nobody any more). */
async function askHolder(port: number): Promise<string> {
  try {
    const { status, body } = await get(port, STATUS_PATH, 2_000);
    const parsed =
      status === 200 ? (JSON.parse(body) as { lifeline?: unknown; server?: unknown }) : undefined;
    return parsed?.lifeline === 'sign-in' && typeof parsed.server === 'string' ? parsed.server : 'other';
  } catch (error) {
    return (error as { code?: unknown }).code === 'ECONNREFUSED' ? 'gone' : 'other';
  }
}

/** Resolves when the lifeline holding `port` answers the long poll, or goes away. */
async function waitForHolder(port: number, signal: AbortSignal): Promise<void> {
  await get(port, `${STATUS_PATH}?wait=1`, undefined, signal).catch(() => undefined);
}

function untilAborted(done: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    void done.then(resolve);
  });
}

/** A plain GET to this machine: never through a proxy (node:http knows none). */
function get(
  port: number,
  path: string,
  timeoutMs: number | undefined,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: LOOPBACK, port, path, method: 'GET', agent: false, ...(signal && { signal }) };
    const req = request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
