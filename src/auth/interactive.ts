/**
 * A person signing in from the command line: the loopback callback (callback-server.ts), the
 * browser, the printed URL, a pasted redirect URL, and the time limit.
 *
 * - The callback listens on 127.0.0.1 at a port derived from the server URL (stable, so the
 *   registered redirect URI stays valid from one run to the next) unless one is given (RFC 8252
 *   §7.3 loopback redirect; §8.3: 127.0.0.1, not `localhost`).
 * - The authorization URL is always printed (to the `log` the caller gives: stderr), and the
 *   browser is opened with `open` unless `noBrowser`: over SSH or in a container, the user
 *   opens the printed URL elsewhere and pastes back the address the browser ends on, when the
 *   caller passes a terminal as `pasteInput` (never the bridge's stdin, which carries protocol).
 * - A second lifeline signing in to the same server waits for the first (one browser tab), then
 *   asks `signedInElsewhere()` whether the tokens are in the store; if not, it takes over.
 * - Nothing printed carries a code or a token; the authorization URL carries only the `state`
 *   and the PKCE challenge, both single-use.
 */

import { createInterface } from 'node:readline';
import { AuthorizationError } from '../errors.js';
import {
  CALLBACK_PATH,
  type CallbackListener,
  claimCallbackPort,
  type PortClaim,
} from './callback-server.js';
import { normalizeServerUrl, serverKey, shortHash } from './paths.js';

/** How long a sign-in may take by default: 5 minutes. */
export const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000;
/** The range callback ports are derived into. */
export const CALLBACK_PORT_RANGE = { min: 20_000, max: 29_999 } as const;
/** How long the port stays held after the callback, for the tokens to be stored ({@link SignIn.finish}). */
const DEFAULT_HOLD_MS = 60_000;

/** The callback port of a server: a stable hash of its normalized URL into {@link CALLBACK_PORT_RANGE}. */
export function callbackPortFor(serverUrl: string | URL): number {
  const { min, max } = CALLBACK_PORT_RANGE;
  return min + (Number.parseInt(shortHash(normalizeServerUrl(serverUrl), 8), 16) % (max - min + 1));
}

/** The loopback redirect URI for a port: `http://127.0.0.1:<port>/oauth/callback`. */
export function loopbackRedirectUri(port: number): string {
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
}

/** How a sign-in ended well: this process got the callback, or another lifeline stored the tokens. */
export type SignInOutcome = { kind: 'callback'; params: URLSearchParams } | { kind: 'shared' };

/** Options of {@link startSignIn}. */
export interface SignInOptions {
  /** The MCP server signed in to (its host is shown; its hash identifies the sign-in to other processes). */
  serverUrl: string | URL;
  /** Where the user signs in; must carry `state`. */
  authorizationUrl: URL;
  /** The callback port (the redirect URI's). */
  port: number;
  /** Give up after this long. Default {@link DEFAULT_SIGN_IN_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Only print the URL. */
  noBrowser?: boolean | undefined;
  /** Opens a URL in the browser. Default: the `open` package. */
  openBrowser?: ((url: string) => Promise<unknown>) | undefined;
  /** A terminal to read a pasted redirect URL from (only a TTY that is not the bridge's stdin). */
  pasteInput?: NodeJS.ReadableStream | undefined;
  /** Lines for the user (stderr). Receives the authorization URL; never a code or a token. */
  log: (line: string) => void;
  /** After another lifeline's sign-in ended: are the tokens in the store now? */
  signedInElsewhere?: (() => Promise<boolean>) | undefined;
  /** How long the port stays held after the callback when `finish()` is not called. Default 60 s. */
  holdMs?: number | undefined;
}

/** A sign-in in progress. */
export interface SignIn {
  /** The `state` of the authorization URL. */
  readonly state: string;
  /** Resolves when the callback arrives or another process signed in; rejects on timeout or cancel. */
  readonly outcome: Promise<SignInOutcome>;
  /** The tokens are stored: release the port now (other processes waiting read the store). */
  finish(): Promise<void>;
  /** Give up: the outcome rejects (unless already settled) and the port is released. */
  cancel(): Promise<void>;
}

