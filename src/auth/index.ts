/**
 * MCP authorization for lifeline's transports: the keeper a transport with an `authProvider`
 * hands its links. The OAuth protocol itself is oauth4webapi's; this folder holds the MCP
 * order of discovery and choice, and the token keeper.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import type { Dispatcher } from 'undici';
import type { LinkAuth } from '../link/contract.js';
import { BearerAuth } from './bearer.js';
import { createAuthHttp } from './http.js';
import { TokenKeeper } from './keeper.js';
import {
  type AnyAuthProvider,
  type AuthProviderLike,
  isOAuthClientProvider,
  type OAuthOptions,
} from './types.js';

export { BearerAuth } from './bearer.js';
export { parseChallenge } from './challenge.js';
export { TokenKeeper } from './keeper.js';
export { freshWindow, MAX_FRESH_REFUSALS, refreshSkew } from './token-lifetimes.js';
export type {
  AnyAuthProvider,
  AuthProviderLike,
  ClientInformationLike,
  ClientMetadataLike,
  DiscoveryStateLike,
  OAuthClientProviderLike,
  OAuthOptions,
  OAuthTokensLike,
} from './types.js';
export { isAuthProvider, isOAuthClientProvider } from './types.js';

/** What {@link createLinkAuth} needs. */
export interface LinkAuthConfig {
  /** The MCP server's URL (the protected resource). */
  serverUrl: URL;
  provider: AnyAuthProvider;
  oauth?: OAuthOptions | undefined;
  /** The transport's `allowInsecure`: plain http to non-loopback authorization servers. */
  allowInsecure?: boolean | undefined;
  /** A dispatcher (proxy agent) for the authorization requests. */
  dispatcher?: Dispatcher | undefined;
  /** Keeps a value out of logs and errors. */
  secret?: ((value: string) => void) | undefined;
  now?: (() => number) | undefined;
  /** Hears when a managed sign-in starts and ends (the status's `authorization: 'waiting'`). */
  onSignIn?: ((waiting: boolean) => void) | undefined;
}

/** What a transport holds: its links' auth, and `finishAuth`. */
export interface TransportAuth extends LinkAuth {
  /** `transport.finishAuth(...)`. */
  completeAuthorization(codeOrParams: string | URLSearchParams, iss?: string): Promise<void>;
}

/**
 * The auth of one transport: a {@link TokenKeeper} for an `OAuthClientProvider`, a
 * {@link BearerAuth} for SDK v2's minimal `AuthProvider`.
 */
export function createLinkAuth(config: LinkAuthConfig): TransportAuth {
  const http = createAuthHttp({ dispatcher: config.dispatcher, allowInsecure: config.allowInsecure });
  const provider = config.provider;
  if (!isOAuthClientProvider(provider))
    return new BearerAuth(provider as AuthProviderLike, config.serverUrl, http.fetch, config.secret);
  return new TokenKeeper({
    serverUrl: config.serverUrl,
    provider,
    oauth: config.oauth,
    http,
    secret: config.secret,
    now: config.now,
    onSignIn: config.onSignIn,
  });
}
