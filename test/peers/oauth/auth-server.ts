// A real OAuth 2.1 authorization server for tests: oidc-provider 9 (a certified OpenID Provider) on
// http://127.0.0.1:<port>, in this process. See auth-config.ts for what it is configured to do and
// auth-events.ts for what it records.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import {
  type AuthConfigOptions,
  type AuthPolicy,
  authConfiguration,
  type StaticClient,
} from './auth-config.js';
import {
  type AuthServerEvent,
  type AuthServerLog,
  type AuthServerStats,
  createAuthServerLog,
  recordProviderEvents,
} from './auth-events.js';

/** The scope an MCP resource gets when none are given. */
export const DEFAULT_SCOPES: readonly string[] = ['mcp:tools'];

export interface AuthServerOptions {
  /** Access token lifetime in whole seconds (default 2). */
  accessTokenTtl?: number;
  /** Refresh token, grant and session lifetime in seconds (default one day). */
  refreshTokenTtl?: number;
  /** Resources (RFC 8707) known from the start; more with `addResource`. Any other resource: invalid_target. */
  resources?: ReadonlyArray<{ resource: string; scopes?: readonly string[] }>;
  /**
   * When a refresh token is issued: `offline_access` (default; oidc-provider keeps that scope only with
   * prompt=consent) or `always` (to every client allowed the refresh_token grant).
   */
  refreshTokens?: 'offline_access' | 'always';
  /** Refresh token rotation: `public` clients only (default, oidc-provider's rule), `always` or `never`. */
  rotateRefreshTokens?: 'public' | 'always' | 'never';
  /** The resource a request without `resource` gets (default: none, i.e. an opaque userinfo token). */
  defaultResource?: string;
  /** Dynamic client registration, RFC 7591 (default on). */
  registration?: boolean;
  /** Device authorization grant, RFC 8628 (default on). */
  deviceFlow?: boolean;
  /** Client credentials grant (default on). */
  clientCredentials?: boolean;
  /** Pre-registered clients. */
  clients?: readonly StaticClient[];
  /**
   * Also serve the metadata at RFC 8414's `/.well-known/oauth-authorization-server` (default true);
   * oidc-provider itself only serves `/.well-known/openid-configuration`.
   */
  oauthMetadata?: boolean;
}

/** Which grants `revoke` ends: the one a refresh token belongs to, one grant, or all of a client's. */
export type RevokeTarget = { refreshToken: string } | { grantId: string } | { clientId: string };

/** A running authorization server. */
export interface AuthServer {
  /** `http://127.0.0.1:<port>` (no trailing slash; also the `iss` of its tokens and of RFC 9207 responses). */
  readonly issuer: string;
  /** The issuer as a URL. */
  readonly url: URL;
  readonly port: number;
  /** Where its signing keys are (`<issuer>/jwks`). */
  readonly jwksUri: string;
  /** Everything it did, oldest first (no secrets). */
  readonly events: readonly AuthServerEvent[];
  stats(): AuthServerStats;
  /** Successful refresh grants, optionally of one client or one grant. */
  refreshCount(filter?: { clientId?: string; grantId?: string }): number;
  /** Calls `listener` for every later event; returns the unsubscribe function. */
  onEvent(listener: (event: AuthServerEvent) => void): () => void;
  /** Lets it issue tokens for `resource` (audience = `resource`), with these scopes (default `mcp:tools`). */
  addResource(resource: string, scopes?: readonly string[]): void;
  /** Access token lifetime in whole seconds for tokens issued from now on. */
  setTokenTtl(seconds: number): void;
  /**
   * Revokes grants as an administrator would: their refresh tokens, access tokens and codes are gone, so the
   * next refresh gets invalid_grant. Resolves to the number of grants that were still live.
   */
  revoke(target: RevokeTarget): Promise<number>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

function checkTtl(seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new TypeError(`token lifetime must be a positive whole number of seconds, got ${seconds}`);
  }
  return seconds;
}

/**
 * Starts an authorization server on 127.0.0.1 at a free port.
 * @example
 * const as = await startAuthServer({ resources: [{ resource: mcpUrl }] });
 * // ... as.stats().refreshes, as.revoke({ clientId }), await as.close()
 */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const policy: AuthPolicy = {
    accessTokenTtl: checkTtl(options.accessTokenTtl ?? 2),
    resources: new Map(
      (options.resources ?? []).map((r) => [r.resource, r.scopes ?? DEFAULT_SCOPES] as const),
    ),
  };
  const configOptions: AuthConfigOptions = {
    refreshTokenTtl: checkTtl(options.refreshTokenTtl ?? 86_400),
    refreshTokens: options.refreshTokens ?? 'offline_access',
    rotateRefreshTokens: options.rotateRefreshTokens ?? 'public',
    defaultResource: options.defaultResource,
    registration: options.registration ?? true,
    deviceFlow: options.deviceFlow ?? true,
    clientCredentials: options.clientCredentials ?? true,
    clients: options.clients ?? [],
  };
  const oauthMetadata = options.oauthMetadata ?? true;

  // The issuer names the port, so listen first and build the provider once the port is known; nobody can
  // send a request before then because nobody knows the port.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  let provider: Provider;
  try {
    provider = new Provider(issuer, await authConfiguration(policy, configOptions));
  } catch (err) {
    server.close();
    throw err;
  }
  const log: AuthServerLog = createAuthServerLog();
  recordProviderEvents(provider, log);
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const [path = '/', query] = (req.url ?? '/').split('?', 2);
    log.countRequest(req.method ?? 'GET', path);
    if (oauthMetadata && path === '/.well-known/oauth-authorization-server') {
      req.url = `/.well-known/openid-configuration${query === undefined ? '' : `?${query}`}`;
    }
    callback(req, res);
  });

  /** Revokes one grant; false if it was already gone (revoked, reused or expired). */
  async function revokeGrant(grantId: string): Promise<boolean> {
    const grant = await provider.Grant.find(grantId);
    // One revokeByGrantId removes every token and code of the grant (store.ts); the grant itself goes too,
    // so a later authorization in the same browser session cannot pick it up again.
    await provider.RefreshToken.revokeByGrantId(grantId);
    if (grant === undefined) return false;
    await grant.destroy();
    log.record({ type: 'grant.revoked', grantId, route: 'api' });
    return true;
  }

  return {
    issuer,
    url: new URL(issuer),
    port,
    jwksUri: `${issuer}/jwks`,
    events: log.events,
    stats: () => log.stats(),
    refreshCount: (filter) => log.refreshCount(filter),
    onEvent: (listener) => log.onEvent(listener),
    addResource(resource, scopes = DEFAULT_SCOPES) {
      policy.resources.set(resource, scopes);
    },
    setTokenTtl(seconds) {
      policy.accessTokenTtl = checkTtl(seconds);
    },
    async revoke(target) {
      let grantIds: string[];
      if ('grantId' in target) grantIds = [target.grantId];
      else if ('clientId' in target) grantIds = log.grantsOf(target.clientId);
      else {
        const token = await provider.RefreshToken.find(target.refreshToken, { ignoreExpiration: true });
        grantIds = token?.grantId === undefined ? [] : [token.grantId];
      }
      let revoked = 0;
      for (const grantId of grantIds) if (await revokeGrant(grantId)) revoked += 1;
      return revoked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
