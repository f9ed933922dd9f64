/**
 * The RFC 8707 resource indicator: which `resource` value goes on the authorization, token
 * and refresh requests. It is the protected resource metadata's `resource`, sent exactly as
 * published (no slash added: `new URL('https://h').href` would add one, and servers compare
 * the string), after checking that it names this server.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#resource-parameter-implementation
 */

import type * as oauth from 'oauth4webapi';
import { AuthorizationError } from '../errors.js';
import type { OAuthClientProviderLike } from './types.js';

/** The server URL as a resource identifier: without its fragment (RFC 8707 §2). */
export function resourceUrl(serverUrl: URL): URL {
  const url = new URL(serverUrl.href);
  url.hash = '';
  return url;
}

/**
 * Whether the metadata's `resource` may stand for the server the client asked: the same
 * origin, and its path a `/`-bounded prefix of the server's (the SDK's `checkResourceAllowed`;
 * RFC 9728 §3.3 asks for equality, MCP servers commonly publish their origin or a parent path).
 */
export function resourceAllowed(requested: URL, configured: string): boolean {
  let resource: URL;
  try {
    resource = new URL(configured);
  } catch {
    return false;
  }
  if (resource.origin !== requested.origin) return false;
  const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);
  return withSlash(requested.pathname).startsWith(withSlash(resource.pathname));
}

/** Options of {@link selectResource}. */
export interface ResourceChoice {
  serverUrl: URL;
  prm: oauth.ResourceServer | undefined;
  provider?: Pick<OAuthClientProviderLike, 'validateResourceURL'> | undefined;
  /** The configuration's switch (`oauth.resource: 'omit'`), for servers that reject the parameter. */
  omit?: boolean | undefined;
}

/**
 * The `resource` to send, or undefined to send none.
 *
 * - `omit` configured: none.
 * - A provider's `validateResourceURL(serverUrl, resource)`: what it returns (the SDK's override).
 * - No resource metadata (a 2025-03-26 server): none.
 * - Otherwise the metadata's `resource`, verbatim, when it names this server.
 *
 * @throws {AuthorizationError} (`resource_mismatch`) when the metadata names another resource:
 *   no authorization is attempted for it.
 */
export async function selectResource(choice: ResourceChoice): Promise<string | undefined> {
  if (choice.omit === true) return undefined;
  const requested = resourceUrl(choice.serverUrl);
  const validate = choice.provider?.validateResourceURL;
  if (validate !== undefined) {
    const chosen = await validate.call(choice.provider, requested, choice.prm?.resource);
    return chosen?.href;
  }
  if (choice.prm === undefined) return undefined;
  const resource = choice.prm.resource;
  if (!resourceAllowed(requested, resource)) {
    throw new AuthorizationError(
      'resource_mismatch',
      `The protected resource metadata of ${requested.origin}${requested.pathname} names another resource (${safe(resource)}); refusing to authorize for it`,
    );
  }
  return resource;
}

function safe(resource: string): string {
  try {
    const url = new URL(resource);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}
