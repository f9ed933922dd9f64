/**
 * Where outgoing HTTP connections go: straight to the server, or through the forward proxy the
 * environment names (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and their lower-case forms).
 *
 * The rules are undici's `EnvHttpProxyAgent`'s, read once into {@link ProxySettings} so that
 * every link of a transport (undici for HTTP, `ws` through a CONNECT tunnel for WebSocket) and
 * the OAuth requests decide alike:
 * - the lower-case variable wins over the upper-case one, even when empty;
 * - `http:` and `ws:` URLs use `HTTP_PROXY`; `https:` and `wss:` use `HTTPS_PROXY`, else
 *   `HTTP_PROXY`;
 * - `NO_PROXY` is a comma- or space-separated list of host names, each matching itself and its
 *   subdomains (a leading `.` or `*.` is ignored), optionally with `:port`; IPv6 addresses in
 *   brackets (`[::1]`); `*` alone means no proxy for anything. No CIDR ranges.
 *
 * One difference, on purpose: when neither `NO_PROXY` nor `no_proxy` is set, the list is
 * {@link DEFAULT_NO_PROXY} (the loopback names). A proxy elsewhere cannot reach this machine's
 * loopback, so sending a local server's traffic to it only fails (Go's net/http never proxies
 * loopback for the same reason); a developer with `HTTP_PROXY` set keeps reaching local servers.
 * Setting `NO_PROXY` (even to an empty string) replaces the default: `NO_PROXY=` sends loopback
 * traffic through the proxy too, as a debugging proxy on this machine wants.
 *
 * Proxy credentials come from the proxy URL's userinfo (`http://user:password@proxy:3128`) and
 * are sent as `Proxy-Authorization: Basic`; they are secrets and never appear in messages.
 *
 * @see https://github.com/nodejs/undici/blob/main/docs/docs/api/EnvHttpProxyAgent.md
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.6 (CONNECT)
 */

import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { ConfigError, ErrorCode, LinkError } from '../../errors.js';

/** The `NO_PROXY` list used when the environment sets none: loopback stays direct. */
export const DEFAULT_NO_PROXY = 'localhost,127.0.0.1,[::1]';

/** The proxy configuration read from the environment. */
export interface ProxySettings {
  /** The proxy for `http:` and `ws:` URLs; undefined: direct. */
  readonly httpProxy: URL | undefined;
  /** The proxy for `https:` and `wss:` URLs (`HTTPS_PROXY`, else `HTTP_PROXY`); undefined: direct. */
  readonly httpsProxy: URL | undefined;
  /** The `NO_PROXY` list as given, or {@link DEFAULT_NO_PROXY} when unset. */
  readonly noProxy: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80,
  'ws:': 80,
  'https:': 443,
  'wss:': 443,
};

/**
 * Reads the proxy variables (lower case first, as undici and curl do).
 *
 * @throws {ConfigError} when a proxy variable is not an `http://` or `https://` URL (a value
 *   without a scheme, `proxy.corp:3128`, is taken as `http://`). The message names the variable,
 *   never its value (it may carry a password).
 */
export function proxySettings(env: Env = process.env): ProxySettings {
  const problems: string[] = [];
  const httpProxy = proxyUrl(env, 'http_proxy', 'HTTP_PROXY', problems);
  const httpsProxy = proxyUrl(env, 'https_proxy', 'HTTPS_PROXY', problems) ?? httpProxy;
  if (problems.length > 0) throw new ConfigError(problems);
  return { httpProxy, httpsProxy, noProxy: env.no_proxy ?? env.NO_PROXY ?? DEFAULT_NO_PROXY };
}

function proxyUrl(env: Env, lower: string, upper: string, problems: string[]): URL | undefined {
  const name = env[lower] !== undefined ? lower : upper;
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below, without the value.
  }
  problems.push(
    `${name} must be an http:// or https:// proxy URL (the value is not shown: it may hold a password)`,
  );
  return undefined;
}

/**
 * The proxy a connection to `url` goes through, or undefined when it goes direct: the same
 * decision undici's `EnvHttpProxyAgent` makes for HTTP, applied to `ws:`/`wss:` as to
 * `http:`/`https:`.
 */
export function proxyFor(url: URL, settings: ProxySettings): URL | undefined {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const proxy = secure ? settings.httpsProxy : settings.httpProxy;
  if (proxy === undefined) return undefined;
  // `host` minus the port keeps the brackets of an IPv6 address, as NO_PROXY entries write them.
  const hostname = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
  return bypasses(settings.noProxy, hostname, port) ? undefined : proxy;
}

/** Whether `NO_PROXY` sends this host direct (undici's matching, entry for entry). */
function bypasses(noProxy: string, hostname: string, port: number): boolean {
  if (noProxy === '*') return true;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (entry === '') continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] === undefined ? 0 : Number.parseInt(parsed[2], 10);
    if (entryPort !== 0 && entryPort !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return true;
  }
  return false;
}

/** A proxy as messages may show it: scheme, host and port, never its credentials. */
export function describeProxy(proxy: URL): string {
  return proxy.origin;
}

/** The `Proxy-Authorization` value for the proxy URL's userinfo (undici's rule: both parts present). */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' || proxy.password === '') return undefined;
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/**
 * The undici dispatcher for requests from this process: an `EnvHttpProxyAgent` built from
 * `settings` when a proxy is configured, else a plain `Agent` (no per-request proxy decision).
 * `options` are the connection options (timeouts, pool sizes) of both the direct and the
 * proxied connections. The caller owns it: `close()` or `destroy()` it when done.
 *
 * @example OAuth requests through the same proxy as the transport
 * ```ts
 * const dispatcher = createDispatcher();
 * const response = await fetch(tokenEndpoint, { method: 'POST', body, dispatcher });
 * ```
 */
export function createDispatcher(
  options: Agent.Options = {},
  settings: ProxySettings = proxySettings(),
): Dispatcher {
  if (settings.httpProxy === undefined && settings.httpsProxy === undefined) return new Agent(options);
  // Empty strings, not undefined: undici would read the environment again for a missing one.
  return new EnvHttpProxyAgent({
    ...options,
    httpProxy: settings.httpProxy?.href ?? '',
    httpsProxy: settings.httpsProxy?.href ?? '',
    noProxy: settings.noProxy,
  });
}

/**
 * The error for a proxy that answered a CONNECT with something other than 2xx: the message never
 * reached the server. 407 (credentials) and 403 (the proxy's policy) are permanent; a 5xx (the
 * proxy could not reach the server) is worth retrying.
 */
export function proxyRefusal(status: number, proxy: URL, what: string): LinkError {
  const hint =
    status === 407
      ? ': it wants credentials; put them in the proxy URL (http://user:password@host:port)'
      : status === 403
        ? ': its policy forbids this destination'
        : '';
  return new LinkError(
    ErrorCode.Network,
    `${what} failed: the proxy ${describeProxy(proxy)} refused the tunnel with HTTP ${status}${hint}`,
    { retryable: status !== 407 && status !== 403, undelivered: true },
  );
}

/**
 * The status of undici's "Proxy response (407) !== 200 when HTTP Tunneling" error (a
 * `RequestAbortedError`, whose code is the same as a cancelled request's), or undefined.
 */
export function tunnelStatus(error: unknown): number | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  const match = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
