// A headless stand-in for the user's browser: it follows an authorization URL over real HTTP (undici's
// fetch, redirects handled by hand, cookies kept in a small jar), signs in and consents on oidc-provider's
// development interaction pages by submitting their forms, and stops at the redirect to the client's
// redirect_uri. It returns that callback URL without requesting it: the test decides whether it goes to a
// loopback callback server, to finishAuth, or nowhere.

import { fetch } from 'undici';

/** How far a flow may go before the stand-in gives up (a real flow needs about eight requests). */
const MAX_STEPS = 25;

/** Cookies by name and path, for one host (the stand-in only ever talks to one loopback server). */
export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string; expires: number }>();

  /** Stores the `Set-Cookie` headers of a response to `url` (RFC 6265 §5.2, the parts servers here use). */
  store(url: URL, setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      let expires = Infinity;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=', 2).map((s) => s.trim());
        if (key.toLowerCase() === 'path' && val.startsWith('/')) path = val;
        else if (key.toLowerCase() === 'expires') expires = Date.parse(val);
        else if (key.toLowerCase() === 'max-age') expires = Date.now() + Number(val) * 1000;
      }
      const key = `${name}\n${path}`;
      if (expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path, expires });
    }
  }

  /** The `Cookie` header for a request to `url`, or undefined when no cookie applies. */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = [...this.#cookies.values()].filter(
      (c) =>
        c.expires > now &&
        (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
    // RFC 6265 §5.4: longer paths first.
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.length === 0 ? undefined : matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

export interface BrowserOptions {
  /** The account to sign in as (devInteractions accept any login and password). Default `alice`. */
  login?: string;
  /** Approve the consent (default) or abort it, which sends the client `error=access_denied`. */
  consent?: boolean;
  /** Cookies to use and keep; pass the same jar again to act as one browser with a live session. */
  jar?: CookieJar;
}

interface Form {
  action: string;
  fields: Map<string, string>;
}

const decodeHtml = (value: string) =>
  value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCharCode(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of tag.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) {
    out.set((match[1] ?? '').toLowerCase(), decodeHtml(match[2] ?? ''));
  }
  return out;
}

/** The first form of a page with its named inputs' values (what a browser would submit unchanged). */
function firstForm(html: string, base: URL): Form | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (match === null) return undefined;
  const action = attributes(match[1] ?? '').get('action');
  const fields = new Map<string, string>();
  for (const input of (match[2] ?? '').matchAll(/<input\b[^>]*>/gi)) {
    const attrs = attributes(input[0]);
    const name = attrs.get('name');
    if (name !== undefined) fields.set(name, attrs.get('value') ?? '');
  }
  return { action: new URL(action ?? base.href, base).href, fields };
}

/** Fills a devInteractions or device-flow form the way the user would. */
function fill(form: Form, options: BrowserOptions): void {
  const { fields } = form;
  if (fields.get('prompt') === 'login') {
    fields.set('login', options.login ?? 'alice');
    fields.set('password', 'any');
  }
  // The device-flow confirmation form: abort instead of confirm when the user declines.
  if (fields.get('confirm') === 'yes' && options.consent === false) {
    fields.delete('confirm');
    fields.set('abort', 'yes');
  }
}

function pageError(status: number, html: string): string {
  const text = (id: string) => decodeHtml(new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1] ?? '');
  const error = text('error');
  return error === '' ? `HTTP ${status}` : `HTTP ${status} ${error}: ${text('error_description')}`;
}

type Outcome = { kind: 'redirect'; url: URL } | { kind: 'page'; url: URL; html: string };

/**
 * Walks from `start` through redirects and forms until `leaves(url)` says a redirect goes where the stand-in
 * must stop, or a page without a form ends the walk.
 */
async function walk(start: URL, options: BrowserOptions, leaves: (url: URL) => boolean): Promise<Outcome> {
  const jar = options.jar ?? new CookieJar();
  let url = start;
  let body: URLSearchParams | undefined;
  // After declining, the next page is the end: the server shows what it shows (an error, the code form).
  let declined = false;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const headers: Record<string, string> = {};
    const cookie = jar.header(url);
    if (cookie !== undefined) headers.cookie = cookie;
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    jar.store(url, res.headers.getSetCookie());
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      const next = new URL(location, url);
      if (leaves(next)) return { kind: 'redirect', url: next };
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 && !declined)
      throw new Error(`authorization stand-in: ${url.pathname} answered ${pageError(res.status, html)}`);
    const form = firstForm(html, url);
    if (form === undefined || declined) return { kind: 'page', url, html };
    // The consent page offers an abort link next to its form; declining follows it (devInteractions).
    if (form.fields.get('prompt') === 'consent' && options.consent === false) {
      declined = true;
      url = new URL(`${url.pathname.replace(/\/$/, '')}/abort`, url);
      continue;
    }
    fill(form, options);
    if (form.fields.has('abort')) declined = true;
    url = new URL(form.action);
    body = new URLSearchParams([...form.fields]);
  }
  throw new Error(`authorization stand-in: no end after ${MAX_STEPS} requests (last: ${url.pathname})`);
}

/**
 * Follows `authorizationUrl` as a user's browser would (sign in as `login`, consent or decline) and returns
 * the URL the authorization server redirects to: the client's `redirect_uri` with `code`, `state` and `iss`
 * (RFC 9207), or with `error`. It does not request that URL. Throws when the server shows an error page
 * instead of redirecting (for example an unregistered redirect_uri).
 * @example
 * const callback = await followAuthorization(url, { login: 'alice' });
 * await transport.finishAuth(callback.searchParams);
 */
export async function followAuthorization(
  authorizationUrl: string | URL,
  options: BrowserOptions = {},
): Promise<URL> {
  const start = new URL(authorizationUrl);
  const redirectUri = start.searchParams.get('redirect_uri');
  const target = redirectUri === null ? undefined : new URL(redirectUri);
  // Stop at the redirect_uri (same origin and path) or, when the request does not name one, anywhere off
  // the authorization server.
  const leaves = (url: URL) =>
    target === undefined
      ? url.origin !== start.origin
      : url.origin === target.origin && url.pathname === target.pathname;
  const outcome = await walk(start, options, leaves);
  if (outcome.kind === 'redirect') return outcome.url;
  throw new Error(
    `authorization stand-in: stopped at ${outcome.url.pathname} without a redirect to the client`,
  );
}

/**
 * Completes a device authorization (RFC 8628 §3.3) as the user on another device would: opens
 * `verification_uri_complete`, confirms the code, signs in and consents (or declines with
 * `consent: false`). Resolves once the server shows its success page (or, declining, once it refused);
 * the polling client then gets tokens (or access_denied).
 */
export async function completeDeviceAuthorization(
  verificationUriComplete: string | URL,
  options: BrowserOptions = {},
): Promise<void> {
  const start = new URL(verificationUriComplete);
  const outcome = await walk(start, options, (url) => url.origin !== start.origin);
  const succeeded = outcome.kind === 'page' && /<title>Sign-in Success<\/title>/.test(outcome.html);
  if (succeeded === (options.consent !== false)) return;
  const where =
    outcome.kind === 'page' ? pageError(200, outcome.html) : `a redirect to ${outcome.url.origin}`;
  throw new Error(`authorization stand-in: the device flow ended with ${succeeded ? 'success' : where}`);
}
