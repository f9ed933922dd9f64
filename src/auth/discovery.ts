/**
 * Discovery in the MCP order: the protected resource metadata (RFC 9728), then the
 * authorization server's metadata (RFC 8414, then OpenID Connect Discovery), with the
 * 2025-03-26 fallbacks for servers that publish no resource metadata. oauth4webapi makes and
 * checks each request; this module only decides which URLs, in which order.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-discovery
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError, LinkError } from '../errors.js';
import type { AuthHttp } from './http.js';
import { resourceUrl } from './resource.js';

/** What discovery found for one MCP server. */
export interface Discovery {
  /** The protected resource metadata, when the server publishes it (its `resource` not yet checked). */
  prm: oauth.ResourceServer | undefined;
  /** Where the protected resource metadata was found. */
  resourceMetadataUrl: string | undefined;
  /** The URL the authorization server was found by (PRM `authorization_servers[0]`, or the server's origin). */
  authorizationServerUrl: string;
  /** The authorization server's metadata, `issuer` exactly as published (RFC 9207 compares it raw). */
  as: oauth.AuthorizationServer;
  /** The metadata is the 2025-03-26 default endpoints, not a document the server published. */
  synthesized: boolean;
}

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** `resource_metadata` from the 401's challenge (RFC 9728 §5.1), tried first. */
  resourceMetadata?: URL | undefined;
}

/**
 * Finds the authorization server of an MCP server.
 *
 * 1. Protected resource metadata (2025-11-25 §Protected Resource Metadata Discovery): the URL
 *    from the challenge when given, else the path-aware well-known URL
 *    (`/.well-known/oauth-protected-resource/<path>`, RFC 9728 §3.1), then the root one.
 * 2. The authorization server: `authorization_servers[0]`, or (2025-03-26 §2.3.2, no metadata)
 *    the MCP server's origin.
 * 3. Its metadata (2025-11-25 §Authorization Server Metadata Discovery): for an issuer with a
 *    path, RFC 8414 path insertion, OpenID path insertion, OpenID path appending; without one,
 *    RFC 8414 then OpenID. An `issuer` that does not match is refused (RFC 8414 §3.3).
 * 4. Nothing found and no resource metadata: the 2025-03-26 default endpoints (§2.3.3).
 *
 * @throws {AuthorizationError} when metadata is missing, malformed or names another issuer.
 * @throws {LinkError} (retryable) when a server cannot be reached or answers 5xx.
 */
export async function discover(
  serverUrl: URL,
  http: AuthHttp,
  options: DiscoverOptions = {},
): Promise<Discovery> {
  const { prm, url: resourceMetadataUrl } = await findResourceMetadata(
    serverUrl,
    http,
    options.resourceMetadata,
  );
  const authorizationServerUrl = prm?.authorization_servers?.[0] ?? new URL('/', serverUrl).origin;
  const as = await findServerMetadata(authorizationServerUrl, http);
  if (as === undefined) {
    if (prm !== undefined) {
      throw new AuthorizationError(
        'discovery',
        `The authorization server ${authorizationServerUrl} publishes no metadata (RFC 8414 or OpenID Connect Discovery)`,
      );
    }
    return {
      prm,
      resourceMetadataUrl,
      authorizationServerUrl,
      as: defaultEndpoints(serverUrl),
      synthesized: true,
    };
  }
  checkCapabilities(as);
  return { prm, resourceMetadataUrl, authorizationServerUrl, as, synthesized: false };
}

/** Whether a metadata answer means "not here, try the next URL": 4xx, a redirect (not followed), 502. */
function notHere(status: number): boolean {
  return (status >= 300 && status < 500) || status === 502;
}

function unavailable(where: URL, status: number): LinkError {
  return new AuthorizationError('discovery', `${where.origin}${where.pathname} answered HTTP ${status}`, {
    retryable: true,
  });
}

async function findResourceMetadata(
  serverUrl: URL,
  http: AuthHttp,
  fromChallenge: URL | undefined,
): Promise<{ prm: oauth.ResourceServer | undefined; url: string | undefined }> {
  const expected = resourceUrl(serverUrl);
  const candidates: (() => Promise<{ response: Response; url: URL }>)[] = [];
  if (fromChallenge !== undefined)
    candidates.push(async () => ({ response: await http.get(fromChallenge), url: fromChallenge }));
  candidates.push(async () => {
    const response = await oauth.resourceDiscoveryRequest(expected, http.options(expected));
    return { response, url: new URL(wellKnown(expected)) };
  });
  if (expected.pathname !== '/') {
    const root = new URL('/', expected);
    candidates.push(async () => ({
      response: await oauth.resourceDiscoveryRequest(root, http.options(root)),
      url: new URL('/.well-known/oauth-protected-resource', root),
    }));
  }
  for (const candidate of candidates) {
    const { response, url } = await candidate().catch(rethrowOauth);
    if (response.status !== 200) {
      if (notHere(response.status)) continue;
      throw unavailable(url, response.status);
    }
    return { prm: await readResourceMetadata(expected, response), url: url.href };
  }
  return { prm: undefined, url: undefined };
}

