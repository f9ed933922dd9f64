/**
 * The remote transports' configuration: the HTTP family (`url`, `headers`, `allowInsecure`,
 * `redirect`) and WebSocket (`url`, `headers`, `allowInsecure`), and their checks. Credentials
 * never travel over plain http or ws to a host other than this machine unless the
 * configuration says so.
 */

import { isAuthProvider, type OAuthOptions } from '../../auth/types.js';
import type { RedirectPolicy } from '../../transports/http/client.js';
import { checkKeys, OAUTH_KEYS } from './keys.js';
import type {
  EndpointFields,
  HttpConfigFields,
  ResolvedAuth,
  ResolvedEndpoint,
  ResolvedHttp,
  WsConfigFields,
} from './types.js';

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

/** What differs between the URL families: HTTP (`http:`/`https:`) and WebSocket (`ws:`/`wss:`). */
interface UrlFamily {
  /** What a URL of the family is, for messages. */
  expected: string;
  secure: string;
  plain: string;
  /** Whether the transport sets this (lower-case) header itself. */
  reserves(name: string): boolean;
}

const HTTP_FAMILY: UrlFamily = {
  expected: 'an http: or https: URL',
  secure: 'https:',
  plain: 'http:',
  reserves: (name) => RESERVED.has(name),
};

/**
 * Checks a URL and its headers for a family of schemes; pushes one line per problem.
 * Credentials (a configured credential header, a user or password in the URL, a token-like
 * query parameter) over the plain scheme to a host other than loopback are refused unless
 * `allowInsecure` is set.
 *
 * @returns the endpoint, or undefined when the URL itself is unusable.
 */
export function resolveEndpoint(
  config: EndpointFields,
  problems: string[],
  family: UrlFamily = HTTP_FAMILY,
): ResolvedEndpoint | undefined {
  let url: URL | undefined;
  try {
    url = new URL(String(config.url));
  } catch {
    problems.push(`url: expected an absolute URL, ${family.expected}`);
  }
  if (url !== undefined && url.protocol !== family.plain && url.protocol !== family.secure) {
    problems.push(`url: expected ${family.expected}, got ${url.protocol}`);
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
      else if (family.reserves(lower))
        problems.push(`headers.${name}: set by the transport itself; remove it`);
      else if (typeof value !== 'string' || /[\r\n\0]/.test(value))
        problems.push(`headers.${name}: expected a string without line breaks`);
      else headers[lower] = value;
    }
  }
  if (config.allowInsecure !== undefined && typeof config.allowInsecure !== 'boolean')
    problems.push('allowInsecure: expected a boolean');
  const auth = resolveAuth(config, problems);
  if (url === undefined) return undefined;

  const credentials = Object.keys(headers).filter((name) => CREDENTIAL_HEADER.test(name));
  if (auth !== undefined) {
    credentials.push('an authProvider');
    if (headers.authorization !== undefined)
      problems.push('authProvider: give either an authProvider or an Authorization header, not both');
    else if (url.username !== '' || url.password !== '')
      problems.push('authProvider: give either an authProvider or a user and password in the URL, not both');
  }
  if (url.username !== '' || url.password !== '') {
    credentials.push('a user or password in the URL');
    // Sent as HTTP Basic authentication (the URL itself goes out without them).
    headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  }
  for (const name of url.searchParams.keys()) {
    if (CREDENTIAL_HEADER.test(name)) credentials.push(`the query parameter ${name}`);
  }
  if (
    url.protocol === family.plain &&
    !isLoopback(url.hostname) &&
    credentials.length > 0 &&
    config.allowInsecure !== true
  ) {
    problems.push(
      `allowInsecure: refusing to send credentials (${credentials.join(', ')}) over plain ${family.plain.slice(0, -1)} to ${url.hostname}; use ${family.secure.slice(0, -1)}, or set allowInsecure: true`,
    );
  }
  return auth === undefined ? { url, headers } : { url, headers, auth };
}

const RESOURCE_MODES: readonly NonNullable<OAuthOptions['resource']>[] = ['send', 'omit'];
const REFRESH_SCOPES: readonly NonNullable<OAuthOptions['refreshScope']>[] = ['granted', 'none'];

/** Checks `authProvider` and `oauth`; pushes one line per problem. */
function resolveAuth(config: EndpointFields, problems: string[]): ResolvedAuth | undefined {
  const { authProvider, oauth } = config;
  if (oauth !== undefined) {
    if (typeof oauth !== 'object' || oauth === null || Array.isArray(oauth)) {
      problems.push('oauth: expected an object');
    } else {
      checkKeys(oauth, OAUTH_KEYS, 'oauth', problems);
      if (oauth.resource !== undefined && !RESOURCE_MODES.includes(oauth.resource))
        problems.push(`oauth.resource: expected one of ${RESOURCE_MODES.join(', ')}`);
      if (oauth.refreshScope !== undefined && !REFRESH_SCOPES.includes(oauth.refreshScope))
        problems.push(`oauth.refreshScope: expected one of ${REFRESH_SCOPES.join(', ')}`);
      if (oauth.signIn !== undefined && typeof oauth.signIn !== 'function')
        problems.push('oauth.signIn: expected a function');
    }
    if (authProvider === undefined) problems.push('oauth: takes effect only with an authProvider');
  }
  if (authProvider === undefined) return undefined;
  if (!isAuthProvider(authProvider)) {
    problems.push(
      'authProvider: expected an OAuthClientProvider (tokens() and clientInformation()) or an AuthProvider (token())',
    );
    return undefined;
  }
  return {
    provider: authProvider,
    oauth: { ...(oauth ?? {}) },
    allowInsecure: config.allowInsecure === true,
  };
}

/**
 * Checks the HTTP fields; pushes one line per problem.
 *
 * @returns the resolved part, or undefined when the URL itself is unusable.
 */
export function resolveHttp(config: HttpConfigFields, problems: string[]): ResolvedHttp | undefined {
  const endpoint = resolveEndpoint(config, problems);
  if (config.redirect !== undefined && !REDIRECTS.includes(config.redirect))
    problems.push(`redirect: expected one of ${REDIRECTS.join(', ')}`);
  if (endpoint === undefined) return undefined;
  return { mode: config.type ?? 'auto', ...endpoint, redirect: config.redirect ?? 'same-origin' };
}

const WS_RESERVED = new Set(['host', 'connection', 'upgrade']);

/** The WebSocket family: `ws:`/`wss:`; the handshake's own headers are reserved. */
const WS_FAMILY: UrlFamily = {
  expected: 'a ws: or wss: URL',
  secure: 'wss:',
  plain: 'ws:',
  reserves: (name) => WS_RESERVED.has(name) || name.startsWith('sec-websocket-'),
};

/** Checks the WebSocket fields; pushes one line per problem. */
export function resolveWs(config: WsConfigFields, problems: string[]): ResolvedEndpoint | undefined {
  return resolveEndpoint(config, problems, WS_FAMILY);
}

/** Whether a URL names a WebSocket endpoint (for inferring `type`). */
export function isWebSocketUrl(url: unknown): boolean {
  return /^wss?:/i.test(String(url));
}

/**
 * The strings to keep out of logs for an HTTP configuration: every header value, the URL's
 * user and password, and its query values (tokens often travel there).
 */
export function httpSecrets(http: ResolvedEndpoint): string[] {
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
