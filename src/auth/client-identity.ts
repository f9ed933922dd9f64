/**
 * Who the client is at an authorization server, in the MCP order: a registration the app
 * already holds (pre-registered or stored), else a Client ID Metadata Document (an https URL
 * as `client_id`), else dynamic registration (RFC 7591); and how it authenticates at the
 * token endpoint (`client_secret_basic`, `client_secret_post` or `none`, as advertised).
 *
 * Registrations are bound to the server that issued them (SEP-2352): lifeline stamps what it
 * saves with the `issuer`, and a registration stamped for another server reads as none.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-registration-approaches
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError } from '../errors.js';
import { type Discovery, describe } from './discovery.js';
import { type AuthHttp, isLoopbackHost } from './http.js';
import type { ClientInformationLike, ClientMetadataLike, OAuthClientProviderLike } from './types.js';

/** A token endpoint authentication method lifeline speaks (RFC 6749 §2.3.1, RFC 7591 §2). */
export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** The client as the flow uses it. */
export interface ClientRecord {
  /** For oauth4webapi: `client_id` (and the registered auth method). */
  client: oauth.Client;
  secret: string | undefined;
  method: AuthMethod;
  /** Registered by lifeline (dynamic registration or CIMD), not given by the app. */
  dynamic: boolean;
}

/** What {@link resolveClient} needs. */
export interface ClientContext {
  provider: OAuthClientProviderLike;
  discovery: Discovery;
  /** The scope about to be requested (sent in the registration, as the SDK does). */
  scope: string | undefined;
  http: AuthHttp;
}

/** Whether two issuer identifiers name the same server (one trailing `/` tolerated, as the SDK does). */
export function issuersMatch(a: string, b: string): boolean {
  return a === b || a === `${b}/` || `${a}/` === b;
}

/** The stored value, unless its SEP-2352 stamp names another authorization server. */
export function forIssuer<T extends { issuer?: string | undefined }>(
  stored: T | undefined | null,
  issuer: string,
): T | undefined {
  if (stored === undefined || stored === null) return undefined;
  if (typeof stored.issuer !== 'string') return stored;
  return issuersMatch(stored.issuer, issuer) ? stored : undefined;
}

/**
 * The client metadata for registration: the provider's, with the SEP-837 / SEP-2207 defaults
 * the SDK fills (grant types for an interactive client, `application_type` from the
 * redirect URIs: `native` for loopback or custom schemes, else `web`). Explicit values win.
 */
export function registrationMetadata(provider: OAuthClientProviderLike): ClientMetadataLike {
  const metadata = provider.clientMetadata;
  const out: ClientMetadataLike = { ...metadata };
  if (out.grant_types === undefined && provider.redirectUrl !== undefined)
    out.grant_types = ['authorization_code', 'refresh_token'];
  out.application_type ??= applicationType(metadata.redirect_uris);
  return out;
}

function applicationType(redirectUris: readonly string[] | undefined): 'native' | 'web' {
  for (const raw of redirectUris ?? []) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'native';
    if (isLoopbackHost(url.hostname)) return 'native';
  }
  return 'web';
}

/**
 * The client for this authorization server.
 *
 * @throws {AuthorizationError} (`registration`) when none can be had: no stored registration,
 *   no usable metadata document, and registration refused or impossible.
 */
export async function resolveClient(ctx: ClientContext): Promise<ClientRecord> {
  const { provider, discovery } = ctx;
  const as = discovery.as;
  const issuer = as.issuer;
  const stored = forIssuer(await provider.clientInformation({ issuer }), issuer);
  if (stored !== undefined) return record(stored, as, false);

  // Client ID Metadata Document (2025-11-25 §Client ID Metadata Documents).
  const documentUrl = provider.clientMetadataUrl;
  if (as.client_id_metadata_document_supported === true && documentUrl !== undefined) {
    if (!isDocumentUrl(documentUrl)) {
      throw new AuthorizationError(
        'registration',
        'clientMetadataUrl must be an https URL with a path (a Client ID Metadata Document)',
      );
    }
    const info: ClientInformationLike = { client_id: documentUrl, issuer };
    await provider.saveClientInformation?.(info, { issuer });
    return record(info, as, true);
  }

  // Dynamic client registration (RFC 7591 §3).
  if (as.registration_endpoint === undefined || provider.saveClientInformation === undefined) {
    throw new AuthorizationError(
      'registration',
      `No client registration for ${issuer}: the app holds none, and ${
        as.registration_endpoint === undefined
          ? 'the server offers no dynamic registration'
          : 'the provider cannot save one (saveClientInformation)'
      }`,
    );
  }
  const registered = await register(ctx);
  const info: ClientInformationLike = { ...(registered as ClientInformationLike), issuer };
  await provider.saveClientInformation(info, { issuer });
  return record(info, as, true);
}

function isDocumentUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.pathname !== '/';
  } catch {
    return false;
  }
}

