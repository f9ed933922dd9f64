/**
 * `lifeline auth login <target>`: signs in to a server now, going no further than the sign-in
 * needs. One request without a token (or with the stored one) finds out whether the server
 * asks for authorization, and its 401 challenge starts the flow exactly as a connection's
 * would (src/auth: discovery, registration, the browser or the device code); no MCP session
 * is opened.
 */

import { fetch } from 'undici';
import type { CliAuthProvider } from '../auth/cli-provider.js';
import { createLinkAuth, type TransportAuth } from '../auth/index.js';
import { authDispatcher } from '../runtime/lifecycle/links.js';
import { UsageError } from './args.js';
import { signInLog, withSignIn } from './sign-in.js';
import type { SignInFlags } from './sign-in-flags.js';
import type { ResolvedTarget } from './target.js';

/** How a login ended. */
export interface LoginOutcome {
  /** `signed-in` now; `already` (the stored tokens work); `open` (the server asks for no sign-in). */
  result: 'signed-in' | 'already' | 'open';
  issuer: string | undefined;
  scope: string | undefined;
  expiresAt: number | undefined;
  refreshToken: boolean;
}

/** How long the probe request may take. */
const PROBE_TIMEOUT_MS = 30_000;

/** A request with no effect (a JSON-RPC `ping` outside a session): only its status matters. */
async function probe(url: URL, authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (authorization !== undefined) headers.authorization = authorization;
  const dispatcher = authDispatcher();
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 'lifeline-auth-login', method: 'ping' }),
    redirect: 'manual',
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    ...(dispatcher === undefined ? {} : { dispatcher }),
  });
  await response.body?.cancel();
  return response as unknown as Response;
}

/**
 * Signs in to `target` now (see the module comment).
 *
 * @throws {UsageError} for a target that cannot sign in.
 * @throws {LifelineError} when the sign-in fails (`AuthorizationError`, or a network error).
 */
export async function login(target: ResolvedTarget, flags: SignInFlags): Promise<LoginOutcome> {
  const signed = withSignIn(
    target,
    { ...flags, explicit: true },
    {
      interactive: true,
      log: signInLog('auth login'),
      pasteInput: process.stdin.isTTY === true ? process.stdin : undefined,
    },
  );
  const provider = signed.provider;
  if (provider === undefined) throw new UsageError(`cannot sign in to "${target.name}"`);
  const config = signed.target.config as { url: string | URL; allowInsecure?: boolean; oauth?: object };
  const url = new URL(String(config.url).replace(/^ws/i, 'http'));
  const auth = createLinkAuth({
    serverUrl: url,
    provider,
    oauth: config.oauth,
    allowInsecure: config.allowInsecure,
    dispatcher: authDispatcher(),
  });
  try {
    return await signIn(auth, provider, url, /^wss?:/i.test(String(config.url)));
  } finally {
    await signed.close();
  }
}

async function signIn(
  auth: TransportAuth,
  provider: CliAuthProvider,
  url: URL,
  webSocket: boolean,
): Promise<LoginOutcome> {
  let signedIn = false;
  for (let attempt = 0; ; attempt += 1) {
    const sent = await auth.authorization();
    // A WebSocket server refuses the upgrade, not a POST: its challenge is not asked for.
    const response = webSocket ? undefined : await probe(url, sent);
    const refused = webSocket ? sent === undefined : response?.status === 401;
    if (!refused) {
      if (sent === undefined) return outcome(provider, 'open');
      return outcome(provider, signedIn ? 'signed-in' : 'already');
    }
    if (attempt >= 2)
      throw new Error(`${url.origin}${url.pathname} still refuses the tokens it was given after the sign-in`);
    await auth.challenged({
      status: 401,
      wwwAuthenticate: response?.headers.get('www-authenticate') ?? undefined,
      sent,
      what: webSocket ? 'upgrade' : 'POST',
    });
    signedIn = true;
  }
}

async function outcome(provider: CliAuthProvider, result: LoginOutcome['result']): Promise<LoginOutcome> {
  const tokens = result === 'open' ? undefined : await provider.tokens();
  return {
    result,
    issuer: tokens?.issuer,
    scope: tokens?.scope,
    expiresAt: tokens?.expires_at,
    refreshToken: tokens?.refresh_token !== undefined,
  };
}