/**
 * Starts a sign-in: claims the callback port (or finds another lifeline signing in to the same
 * server), prints the authorization URL, opens the browser. Resolves once that is done; the
 * result arrives through {@link SignIn.outcome}. Rejects with an `AuthorizationError` when the
 * port belongs to another program.
 */
export async function startSignIn(options: SignInOptions): Promise<SignIn> {
  const state = options.authorizationUrl.searchParams.get('state');
  if (state === null || state === '') {
    throw new AuthorizationError(
      'callback',
      'The authorization URL carries no state; refusing to wait for its callback',
    );
  }
  const key = serverKey(options.serverUrl);
  const claim = await claimCallbackPort(options.port, key);
  return new InteractiveSignIn(options, state, key, claim);
}

class InteractiveSignIn implements SignIn {
  readonly state: string;
  readonly outcome: Promise<SignInOutcome>;
  readonly #options: SignInOptions;
  readonly #key: string;
  readonly #host: string;
  readonly #abort = new AbortController();
  #listener: CallbackListener | undefined;
  #holdTimer: NodeJS.Timeout | undefined;

  constructor(options: SignInOptions, state: string, key: string, claim: PortClaim) {
    this.#options = options;
    this.state = state;
    this.#key = key;
    this.#host = new URL(options.serverUrl).host;
    this.outcome = this.#run(claim);
    // The caller may never ask (it gave up first); a rejection must not go unhandled.
    this.outcome.catch(() => undefined);
  }

