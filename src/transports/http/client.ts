/**
 * The HTTP client every HTTP-family link uses: one undici dispatcher per link (a keep-alive
 * connection pool, through the environment's proxy when one applies, destroyed with the link,
 * so nothing outlives it), the transport's cookies, the redirect policy, and the translation of
 * what goes wrong into typed errors that say whether the message certainly never reached the
 * server.
 *
 * No `bodyTimeout`: response streams may stay open for hours; the connection's heartbeat
 * watches them instead (undici's default 300 s would cut idle SSE streams).
 */

import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ErrorCode, HttpError, LinkError } from '../../errors.js';
import type { LinkAuth } from '../../link/contract.js';
import { networkFault, statusFault, waitsForNextLink } from '../failures/table.js';
import { CookieJar, withCookies } from './cookies.js';
import {
  createDispatcher,
  describeProxy,
  type ProxySettings,
  proxyFor,
  proxyRefusal,
  proxySettings,
  tunnelStatus,
} from './dispatcher.js';
import { bodyExcerpt, ERROR_BODY_MS, type ErrorBody, readErrorBody, redactCut } from './error-body.js';

/** What to do with a redirect. */
export type RedirectPolicy = 'same-origin' | 'follow' | 'error';

/** Options shared by the HTTP-family links (the resolved `http` part of the configuration). */
export interface HttpLinkOptions {
  url: URL;
  /** Configured headers (credentials among them): never logged, dropped across origins. */
  headers: Readonly<Record<string, string>>;
  redirect: RedirectPolicy;
  maxMessageBytes: number;
  /** Strings to keep out of errors (header values, URL credentials): a server may echo them. */
  secrets: readonly string[];
  /**
   * The transport's cookies, shared by all its links so that they survive reconnects (sticky
   * sessions); a jar of the client's own when absent.
   */
  cookies?: CookieJar | undefined;
  /** The proxy settings, read once per transport; the environment's when absent. */
  proxy?: ProxySettings | undefined;
  /** Where the `Authorization` header comes from, and who decides on a 401/403 (an `authProvider`). */
  auth?: LinkAuth | undefined;
  /** How long an error response's body may take to arrive, in ms. Default {@link ERROR_BODY_MS}. */
  errorBodyMs?: number | undefined;
}

/** One HTTP request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const ERROR_TEXT_BYTES = 4096;

/** An endpoint as it may appear in logs and errors: no credentials, no query string. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Whether an error is the abort we asked for (a cancelled request, a closing link). */
export function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  return name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR';
}

/**
 * Turns a failed request into a typed link error, as the failure table says: `undelivered`
 * when the request certainly never reached the server (a connect failure), `retryable` unless
 * no attempt can help.
 */
export function networkError(error: unknown, what: string): LinkError {
  if (error instanceof LinkError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : (error as Error | null)?.message || 'unknown error';
  const rule = networkFault(error);
  return new LinkError(ErrorCode.Network, `${what} failed: ${reason}`, {
    cause: error,
    retryable: rule.retryable,
    undelivered: waitsForNextLink(rule),
  });
}

/** The value of a response header (the first one, when repeated). */
export function header(response: Pick<StatusResponse, 'headers'>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The media type of a response, without parameters, lower case. */
export function mediaType(response: Dispatcher.ResponseData): string {
  return (header(response, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A response with an error status: undici's, or the one `ws` hands over on a refused upgrade. */
export interface StatusResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Readable;
}

/** `Retry-After` in ms (seconds or an HTTP date), when present and sane. */
function retryAfter(response: StatusResponse): number | undefined {
  const value = header(response, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 300_000) : undefined;
}

/**
 * Reads a body as text, up to `limit` bytes. (Stream events, not async iteration: this runs
 * once per call, and an async iterator costs several microseconds per body.)
 *
 * @returns undefined when the body is over the limit (the rest is discarded unread).
 */
export function readText(body: Readable, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        body.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
      resolve(whole.toString('utf8'));
    });
    body.once('error', reject);
  });
}

/**
 * The error for a response with an error status, in the SDK's `SdkHttpError` shape, as the
 * failure table says (`retryable`; `undelivered` for a refusal the server did not process: 429,
 * 503). Its message is one line: the status, the content type and an excerpt of the body with
 * markup dropped and secrets redacted. The body is read within {@link ERROR_BODY_MS} (or
 * `bodyMs`) unless `read` already holds it: a body that never ends does not hold the request.
 */
export async function statusError(
  response: StatusResponse,
  what: string,
  secrets: readonly string[],
  read?: string | ErrorBody,
  bodyMs: number = ERROR_BODY_MS,
): Promise<HttpError> {
  const body: ErrorBody =
    typeof read === 'string'
      ? { text: read }
      : (read ?? (await readErrorBody(response.body, ERROR_TEXT_BYTES, bodyMs)));
  const text = body.text === undefined ? undefined : redactCut(body.text, secrets, body.cut !== undefined);
  const status = response.statusCode;
  const rule = statusFault(status);
  const hint =
    status === 401
      ? ' (unauthorized: check the credentials in `headers`)'
      : status === 403
        ? ' (forbidden)'
        : '';
  const options: { retryable: boolean; undelivered: boolean; retryAfterMs?: number } = {
    retryable: rule.retryable,
    undelivered: waitsForNextLink(rule),
  };
  const wait = retryAfter(response);
  if (wait !== undefined) options.retryAfterMs = wait;
  return new HttpError(
    `${what} got HTTP ${status}${hint}${describeBody(response, text, body.cut, bodyMs)}`,
    { status, statusText: undefined, text: text?.slice(0, ERROR_TEXT_BYTES) },
    options,
  );
}

