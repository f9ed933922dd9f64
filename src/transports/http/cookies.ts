/**
 * The cookie jar of one transport: cookies a server or its load balancer sets (session
 * stickiness: AWS ALB `AWSALB`, nginx `sticky`, Traefik, HAProxy `SERVERID`) kept in memory and
 * sent back, so that every request of a connection, and every reconnect, reaches the same backend.
 *
 * RFC 6265 basics, kept stricter where a transport has no use for the rest:
 * - `Set-Cookie: name=value` with `Path`, `Expires`, `Max-Age` (which wins), `Secure`;
 *   `HttpOnly` and `SameSite` mean nothing without a browser and are ignored.
 * - Cookies belong to one origin (scheme, host and port; `ws:` counts as `http:`, `wss:` as
 *   `https:`) and go back to that origin only: `Domain` is accepted when it covers the host, but
 *   the cookie stays host-only (never sent to a sibling or parent domain); a `Domain` that does
 *   not cover the host drops the cookie (RFC 6265 §5.3 step 6).
 * - `Secure` cookies are kept and sent over `https:`/`wss:` only; the `__Secure-` and `__Host-`
 *   name prefixes are enforced (RFC 6265bis §4.1.3).
 * - At most {@link MAX_COOKIES_PER_ORIGIN} cookies per origin (the oldest goes), each at most
 *   {@link MAX_COOKIE_BYTES}: a misbehaving server cannot grow the jar without bound.
 *
 * Cookie values are credentials: nothing here logs them, and callers must not either.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265
 */

/** RFC 6265 §6.1 asks for at least 50 cookies per domain and 4096 bytes per cookie. */
export const MAX_COOKIES_PER_ORIGIN = 50;
/** The longest `Set-Cookie` value kept (name, value and attributes). */
export const MAX_COOKIE_BYTES = 4096;

interface Cookie {
  name: string;
  value: string;
  path: string;
  secure: boolean;
  /** Epoch ms; Infinity for a session cookie (kept as long as the jar). */
  expires: number;
  /** Order of creation, for the `Cookie` header's order (RFC 6265 §5.4 step 2). */
  created: number;
}

/** Cookies per origin, in memory only. One jar per transport, shared by its reconnects. */
export class CookieJar {
  readonly #origins = new Map<string, Cookie[]>();
  readonly #now: () => number;
  #created = 0;

  /** @param now the clock for `Expires`/`Max-Age` (injectable for tests). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How many cookies the jar holds (expired ones included until next looked at). */
  get size(): number {
    let count = 0;
    for (const cookies of this.#origins.values()) count += cookies.length;
    return count;
  }

  /**
   * Keeps what a response from `url` set: each `Set-Cookie` value, as undici (an array when
   * repeated) or node:http (always an array) hands it over. Invalid cookies are ignored.
   */
  store(url: URL, setCookie: string | readonly string[] | undefined): void {
    if (setCookie === undefined) return;
    for (const line of typeof setCookie === 'string' ? [setCookie] : setCookie) this.#storeOne(url, line);
  }

  /** The `Cookie` header value for a request to `url`, or undefined when no cookie applies. */
  header(url: URL): string | undefined {
    if (this.#origins.size === 0) return undefined;
    const key = originKey(url);
    const cookies = this.#origins.get(key);
    if (cookies === undefined) return undefined;
    const now = this.#now();
    const live = cookies.filter((cookie) => cookie.expires > now);
    if (live.length !== cookies.length) this.#set(key, live);
    const secure = isSecure(url);
    const path = url.pathname === '' ? '/' : url.pathname;
    const sent = live
      .filter((cookie) => (secure || !cookie.secure) && pathMatches(path, cookie.path))
      .sort((a, b) => b.path.length - a.path.length || a.created - b.created);
    if (sent.length === 0) return undefined;
    return sent.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  #storeOne(url: URL, line: string): void {
    if (line.length > MAX_COOKIE_BYTES) return;
    const [pair = '', ...attributes] = line.split(';');
    const equals = pair.indexOf('=');
    // RFC 6265 §5.2: no `=` or an empty name: ignore the whole line.
    if (equals <= 0) return;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (name === '' || hasControl(name) || hasControl(value) || /\s/.test(name)) return;

    const now = this.#now();
    let expires = Number.POSITIVE_INFINITY;
    let maxAge: number | undefined;
    let path: string | undefined;
    let secure = false;
    let domain: string | undefined;
    for (const attribute of attributes) {
      const at = attribute.indexOf('=');
      const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const val = at < 0 ? '' : attribute.slice(at + 1).trim();
      if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
      else if (key === 'expires') {
        const date = Date.parse(val);
        if (Number.isFinite(date)) expires = date;
      } else if (key === 'path') path = val.startsWith('/') ? val : undefined;
      else if (key === 'secure') secure = true;
      else if (key === 'domain' && val !== '') domain = val.replace(/^\./, '').toLowerCase();
    }
    if (maxAge !== undefined) expires = maxAge <= 0 ? Number.NEGATIVE_INFINITY : now + maxAge * 1000;

    const host = hostOf(url);
    if (domain !== undefined && host !== domain && !host.endsWith(`.${domain}`)) return;
    // A cookie that could never be sent back (Secure from a plain origin) is not kept.
    if (secure && !isSecure(url)) return;
    if (name.startsWith('__Secure-') && !secure) return;
    if (name.startsWith('__Host-') && (!secure || domain !== undefined || path !== '/')) return;

    const key = originKey(url);
    const cookiePath = path ?? defaultPath(url.pathname);
    const kept = (this.#origins.get(key) ?? []).filter(
      (cookie) => !(cookie.name === name && cookie.path === cookiePath) && cookie.expires > now,
    );
    if (expires > now) {
      this.#created += 1;
      kept.push({ name, value, path: cookiePath, secure, expires, created: this.#created });
      if (kept.length > MAX_COOKIES_PER_ORIGIN) kept.splice(0, kept.length - MAX_COOKIES_PER_ORIGIN);
    }
    this.#set(key, kept);
  }

  #set(key: string, cookies: Cookie[]): void {
    if (cookies.length === 0) this.#origins.delete(key);
    else this.#origins.set(key, cookies);
  }
}

/**
 * The headers with the jar's cookies for `url` added after any `Cookie` value already there
 * (a configured one); the same object when no cookie applies.
 */
export function withCookies(
  headers: Record<string, string>,
  jar: CookieJar,
  url: URL,
): Record<string, string> {
  const cookie = jar.header(url);
  if (cookie === undefined) return headers;
  const out: Record<string, string> = {};
  let merged = false;
  for (const [name, value] of Object.entries(headers)) {
    if (!merged && name.toLowerCase() === 'cookie') {
      out[name] = `${value}; ${cookie}`;
      merged = true;
    } else out[name] = value;
  }
  if (!merged) out.cookie = cookie;
  return out;
}

/** Control characters but tab, and DEL: a header cannot carry them back. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

function isSecure(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:';
}

/** The origin a cookie belongs to; a WebSocket URL shares its HTTP origin's cookies. */
function originKey(url: URL): string {
  const scheme = isSecure(url) ? 'https:' : 'http:';
  return `${scheme}//${url.host.toLowerCase()}`;
}

function hostOf(url: URL): string {
  return url.hostname.toLowerCase();
}

/** RFC 6265 §5.1.4: the directory of the request path. */
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