  async finish(): Promise<void> {
    clearTimeout(this.#holdTimer);
    await this.#listener?.close();
  }

  async cancel(): Promise<void> {
    this.#abort.abort(new AuthorizationError('callback', `Sign-in to ${this.#host} was cancelled`));
    await this.finish();
  }

  async #run(claim: PortClaim): Promise<SignInOutcome> {
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS;
    const timer = setTimeout(() => {
      this.#abort.abort(
        new AuthorizationError(
          'callback',
          `Sign-in to ${this.#host} did not complete within ${duration(timeoutMs)}`,
        ),
      );
    }, timeoutMs);
    try {
      const outcome = await Promise.race([this.#loop(claim), aborted(this.#abort.signal)]);
      if (outcome.kind === 'callback') this.#hold();
      return outcome;
    } catch (error) {
      await this.#listener?.close();
      throw error;
    } finally {
      clearTimeout(timer);
      if (!this.#abort.signal.aborted) this.#abort.abort(); // stops the paste reader and long polls
    }
  }

  async #loop(first: PortClaim): Promise<SignInOutcome> {
    const { log, port } = this.#options;
    for (let claim = first; ; claim = await claimCallbackPort(port, this.#key)) {
      if (claim.kind === 'listening') {
        if (this.#abort.signal.aborted) {
          // Took the port over after the time ran out: give it back at once.
          await claim.listener.close();
          return aborted(this.#abort.signal);
        }
        this.#listener = claim.listener;
        // Expect the callback before the browser opens: a signed-in browser can come back at once.
        const callback = Promise.race([claim.listener.waitFor(this.state), this.#readPaste()]);
        await this.#announce();
        const params = await callback;
        log('Sign-in response received.');
        return { kind: 'callback', params };
      }
      log(
        `Another lifeline process is signing in to ${this.#host} (callback port ${port}); ` +
          'waiting for it instead of opening a second browser tab.',
      );
      await claim.wait(this.#abort.signal);
      if (this.#abort.signal.aborted) return aborted(this.#abort.signal);
      if ((await this.#options.signedInElsewhere?.()) === true) {
        log(`Signed in to ${this.#host} by the other lifeline process.`);
        return { kind: 'shared' };
      }
    }
  }

  async #announce(): Promise<void> {
    const { log, authorizationUrl, timeoutMs } = this.#options;
    log(`Sign in to ${this.#host} in your browser. If it does not open, open this address:`);
    log(`  ${authorizationUrl.href}`);
    if (this.#options.pasteInput !== undefined) {
      log(
        'If your browser runs on another machine (SSH, a container), sign in there, then paste here the ' +
          `address it ends on (${loopbackRedirectUri(this.#options.port)}?...) and press Enter.`,
      );
    }
    log(`Waiting up to ${duration(timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS)} for the sign-in...`);
    if (this.#options.noBrowser === true) return;
    try {
      await (this.#options.openBrowser ?? openWithDefaultBrowser)(authorizationUrl.href);
    } catch {
      // The reason (no display, no xdg-open) says nothing the user can act on beyond this.
      log('Could not open a browser; open the address above yourself.');
    }
  }

  /** Resolves with the query of a pasted redirect URL carrying this sign-in's state; never when none is given. */
  #readPaste(): Promise<URLSearchParams> {
    const input = this.#options.pasteInput;
    if (input === undefined) return new Promise(() => {});
    return new Promise((resolve) => {
      const lines = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
      const stop = (): void => lines.close();
      this.#abort.signal.addEventListener('abort', stop, { once: true });
      lines.on('line', (line) => {
        const params = pastedParams(line, this.state);
        if (params === undefined) {
          if (line.trim() !== '') {
            this.#options.log(
              "That is not this sign-in's redirect address; paste the whole address from the browser's address bar.",
            );
          }
          return;
        }
        stop();
        resolve(params);
      });
    });
  }

  /** Keeps the port (so a second process keeps waiting) until finish(), at most `holdMs`. */
  #hold(): void {
    this.#holdTimer = setTimeout(() => void this.#listener?.close(), this.#options.holdMs ?? DEFAULT_HOLD_MS);
    this.#holdTimer.unref();
  }
}

/** What a device authorization response (RFC 8628 §3.2) gives the user; the `device_code` stays out. */
export interface DeviceAuthorizationInfo {
  verification_uri: string;
  verification_uri_complete?: string | undefined;
  user_code: string;
  /** Seconds the code stays valid. */
  expires_in: number;
}

/**
 * Tells the user where to enter the device code (RFC 8628 §3.3): always printed, and
 * `verification_uri_complete` (the code already filled in) opened in the browser unless
 * `noBrowser`. The user code is meant to be shown; the device code never is.
 */
export async function announceDeviceAuthorization(
  info: DeviceAuthorizationInfo,
  options: Pick<SignInOptions, 'serverUrl' | 'log' | 'noBrowser' | 'openBrowser'>,
): Promise<void> {
  const { log } = options;
  log(`To sign in to ${new URL(options.serverUrl).host}, open ${info.verification_uri} on any device`);
  log(`and enter the code ${info.user_code} (valid for ${duration(info.expires_in * 1000)}).`);
  if (info.verification_uri_complete !== undefined) log(`Or open: ${info.verification_uri_complete}`);
  if (options.noBrowser === true) return;
  try {
    await (options.openBrowser ?? openWithDefaultBrowser)(
      info.verification_uri_complete ?? info.verification_uri,
    );
  } catch {
    // No browser here is the usual case for this grant; the lines above are enough.
  }
}

/** The query of a pasted line, when it is a URL of this sign-in's callback (right state, a code or an error). */
function pastedParams(line: string, state: string): URLSearchParams | undefined {
  let url: URL;
  try {
    url = new URL(line.trim());
  } catch {
    return undefined;
  }
  const params = url.searchParams;
  return params.get('state') === state && (params.has('code') || params.has('error')) ? params : undefined;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function openWithDefaultBrowser(url: string): Promise<void> {
  const { default: open } = await import('open');
  const child = await open(url);
  // After it spawned, `open` stops listening for errors; one must not end this process.
  child.on('error', () => undefined);
}

function duration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