/** ` (text/html): 502 Bad Gateway nginx`: what a message says of an error body. */
function describeBody(
  response: StatusResponse,
  text: string | undefined,
  cut: ErrorBody['cut'],
  bodyMs: number,
): string {
  const type = (header(response, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const notes = [type];
  if (cut === 'time') notes.push(`the body did not end within ${bodyMs} ms`);
  else if (cut === 'broken') notes.push('the body broke off');
  const about = notes.filter((note) => note !== '').join(', ');
  const excerpt = text === undefined ? '' : bodyExcerpt(text);
  return `${about === '' ? '' : ` (${about})`}${excerpt === '' ? '' : `: ${excerpt}`}`;
}

/** The text with every secret replaced (a server's error body may echo a credential). */
export function redact(text: string, secrets: readonly string[]): string {
  return redactCut(text, secrets, false);
}

/** A keep-alive pool for one link, with the configured redirect policy. */
export class HttpClient {
  readonly #agent: Dispatcher;
  readonly #options: HttpLinkOptions;
  readonly #proxy: ProxySettings;
  readonly #cookies: CookieJar;

  constructor(options: HttpLinkOptions) {
    this.#options = options;
    this.#proxy = options.proxy ?? proxySettings();
    this.#cookies = options.cookies ?? new CookieJar();
    this.#agent = createDispatcher(
      { keepAliveTimeout: 30_000, bodyTimeout: 0, connections: null },
      this.#proxy,
    );
  }

  /**
   * Sends a request, following redirects the policy allows (307/308 for POST, any for GET
   * and DELETE), with the jar's cookies for each hop's origin, keeping every `Set-Cookie` it
   * gets. Rejects with a {@link LinkError} (`LIFELINE_ERR_NETWORK`, `undelivered` when the
   * connection could not be made or the proxy refused the tunnel; `LIFELINE_ERR_REDIRECT` for
   * a refused redirect) or the abort error.
   */
  async request(request: HttpRequest, what: string): Promise<Dispatcher.ResponseData> {
    let url = request.url;
    let headers = request.headers;
    for (let hop = 0; ; hop += 1) {
      let response: Dispatcher.ResponseData;
      try {
        const options: Dispatcher.RequestOptions = {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: withCookies(headers, this.#cookies, url),
          body: request.body ?? null,
          signal: request.signal ?? null,
        };
        response = await this.#agent.request(options);
      } catch (error) {
        throw this.#failure(error, url, what);
      }
      this.#cookies.store(url, response.headers['set-cookie']);
      const location = header(response, 'location');
      if (!REDIRECTS.has(response.statusCode) || location === undefined) return response;
      response.body.dump().catch(() => {});
      const target = new URL(location, url);
      const sameOrigin = target.origin === url.origin;
      const methodKept = request.method !== 'POST' || response.statusCode >= 307;
      if (hop >= MAX_REDIRECTS || !methodKept || (!sameOrigin && this.#options.redirect !== 'follow')) {
        throw redirectError(url, target, response.statusCode, hop, methodKept);
      }
      if (this.#options.redirect === 'error')
        throw redirectError(url, target, response.statusCode, hop, true);
      if (!sameOrigin) headers = withoutConfigured(headers, this.#options.headers);
      url = target;
    }
  }

  /** Closes every connection now, aborting what is in flight. */
  destroy(): void {
    this.#agent.destroy().catch(() => {});
  }

  /** What a failed request throws: the abort as it is, a proxy's refusal, or a network error. */
  #failure(error: unknown, url: URL, what: string): unknown {
    const proxy = proxyFor(url, this.#proxy);
    if (proxy === undefined) return isAbort(error) ? error : networkError(error, what);
    // undici reports a refused tunnel with the code of a cancelled request: tell them apart.
    const status = tunnelStatus(error);
    if (status !== undefined) return proxyRefusal(status, proxy, what);
    if (isAbort(error)) return error;
    return networkError(error, `${what} through the proxy ${describeProxy(proxy)}`);
  }
}

function redirectError(from: URL, to: URL, status: number, hops: number, methodKept: boolean): LinkError {
  const reason =
    hops >= MAX_REDIRECTS
      ? `more than ${MAX_REDIRECTS} redirects`
      : !methodKept
        ? `HTTP ${status} would turn the POST into a GET`
        : from.origin === to.origin
          ? 'redirects are disabled (`redirect: "error"`)'
          : `it leads to another origin (${to.origin}); set \`redirect: "follow"\` to allow it (credentials are dropped)`;
  return new LinkError(ErrorCode.Redirect, `Refused a redirect from ${describeUrl(from)}: ${reason}`, {
    retryable: false,
  });
}

/**
 * The headers minus what belongs to this origin: the configured ones, credentials, and the MCP
 * session id (a session is the server's; another origin must not learn or reuse it).
 */
function withoutConfigured(
  headers: Record<string, string>,
  configured: Readonly<Record<string, string>>,
): Record<string, string> {
  const drop = new Set(Object.keys(configured).map((name) => name.toLowerCase()));
  drop.add('authorization');
  drop.add('cookie');
  drop.add('mcp-session-id');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!drop.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}