function wellKnown(resource: URL): string {
  return new URL(`/.well-known/oauth-protected-resource${resource.pathname.replace(/\/$/, '')}`, resource)
    .href;
}

/**
 * Processes resource metadata. oauth4webapi demands `resource` equal to the URL exactly (RFC
 * 9728 §3.3); MCP accepts a resource that is the server's origin or a path prefix of it
 * (checked in resource.ts, where a provider's `validateResourceURL` may override), so the
 * exact comparison's failure hands back the document for that check.
 */
async function readResourceMetadata(expected: URL, response: Response): Promise<oauth.ResourceServer> {
  try {
    return await oauth.processResourceDiscoveryResponse(expected, response);
  } catch (error) {
    if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      const body = (error.cause as { body?: oauth.ResourceServer } | undefined)?.body;
      if (body !== undefined) return body;
    }
    throw new AuthorizationError('discovery', `Unusable protected resource metadata: ${describe(error)}`);
  }
}

async function findServerMetadata(
  issuerUrl: string,
  http: AuthHttp,
): Promise<oauth.AuthorizationServer | undefined> {
  let issuer: URL;
  try {
    issuer = new URL(issuerUrl);
  } catch {
    throw new AuthorizationError(
      'discovery',
      'The protected resource metadata names an invalid authorization server URL',
    );
  }
  const path = issuer.pathname.replace(/\/$/, '');
  const oauth2 = () => oauth.discoveryRequest(issuer, { ...http.options(issuer), algorithm: 'oauth2' });
  const oidc = () => oauth.discoveryRequest(issuer, { ...http.options(issuer), algorithm: 'oidc' });
  // OpenID Connect Discovery with the well-known path inserted (not an oauth4webapi variant).
  const oidcInserted = () => http.get(new URL(`/.well-known/openid-configuration${path}`, issuer));
  const candidates = path === '' ? [oauth2, oidc] : [oauth2, oidcInserted, oidc];
  for (const candidate of candidates) {
    const response = await candidate().catch(rethrowOauth);
    if (response.status !== 200) {
      if (notHere(response.status)) continue;
      throw unavailable(issuer, response.status);
    }
    try {
      return await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        throw new AuthorizationError(
          'issuer_mismatch',
          `The authorization server metadata found for ${issuer.origin}${issuer.pathname} names another issuer; refusing it (RFC 8414 §3.3)`,
        );
      }
      throw new AuthorizationError('discovery', `Unusable authorization server metadata: ${describe(error)}`);
    }
  }
  return undefined;
}

/**
 * PKCE is mandatory: the server must list S256 (2025-11-25 §Authorization Code Protection: a
 * client MUST refuse to proceed when `code_challenge_methods_supported` is absent), and it
 * must offer the code flow.
 */
function checkCapabilities(as: oauth.AuthorizationServer): void {
  const methods = as.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('S256')) {
    throw new AuthorizationError(
      'discovery',
      `The authorization server ${as.issuer} does not support PKCE with S256 (code_challenge_methods_supported); refusing to proceed`,
    );
  }
  const types = as.response_types_supported;
  if (Array.isArray(types) && !types.includes('code')) {
    throw new AuthorizationError(
      'discovery',
      `The authorization server ${as.issuer} does not offer the authorization code flow`,
    );
  }
}

/** The 2025-03-26 default endpoints on the MCP server's origin (§2.3.3 Fallbacks). */
export function defaultEndpoints(serverUrl: URL): oauth.AuthorizationServer {
  const origin = serverUrl.origin;
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
  };
}

/** oauth4webapi refuses a request it must not make (plain http): the flow cannot go on. */
function rethrowOauth(error: unknown): never {
  if (error instanceof LinkError) throw error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === oauth.HTTP_REQUEST_FORBIDDEN || code === oauth.REQUEST_PROTOCOL_FORBIDDEN) {
    throw new AuthorizationError(
      'insecure',
      'Authorization metadata is not served over https; authorization endpoints must use https except on this machine',
    );
  }
  throw error;
}

/** An oauth4webapi error's message, without its cause (which may carry the whole response). */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
