/**
 * How the `lifeline` command signs in to a remote server: which targets get the CLI's
 * `OAuthClientProvider` (src/auth/cli-provider.ts, tokens in the per-user file store), with
 * which options (flags over the config file's `oauth` block), and the deadline of a command
 * that must not count the time a person takes to sign in.
 *
 * The rule: every http(s) target gets the provider, unless it carries its own `Authorization`
 * header (or a user and password in the URL), `--no-auth` is given, or it is plain http to
 * another machine (credentials never go there). A server that never answers 401 never starts a
 * sign-in, so the provider costs nothing there. A WebSocket target gets it only when asked
 * (an `oauth` block or a sign-in flag).
 */

import { type CliAuthProvider, createCliAuthProvider } from '../auth/cli-provider.js';
import { FileStore } from '../auth/file-store.js';
import { isLoopbackHost } from '../auth/http.js';
import type { OAuthBlock } from '../config/oauth.js';
import type { LifecycleStatus, LifelineTransport } from '../runtime/transport.js';
import { UsageError } from './args.js';
import { formatMs } from './output.js';
import type { SignInFlags } from './sign-in-flags.js';
import { StoredOnlyProvider } from './stored-provider.js';
import type { ResolvedTarget } from './target.js';

/** Where and how a command signs in. */
export interface SignInContext {
  /**
   * `true`: a person may sign in now (the browser, a pasted address, a device code).
   * `false` (`status`, `watch`): stored tokens only; a server that needs a sign-in shows
   * "authorization required".
   */
  interactive: boolean;
  /** Lines for the user (stderr); never a code or a token. */
  log: (line: string) => void;
  /** A terminal to read a pasted redirect address from; never the bridge's stdin. */
  pasteInput?: NodeJS.ReadableStream | undefined;
  /** The token store. Default: the per-user one (`LIFELINE_AUTH_DIR` moves it). */
  store?: FileStore | undefined;
}

/** A target with its sign-in attached (or not). */
export interface SignedTarget {
  target: ResolvedTarget;
  /** The provider, when one is attached. */
  provider: CliAuthProvider | undefined;
  /** Stops a sign-in in progress and frees its callback port. */
  close(): Promise<void>;
}

/** The `Registration`'s `client_name` (shown on the consent screen). */
const CLIENT_NAME = 'lifeline (mcp-lifeline)';

/** Why a target gets no provider, or undefined when it gets one. */
function noSignIn(target: ResolvedTarget, flags: SignInFlags): string | undefined {
  const config = target.config as {
    url?: unknown;
    headers?: Record<string, string>;
    allowInsecure?: boolean;
  };
  if (typeof config.url !== 'string' && !(config.url instanceof URL))
    return `sign-in applies to servers reached by URL; "${target.name}" is ${target.type}`;
  const url = new URL(String(config.url));
  if (Object.keys(config.headers ?? {}).some((name) => name.toLowerCase() === 'authorization'))
    return `"${target.name}" has its own Authorization header`;
  if (url.username !== '' || url.password !== '')
    return `"${target.name}" has a user and password in its URL`;
  const plain = url.protocol === 'http:' || url.protocol === 'ws:';
  if (plain && !isLoopbackHost(url.hostname) && config.allowInsecure !== true)
    return `"${target.name}" is plain ${url.protocol.slice(0, -1)} to another machine, where credentials are never sent`;
  const ws = url.protocol === 'ws:' || url.protocol === 'wss:';
  if (ws && target.oauth === undefined && !flags.explicit)
    return `"${target.name}" is a WebSocket server; give an oauth block or a sign-in flag to sign in to it`;
  return undefined;
}

/**
 * Attaches the CLI's provider to a target when the rule says so (see the module comment).
 *
 * @throws {UsageError} when sign-in flags are given for a target that cannot sign in, or a
 *   client credentials sign-in lacks its client.
 */
