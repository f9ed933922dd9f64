// The oidc-provider configuration of the test authorization server: an OAuth 2.1 server the way MCP
// authorization expects one (dynamic registration, PKCE S256 only, resource indicators with short-lived JWT
// access tokens, rotating refresh tokens, RFC 9207 `iss`), plus device flow and client credentials for the
// CLI's grants. Option names are oidc-provider 9's (node_modules/oidc-provider/lib/helpers/defaults.js).

import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { type ClientModel, type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { createMemoryAdapter } from './store.js';

/** Client metadata (RFC 7591 names) of a client the server knows from the start. */
export interface StaticClient {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post';
  application_type?: 'native' | 'web';
  scope?: string;
  [key: string]: unknown;
}

/** The settings tests can change while the server runs. */
export interface AuthPolicy {
  /** Access token lifetime in whole seconds (oidc-provider's `accessTokenTTL` is an integer). */
  accessTokenTtl: number;
  /** Resource identifier (RFC 8707) → the scopes its tokens may carry. */
  resources: Map<string, readonly string[]>;
}

export interface AuthConfigOptions {
  refreshTokenTtl: number;
  refreshTokens: 'offline_access' | 'always';
  rotateRefreshTokens: 'public' | 'always' | 'never';
  defaultResource: string | undefined;
  registration: boolean;
  deviceFlow: boolean;
  clientCredentials: boolean;
  clients: readonly StaticClient[];
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** A fresh RS256 signing key (RS256 is oidc-provider's default for ID tokens and JWT access tokens). */
async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };
}

/**
 * Builds the configuration. `policy` is read on every request, so `setTokenTtl` and `addResource` apply to
 * the next token issued.
 */
export async function authConfiguration(
  policy: AuthPolicy,
  options: AuthConfigOptions,
): Promise<Configuration> {
  const accessTokenTtl = (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
    token.resourceServer?.accessTokenTTL ?? policy.accessTokenTtl;
  const configuration: Configuration = {
    adapter: createMemoryAdapter(),
    jwks: { keys: [await signingKey()] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    clients: options.clients,
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    // OAuth 2.1 §4.1.1 and the MCP spec: PKCE for every client, not only public ones (S256 is all v9 has).
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access'],
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    clientBasedCORS: () => true,
    // RFC 6749 §6: a refresh token only for clients allowed the grant; by default only with offline_access,
    // which oidc-provider keeps only when the request has prompt=consent (OIDC Core §11).
    issueRefreshToken: async (_ctx: unknown, client: ClientModel, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') &&
      (options.refreshTokens === 'always' || code.scopes.has('offline_access')),
    ...(options.rotateRefreshTokens === 'public'
      ? {} // oidc-provider's default: rotate for public (auth method `none`) clients.
      : { rotateRefreshToken: () => options.rotateRefreshTokens === 'always' }),
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      IdToken: 3600,
      Interaction: 600,
      Grant: options.refreshTokenTtl,
      RefreshToken: options.refreshTokenTtl,
      Session: options.refreshTokenTtl,
    },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page(
        'error',
        `<p id="error">${escapeHtml(out.error ?? '')}</p>` +
          `<p id="error_description">${escapeHtml(out.error_description ?? '')}</p>`,
      );
    },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: options.registration },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: options.clientCredentials },
      deviceFlow: {
        enabled: options.deviceFlow,
        userCodeInputSource: async (ctx: { body: string }, form: string) => {
          ctx.body = page(
            'Sign-in',
            `${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
          );
        },
        userCodeConfirmSource: async (ctx: { body: string }, form: string) => {
          ctx.body = page(
            'Confirm Device',
            `${form}<button type="submit" form="op.deviceConfirmForm">Continue</button>`,
          );
        },
        successSource: async (ctx: { body: string }) => {
          ctx.body = page('Sign-in Success', '<p>You can close this page.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) =>
          oneOf ?? options.defaultResource,
        // A token whose grant has one resource keeps it on refresh even without `resource` (RFC 8707 §2.2
        // lets the server pick); lifeline sends it anyway, and events show what it sent.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContextWithOIDC, resource: string) => {
          // Exact string match: a resource with an added slash is another resource (invalid_target).
          const scopes = policy.resources.get(resource);
          if (scopes === undefined) throw new errors.InvalidTarget();
          return {
            scope: scopes.join(' '),
            audience: resource,
            accessTokenTTL: policy.accessTokenTtl,
            accessTokenFormat: 'jwt',
          };
        },
      },
    },
  };
  return configuration;
}
