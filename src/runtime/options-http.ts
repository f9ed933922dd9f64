/**
 * The HTTP family's configuration (`url`, `headers`, `allowInsecure`, `redirect`) and its
 * checks. Credentials never travel over plain http to a host other than this machine unless
 * the configuration says so.
 */

import type { RedirectPolicy } from '../transports/http/client.js';
import type { HttpMode } from '../transports/http/family.js';

/** A server reached over HTTP: Streamable HTTP (either era) or legacy HTTP+SSE. */
export interface HttpConfigFields {
  /**
   * `http` forces Streamable HTTP, `sse` the legacy HTTP+SSE transport. Omitted: Streamable
   * HTTP, falling back to HTTP+SSE when the server speaks only that.
   */
  type?: 'http' | 'sse';
  /** The MCP endpoint (Streamable HTTP) or the SSE URL (HTTP+SSE). */
  url: string | URL;
  /** Headers sent with every request (e.g. `Authorization`). Values are secrets: never logged. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Allow credentials (configured headers, a user or password in the URL) over plain `http:`
   * to a host other than loopback. Default false: such a configuration is refused.
   */
  allowInsecure?: boolean;
  /**
   * Redirects: `same-origin` (default) follows those that stay on the URL's origin; `follow`
   * also follows those to another origin, without the configured headers; `error` follows none.
   */
  redirect?: RedirectPolicy;
}

/** The resolved HTTP part of a configuration. */
export interface ResolvedHttp {
  mode: HttpMode;
  url: URL;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  redirect: RedirectPolicy;
}

const REDIRECTS: readonly RedirectPolicy[] = ['same-origin', 'follow', 'error'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the transport sets itself. */
const RESERVED = new Set([
  'content-type',
  'accept',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
]);
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|key|token|secret|auth|session|pass/i;

/** Whether a hostname is this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/**
 * Checks the HTTP fields; pushes one line per problem.
 *
 * @returns the resolved part, or undefined when the URL itself is unusable.
 */
export function resolveHttp(config: HttpConfigFields, problems: string[]): ResolvedHttp | undefined {
  let url: URL | undefined;
  try {
    url = new URL(String(config.url));
  } catch {
    problems.push('url: expected an absolute http(s) URL');
  }
  if (url !== undefined && url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`url: expected an http: or https: URL, got ${url.protocol}`);
    url = undefined;
  }
  const headers: Record<string, string> = {};
  const raw = config.headers;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    problems.push('headers: expected an object of header names to strings');
  } else if (raw !== undefined) {
    for (const [name, value] of Object.entries(raw)) {
      const lower = name.toLowerCase();
      if (!TOKEN.test(name)) problems.push(`headers.${name}: not a valid header name`);
      else if (RESERVED.has(lower)) problems.push(`headers.${name}: set by the transport itself; remove it`);
      else if (typeof value !== 'string' || /[\r\n\0]/.test(value))
        problems.push(`headers.${name}: expected a string without line breaks`);
      else headers[lower] = value;
    }
  }
  if (config.allowInsecure !== undefined && typeof config.allowInsecure !== 'boolean')
    problems.push('allowInsecure: expected a boolean');
  if (config.redirect !== undefined && !REDIRECTS.includes(config.redirect))
    problems.push(`redirect: expected one of ${REDIRECTS.join(', ')}`);
  if (url === undefined) return undefined;

  const credentials = Object.keys(headers).filter((name) => CREDENTIAL_HEADER.test(name));
  if (url.username !== '' || url.password !== '') {
    credentials.push('a user or password in the URL');
    // Sent as HTTP Basic authentication (the URL itself goes out without them).
    headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  }
  for (const name of url.searchParams.keys()) {
    if (CREDENTIAL_HEADER.test(name)) credentials.push(`the query parameter ${name}`);
  }
  if (
    url.protocol === 'http:' &&
    !isLoopback(url.hostname) &&
    credentials.length > 0 &&
    config.allowInsecure !== true
  ) {
    problems.push(
      `allowInsecure: refusing to send credentials (${credentials.join(', ')}) over plain http to ${url.hostname}; use https, or set allowInsecure: true`,
    );
  }
  return {
    mode: config.type ?? 'auto',
    url,
    headers,
    redirect: config.redirect ?? 'same-origin',
  };
}

/**
 * The strings to keep out of logs for an HTTP configuration: every header value, the URL's
 * user and password, and its query values (tokens often travel there).
 */
export function httpSecrets(http: ResolvedHttp): string[] {
  const secrets = Object.values(http.headers).filter((value) => value.length >= 3);
  for (const part of [http.url.username, http.url.password])
    if (part.length >= 3) secrets.push(decodeURIComponent(part));
  for (const value of http.url.searchParams.values()) if (value.length >= 3) secrets.push(value);
  for (const value of [...secrets]) {
    // Also the bare token of `Bearer <token>`.
    const token = /^\w+\s+(\S{3,})$/.exec(value)?.[1];
    if (token !== undefined) secrets.push(token);
  }
  return secrets.sort((a, b) => b.length - a.length);
}
