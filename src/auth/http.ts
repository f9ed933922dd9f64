/**
 * The HTTP side of the authorization flow: every discovery, registration and token request
 * goes through one `customFetch` (undici, with the transport's dispatcher when it has one, so
 * a proxy applies), with a timeout and a cap on the response body. Plain `http:` is allowed
 * only to this machine (or when the configuration says `allowInsecure`), per call.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#communication-security
 */

import * as oauth from 'oauth4webapi';
import { type Dispatcher, Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { AuthorizationError, ErrorCode, LinkError } from '../errors.js';

/** The `fetch` shape oauth4webapi's `customFetch` and the SDK's `fetchFn` use. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of {@link createAuthHttp}. */
export interface AuthHttpOptions {
  /** The dispatcher (a proxy agent) requests go through; undici's global one when absent. */
  dispatcher?: Dispatcher | undefined;
  /** Allow plain `http:` to hosts other than loopback (the transport's `allowInsecure`). */
  allowInsecure?: boolean | undefined;
  /** Per-request timeout in ms. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Largest response body read, in bytes. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
}

/** The oauth4webapi options of one call. */
export type CallOptions = oauth.HttpRequestOptions<'GET' | 'POST', undefined | string | URLSearchParams>;

/** What the flow's modules use for I/O. */
export interface AuthHttp {
  /** The fetch every request goes through. */
  fetch: FetchLike;
  /** oauth4webapi options for a request to `endpoint` (plain http only where allowed). */
  options(endpoint: URL): CallOptions;
  /** A plain GET for JSON metadata (redirects are not followed: a 3xx is "not found"). */
  get(url: URL): Promise<Response>;
  /** Throws unless `url` may carry credentials: https, loopback, or `allowInsecure`. */
  assertSecure(url: URL, what: string): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BODY = 1024 * 1024;
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Whether a hostname is this machine (RFC 8252 §7.3 loopback). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** Creates the HTTP side of one transport's authorization flow. */
export function createAuthHttp(config: AuthHttpOptions = {}): AuthHttp {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const insecureAllowed = (url: URL): boolean =>
    url.protocol === 'https:' || isLoopbackHost(url.hostname) || config.allowInsecure === true;

  const fetchFn: FetchLike = async (url, init = {}) => {
    const target = String(url);
    const signal = init.signal ?? AbortSignal.timeout(timeoutMs);
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      const options = { ...init, signal } as unknown as NonNullable<Parameters<typeof undiciFetch>[1]>;
      if (config.dispatcher !== undefined) options.dispatcher = config.dispatcher;
      response = await undiciFetch(target, options);
    } catch (error) {
      throw networkFailure(error, target);
    }
    return capped(response, maxBody, target);
  };

  return {
    fetch: fetchFn,
    options: (endpoint) => ({
      [oauth.customFetch]: (url, init) => fetchFn(url, init as RequestInit),
      [oauth.allowInsecureRequests]: insecureAllowed(endpoint),
    }),
    get: (url) => {
      if (!insecureAllowed(url)) throw insecure(url, 'Metadata');
      return fetchFn(url, { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual' });
    },
    assertSecure: (url, what) => {
      if (!insecureAllowed(url)) throw insecure(url, what);
    },
  };
}

function insecure(url: URL, what: string): AuthorizationError {
  return new AuthorizationError(
    'insecure',
    `${what} at ${url.origin} is not https; authorization endpoints must use https except on this machine (set allowInsecure: true to allow it)`,
  );
}

/** A request that never got an answer: retryable (the link goes down and tries again later). */
function networkFailure(error: unknown, target: string): LinkError {
  const where = safeOrigin(target);
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : (error as Error | null)?.name;
  return new LinkError(
    ErrorCode.Network,
    `Authorization request to ${where} failed: ${code ?? 'network error'}`,
    {
      cause: error,
      retryable: true,
    },
  );
}

function safeOrigin(target: string): string {
  try {
    const url = new URL(target);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'the authorization server';
  }
}

/** The response with its body read, up to `limit` bytes (metadata and token answers are small). */
async function capped(
  response: Awaited<ReturnType<typeof undiciFetch>>,
  limit: number,
  target: string,
): Promise<Response> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(target, limit);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        throw networkFailure(error, target);
      }
      if (read.done) break;
      bytes += read.value.byteLength;
      if (bytes > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(target, limit);
      }
      chunks.push(read.value);
    }
  }
  const body = NULL_BODY.has(response.status) ? null : Buffer.concat(chunks, bytes);
  return new UndiciResponse(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  }) as unknown as Response;
}

function tooLarge(target: string, limit: number): AuthorizationError {
  return new AuthorizationError('discovery', `The answer of ${safeOrigin(target)} exceeds ${limit} bytes`);
}
