/**
 * The token requests: the authorization code grant (with PKCE) and the refresh grant, both
 * with the RFC 8707 `resource`, made and checked by oauth4webapi; their failures as typed
 * errors.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#token-handling
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError, LinkError } from '../errors.js';
import type { ClientRecord } from './client-identity.js';
import { describe } from './discovery.js';
import type { AuthHttp } from './http.js';
import type { OAuthTokensLike } from './types.js';

/** Tokens with what the keeper knows about their life. */
export interface TokenSet {
  tokens: OAuthTokensLike;
  /** When the access token expires (ms since the epoch), when the server said (`expires_in`). */
  expiresAt: number | undefined;
  /** When lifeline received it (ms since the epoch). */
  obtainedAt: number;
}

/** What every grant needs. */
export interface GrantContext {
  as: oauth.AuthorizationServer;
  record: ClientRecord;
  auth: oauth.ClientAuth;
  /** The RFC 8707 `resource`, sent on every token request when set (2025-11-25 §Resource Parameter). */
  resource: string | undefined;
  http: AuthHttp;
  now: () => number;
}

function tokenEndpoint(ctx: GrantContext): URL {
  const endpoint = ctx.as.token_endpoint;
  if (endpoint === undefined)
    throw new AuthorizationError(
      'discovery',
      `The authorization server ${ctx.as.issuer} names no token endpoint`,
    );
  const url = new URL(endpoint);
  ctx.http.assertSecure(url, 'The token endpoint');
  return url;
}

/** A token response as a {@link TokenSet}; a refresh without a new refresh token keeps the old one. */
export function tokenSet(
  response: oauth.TokenEndpointResponse,
  now: number,
  previousRefresh?: string,
): TokenSet {
  const tokens: OAuthTokensLike = {
    access_token: response.access_token,
    // oauth4webapi lower-cases it; the header scheme (and the SDK's stored shape) is `Bearer`.
    token_type: response.token_type === 'bearer' ? 'Bearer' : response.token_type,
  };
  if (response.expires_in !== undefined) tokens.expires_in = response.expires_in;
  const refresh = response.refresh_token ?? previousRefresh;
  if (refresh !== undefined) tokens.refresh_token = refresh;
  if (response.scope !== undefined) tokens.scope = response.scope;
  if (response.id_token !== undefined) tokens.id_token = response.id_token;
  return {
    tokens,
    expiresAt: response.expires_in === undefined ? undefined : now + response.expires_in * 1000,
    obtainedAt: now,
  };
}

/**
 * Exchanges an authorization code (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5).
 * `callback` must come from `validateAuthResponse`.
 */
export async function exchangeCode(
  ctx: GrantContext,
  callback: URLSearchParams,
  redirectUri: string,
  verifier: string,
): Promise<TokenSet> {
  const endpoint = tokenEndpoint(ctx);
  const options: oauth.TokenEndpointRequestOptions = { ...ctx.http.options(endpoint) };
  if (ctx.resource !== undefined) options.additionalParameters = { resource: ctx.resource };
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      ctx.as,
      ctx.record.client,
      ctx.auth,
      callback,
      redirectUri,
      verifier,
      options,
    );
    return tokenSet(
      await oauth.processAuthorizationCodeResponse(ctx.as, ctx.record.client, response),
      ctx.now(),
    );
  } catch (error) {
    throw tokenError(error, 'The authorization code exchange');
  }
}

/**
 * Refreshes (RFC 6749 §6) with the same `resource`, and `scope` when given (never wider than
 * granted). A server that returns no new refresh token leaves the old one in use.
 */
export async function refreshTokens(
  ctx: GrantContext,
  refreshToken: string,
  scope: string | undefined,
): Promise<TokenSet> {
  const endpoint = tokenEndpoint(ctx);
  const options: oauth.TokenEndpointRequestOptions = { ...ctx.http.options(endpoint) };
  const extra: Record<string, string> = {};
  if (ctx.resource !== undefined) extra.resource = ctx.resource;
  if (scope !== undefined) extra.scope = scope;
  options.additionalParameters = extra;
  try {
    const response = await oauth.refreshTokenGrantRequest(
      ctx.as,
      ctx.record.client,
      ctx.auth,
      refreshToken,
      options,
    );
    const answer = await oauth.processRefreshTokenResponse(ctx.as, ctx.record.client, response);
    return tokenSet(answer, ctx.now(), refreshToken);
  } catch (error) {
    throw tokenError(error, 'The token refresh');
  }
}

/** A token request's failure: the server's OAuth error, a network failure (retryable), or a broken answer. */
export function tokenError(error: unknown, what: string): LinkError {
  if (error instanceof LinkError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    return new AuthorizationError('token', `${what} was refused: ${error.error}`, {
      oauthError: error.error,
      retryable: error.status >= 500,
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new AuthorizationError('token', `${what} was refused: the client authentication failed`, {
      oauthError: 'invalid_client',
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === oauth.HTTP_REQUEST_FORBIDDEN || code === oauth.REQUEST_PROTOCOL_FORBIDDEN) {
    return new AuthorizationError(
      'insecure',
      `${what} would use plain http; the token endpoint must use https`,
    );
  }
  return new AuthorizationError('token', `${what} failed: ${describe(error)}`);
}