export function withSignIn(target: ResolvedTarget, flags: SignInFlags, context: SignInContext): SignedTarget {
  const none: SignedTarget = { target, provider: undefined, close: async () => undefined };
  if (flags.noAuth) return none;
  const why = noSignIn(target, flags);
  if (why !== undefined) {
    if (flags.explicit) throw new UsageError(`cannot sign in: ${why}`);
    return none;
  }
  const provider = createProvider(target, flags, context);
  const block: OAuthBlock = target.oauth ?? {};
  const authProvider = context.interactive ? provider : new StoredOnlyProvider(provider);
  const config = { ...target.config, authProvider } as ResolvedTarget['config'];
  if (block.resource === 'omit') (config as { oauth?: object }).oauth = { resource: 'omit' };
  return { target: { ...target, config }, provider, close: () => provider.close() };
}

/** The CLI provider of a URL target: flags over the `oauth` block. */
export function createProvider(
  target: ResolvedTarget,
  flags: SignInFlags,
  context: SignInContext,
): CliAuthProvider {
  const block: OAuthBlock = target.oauth ?? {};
  const clientId = flags.clientId ?? block.clientId;
  const clientSecret = flags.clientSecret ?? (flags.clientId === undefined ? block.clientSecret : undefined);
  const grant = flags.grant ?? block.grant ?? 'authorization_code';
  if (clientSecret !== undefined && clientId === undefined)
    throw new UsageError('--client-secret goes with --client-id (or the oauth block’s clientId)');
  if (grant === 'client_credentials' && (clientId === undefined || clientSecret === undefined))
    throw new UsageError(
      'client credentials need a client id and secret: --client-id and --client-secret, or the oauth block',
    );
  const url = String((target.config as { url: string | URL }).url);
  return createCliAuthProvider({
    serverUrl: url.replace(/^ws/i, 'http'),
    store: context.store ?? new FileStore(),
    callbackPort: flags.callbackPort ?? block.callbackPort,
    noBrowser: flags.noBrowser,
    clientName: CLIENT_NAME,
    scopes: block.scopes,
    staticClient:
      clientId === undefined
        ? undefined
        : { client_id: clientId, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }) },
    grant,
    signInTimeoutMs: flags.signInTimeoutMs,
    pasteInput: context.interactive ? context.pasteInput : undefined,
    log: context.log,
  });
}

/**
 * Races `promise` against a deadline of `ms` that stops while the transport waits for a
 * sign-in (`status.authorization === 'waiting'`, bounded by its own timeout) and starts afresh
 * when the sign-in ends: a person signing in is not a server that does not answer.
 */
export function withSignInDeadline<T>(
  promise: Promise<T>,
  transport: LifelineTransport,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => undefined;
  const deadline = new Promise<never>((_, reject) => {
    const arm = (status: LifecycleStatus): void => {
      clearTimeout(timer);
      timer = undefined;
      if (status.authorization === 'waiting') return;
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
    };
    let waiting = transport.status.authorization === 'waiting';
    arm(transport.status);
    unsubscribe = transport.subscribe((status) => {
      const now = status.authorization === 'waiting';
      if (now !== waiting) arm(status);
      waiting = now;
    });
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
    unsubscribe();
  });
}

/**
 * Prints a line when the transport starts waiting for a sign-in (once per sign-in; how it ends
 * shows in what follows: the connection opens, or fails with the reason). Returns the
 * unsubscribe function.
 */
export function reportSignIn(
  transport: LifelineTransport,
  name: string,
  timeoutMs: number,
  progress: (line: string) => void,
): () => void {
  let waiting = false;
  return transport.subscribe((status) => {
    const now = status.authorization === 'waiting';
    if (now === waiting) return;
    waiting = now;
    if (now) progress(`${name} requires sign-in; waiting for it (up to ${minutes(timeoutMs)})`);
  });
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : formatMs(ms);
}

/**
 * The provider's lines on stderr, after the command's name; an indented line (the address to
 * open) as it is, so it can be copied whole.
 */
export function signInLog(command: string): (line: string) => void {
  return (line) => {
    process.stderr.write(/^\s/.test(line) ? `${line}\n` : `lifeline ${command}: ${line}\n`);
  };
}
