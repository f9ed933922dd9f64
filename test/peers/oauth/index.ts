// The OAuth test rig (issue 15): a real authorization server, an MCP server that demands its tokens, and a
// headless browser stand-in, all on loopback in the test process, plain http (oauth4webapi clients need
// `allowInsecureRequests`, which lifeline grants for loopback endpoints only).
//
//   const rig = await startOAuthRig();                      // afterAll: await rig.close()
//   rig.authServer   startAuthServer(options?): Promise<AuthServer>                       auth-server.ts
//     .issuer 'http://127.0.0.1:<port>' (.url, .port, .jwksUri)   oidc-provider 9.13: dynamic registration
//     (RFC 7591), PKCE S256 required for every client, resource indicators (RFC 8707) issuing JWT access
//     tokens (RFC 9068, aud = resource) that live `accessTokenTtl` seconds (default 2; a JWT's `exp` is in
//     whole seconds, so one is accepted for between ttl-1 and ttl seconds), refresh tokens with
//     `offline_access` (+ prompt=consent) rotating for public clients (reuse of a rotated one revokes the
//     whole grant), RFC 9207 `iss`, token auth none / client_secret_basic / client_secret_post, device flow
//     (RFC 8628), client credentials, revocation (RFC 7009), metadata at both well-known URLs.
//     options: {accessTokenTtl=2, refreshTokenTtl=86400, resources, refreshTokens='offline_access'|'always',
//       rotateRefreshTokens='public'|'always'|'never', defaultResource, registration, deviceFlow,
//       clientCredentials, clients (pre-registered), oauthMetadata}
//     .stats(): AuthServerStats   {tokenRequests, registrations, authorizations, grants{by grant_type},
//                                  refreshes, refreshReuse, tokenErrors{by error}, revokedGrants, requests}
//     .events: AuthServerEvent[]  {type, at, clientId?, grantId?, grantType?, resource?, scope?, prompt?,
//                                  error?, detail?, route?}; .onEvent(listener): unsubscribe
//     .refreshCount({clientId?, grantId?}): number
//     .revoke({refreshToken} | {grantId} | {clientId}): Promise<number>   → next refresh: invalid_grant
//     .setTokenTtl(seconds) · .addResource(resource, scopes?) · .close()
//   rig.mcpServer    startMcpResourceServer({authServer, ...}): Promise<McpResourceServer>  resource-server.ts
//     .url (= .resource) 'http://127.0.0.1:<port>/mcp', .resourceMetadataUrl (RFC 9728, path-aware)
//     The v2 SDK's createMcpHandler (both eras) behind its requireBearerAuth, tokens checked with jose
//     (signature via JWKS, iss, aud, exp); refused: 401 `WWW-Authenticate: Bearer error="invalid_token",
//     error_description="…", scope="mcp:tools", resource_metadata="…"`.
//     Tools: echo {message}, sleep {ms}, whoami {}, admin {} (needs mcp:admin: 403 insufficient_scope).
//     options: {path='/mcp', requiredScopes=['mcp:tools'], metadataAt='path'|'root', challengeMetadata=true,
//       legacy='stateless'|'reject', port}
//     .stats(): {requests, mcpRequests, metadataRequests, authorized, unauthorized, forbidden,
//                refusals{missing|expired|audience|issuer|signature|malformed|scope}, clients, methods, starts}
//     .stop() (cuts connections) · .start() (same port) · .restart({downMs?}) · .close()
//   followAuthorization(url, {login?, consent?, jar?}): Promise<URL>                        browser.ts
//     Follows the authorization URL through sign-in and consent (undici fetch, manual redirects, a cookie
//     jar) and returns the redirect to the client's redirect_uri (code, state, iss), without requesting it.
//   completeDeviceAuthorization(verificationUriComplete, {login?, consent?}): Promise<void>  browser.ts

import { type AuthServer, type AuthServerOptions, startAuthServer } from './auth-server.js';
import {
  type McpResourceServer,
  type McpResourceServerOptions,
  startMcpResourceServer,
} from './resource-server.js';

export type { StaticClient } from './auth-config.js';
export type { AuthServerEvent, AuthServerEventType, AuthServerStats } from './auth-events.js';
export {
  type AuthServer,
  type AuthServerOptions,
  DEFAULT_SCOPES,
  type RevokeTarget,
  startAuthServer,
} from './auth-server.js';
export {
  type BrowserOptions,
  CookieJar,
  completeDeviceAuthorization,
  followAuthorization,
} from './browser.js';
export {
  ADMIN_SCOPE,
  type McpResourceServer,
  type McpResourceServerOptions,
  type ResourceServerStats,
  startMcpResourceServer,
} from './resource-server.js';
export type { RefusalReason } from './token-verifier.js';

/** An authorization server and the MCP server that trusts it. */
export interface OAuthRig {
  authServer: AuthServer;
  mcpServer: McpResourceServer;
  /** Closes both (for afterAll / afterEach). */
  close(): Promise<void>;
}

/** Starts an authorization server, then an MCP server whose resource it knows. */
export async function startOAuthRig(
  options: { authServer?: AuthServerOptions; mcpServer?: Omit<McpResourceServerOptions, 'authServer'> } = {},
): Promise<OAuthRig> {
  const authServer = await startAuthServer(options.authServer);
  let mcpServer: McpResourceServer;
  try {
    mcpServer = await startMcpResourceServer({ ...options.mcpServer, authServer });
  } catch (err) {
    await authServer.close();
    throw err;
  }
  return {
    authServer,
    mcpServer,
    close: async () => {
      await Promise.all([mcpServer.close(), authServer.close()]);
    },
  };
}