async function register(ctx: ClientContext): Promise<oauth.OmitSymbolProperties<oauth.Client>> {
  const { as } = ctx.discovery;
  const endpoint = new URL(as.registration_endpoint as string);
  ctx.http.assertSecure(endpoint, 'The registration endpoint');
  const { scope: ownScope, ...metadata } = registrationMetadata(ctx.provider);
  const scope = ctx.scope ?? ownScope;
  if (scope === undefined) return registerWith(ctx, endpoint, metadata);
  try {
    return await registerWith(ctx, endpoint, { ...metadata, scope });
  } catch (error) {
    // RFC 7591 §2 lets a server refuse scope values it does not know, and resource scopes
    // (RFC 8707) are often unknown to the registration endpoint (oidc-provider refuses them):
    // the scope is asked for again on the authorization request, so register without it.
    if ((error as AuthorizationError).oauthError !== 'invalid_client_metadata') throw error;
    return registerWith(ctx, endpoint, metadata);
  }
}

async function registerWith(
  ctx: ClientContext,
  endpoint: URL,
  metadata: ClientMetadataLike,
): Promise<oauth.OmitSymbolProperties<oauth.Client>> {
  let response: Response;
  try {
    response = await oauth.dynamicClientRegistrationRequest(
      ctx.discovery.as,
      metadata as unknown as Partial<oauth.OmitSymbolProperties<oauth.Client>>,
      ctx.http.options(endpoint),
    );
  } catch (error) {
    throw registrationError(error);
  }
  response = await tolerateRegistration(response);
  try {
    return await oauth.processDynamicClientRegistrationResponse(response);
  } catch (error) {
    throw registrationError(error);
  }
}

/**
 * Two answers real servers give that oauth4webapi refuses: 200 instead of 201, and a
 * `client_secret` without `client_secret_expires_at` (RFC 7591 §3.2.1 requires it; the MCP
 * conformance server omits it). Both are read as the server meant them: created, and a
 * secret that does not expire (0).
 */
async function tolerateRegistration(response: Response): Promise<Response> {
  if (response.status !== 200 && response.status !== 201) return response;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null) return response;
  const fixed = { ...body };
  if (fixed.client_secret !== undefined && fixed.client_secret_expires_at === undefined)
    fixed.client_secret_expires_at = 0;
  return new Response(JSON.stringify(fixed), {
    status: 201,
    headers: { 'content-type': 'application/json' },
  });
}

function registrationError(error: unknown): unknown {
  if (error instanceof AuthorizationError || !(error instanceof Error)) return error;
  if (error instanceof oauth.ResponseBodyError) {
    return new AuthorizationError('registration', `Dynamic client registration was refused: ${error.error}`, {
      oauthError: error.error,
    });
  }
  if ((error as { retryable?: unknown }).retryable === true) return error;
  return new AuthorizationError('registration', `Dynamic client registration failed: ${describe(error)}`);
}

function record(info: ClientInformationLike, as: oauth.AuthorizationServer, dynamic: boolean): ClientRecord {
  const method = authMethod(info, as.token_endpoint_auth_methods_supported ?? []);
  const client: oauth.Client = { client_id: info.client_id };
  return { client, secret: info.client_secret, method, dynamic };
}

function isAuthMethod(method: unknown): method is AuthMethod {
  return method === 'client_secret_basic' || method === 'client_secret_post' || method === 'none';
}

/**
 * The token endpoint authentication method (the SDK's `selectClientAuthMethod`): the one the
 * registration named, if the server supports it; with no list advertised, Basic for a client
 * with a secret (RFC 8414 §2's default); else Basic > Post > none, as supported.
 */
export function authMethod(info: ClientInformationLike, supported: readonly string[]): AuthMethod {
  const secret = info.client_secret !== undefined;
  const registered = info.token_endpoint_auth_method;
  if (isAuthMethod(registered) && (supported.length === 0 || supported.includes(registered))) {
    return registered === 'none' || secret ? registered : 'none';
  }
  if (supported.length === 0) return secret ? 'client_secret_basic' : 'none';
  if (secret && supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (secret && supported.includes('client_secret_post')) return 'client_secret_post';
  if (supported.includes('none')) return 'none';
  return secret ? 'client_secret_post' : 'none';
}

/**
 * `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B), as WHATWG
 * URLSearchParams does it: `-`, `.`, `_` and `*` stay as they are (oauth4webapi's
 * `ClientSecretBasic` escapes them, and servers that compare the decoded pair raw refuse it).
 */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** HTTP Basic client authentication (RFC 6749 §2.3.1). */
export function clientSecretBasic(secret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const pair = `${formEncode(client.client_id)}:${formEncode(secret)}`;
    headers.set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`);
  };
}

/** How the client authenticates its token requests: the provider's own way, or the chosen method. */
export function clientAuth(record: ClientRecord, provider: OAuthClientProviderLike): oauth.ClientAuth {
  const custom = provider.addClientAuthentication;
  if (custom !== undefined) {
    return (as, _client, body, headers) =>
      custom.call(provider, headers, body, as.token_endpoint as string, as) as void | Promise<void>;
  }
  if (record.method === 'client_secret_basic' && record.secret !== undefined)
    return clientSecretBasic(record.secret);
  if (record.method === 'client_secret_post' && record.secret !== undefined)
    return oauth.ClientSecretPost(record.secret);
  return oauth.None();
}
