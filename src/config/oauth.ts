/**
 * The `oauth` block of a remote server entry: how the `lifeline` command signs in to it (its
 * client, scopes, callback port and grant). The block is data for the command: the library's
 * `createTransport()` takes an `authProvider` instead, which the command builds from it.
 *
 * ```jsonc
 * "github": {
 *   "url": "https://api.example.com/mcp",
 *   "oauth": { "clientId": "lifeline-ci", "clientSecret": "${env:MCP_CLIENT_SECRET}", "grant": "client_credentials" }
 * }
 * ```
 * Problems name the key and never the value (a client secret must not reach a terminal or a
 * log through an error message).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import { checkKeys, keysOf } from '../runtime/options/keys.js';
import { interpolate, type Variables } from './interpolate.js';
import { isObject, kind } from './values.js';

/** How a server's sign-in is done without a browser redirect, or with one. */
export type OAuthGrant = 'authorization_code' | 'device_code' | 'client_credentials';

/** A server entry's `oauth` block, checked. */
export interface OAuthBlock {
  /** A client registered beforehand at the authorization server (no dynamic registration then). */
  clientId?: string;
  /** Its secret; write it as `${env:NAME}`. A secret: never printed. */
  clientSecret?: string;
  /** Scopes to ask for when the server's challenge and metadata name none. */
  scopes?: string[];
  /** The loopback callback port (default: derived from the server URL). */
  callbackPort?: number;
  /** `authorization_code` (default: the browser), `device_code` (RFC 8628) or `client_credentials`. */
  grant?: OAuthGrant;
  /** The RFC 8707 `resource` parameter: `send` (default) or `omit` (servers that reject it). */
  resource?: 'send' | 'omit';
}

/** The keys an `oauth` block takes. */
export const OAUTH_BLOCK_KEYS = keysOf<OAuthBlock>({
  clientId: true,
  clientSecret: true,
  scopes: true,
  callbackPort: true,
  grant: true,
  resource: true,
});

const GRANTS: readonly OAuthGrant[] = ['authorization_code', 'device_code', 'client_credentials'];
const RESOURCE_MODES = ['send', 'omit'] as const;

/**
 * Reads an entry's `oauth` block (variables interpolated); pushes one problem per mistake,
 * each starting `oauth.`.
 *
 * @returns the block, or undefined when it has a problem.
 */
export function readOAuthBlock(
  raw: unknown,
  variables: Variables,
  problems: string[],
): OAuthBlock | undefined {
  if (!isObject(raw)) {
    problems.push(`oauth: expected an object (clientId, clientSecret, scopes, …), got ${kind(raw)}`);
    return undefined;
  }
  const own: string[] = [];
  checkKeys(raw, OAUTH_BLOCK_KEYS, 'oauth', own);
  const known = Object.fromEntries(Object.entries(raw).filter(([key]) => OAUTH_BLOCK_KEYS.includes(key)));
  const values = interpolate(known, 'oauth', variables, own) as Record<string, unknown>;
  const block: OAuthBlock = {};

  for (const key of ['clientId', 'clientSecret'] as const) {
    const value = values[key];
    // An unset variable is reported once, by the interpolation.
    if (value === undefined || own.some((problem) => problem.startsWith(`oauth.${key}:`))) continue;
    if (typeof value !== 'string' || value.trim() === '')
      own.push(`oauth.${key}: expected a non-empty string, got ${kind(value)}`);
    else block[key] = value;
  }
  if (block.clientSecret !== undefined && block.clientId === undefined && values.clientId === undefined)
    own.push('oauth.clientSecret: goes with oauth.clientId (the client it is the secret of)');

  const scopes = scopeList(values.scopes, own);
  if (scopes !== undefined) block.scopes = scopes;

  const port = values.callbackPort;
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)
      own.push(`oauth.callbackPort: expected a port number (1-65535), got ${portKind(port)}`);
    else block.callbackPort = port;
  }

  const grant = values.grant;
  if (grant !== undefined) {
    if (typeof grant !== 'string' || !GRANTS.includes(grant as OAuthGrant))
      own.push(`oauth.grant: expected one of ${GRANTS.join(', ')}`);
    else block.grant = grant as OAuthGrant;
  }
  if (
    block.grant === 'client_credentials' &&
    (values.clientId === undefined || values.clientSecret === undefined)
  )
    own.push('oauth.grant: client_credentials needs oauth.clientId and oauth.clientSecret');

  const resource = values.resource;
  if (resource !== undefined) {
    if (typeof resource !== 'string' || !(RESOURCE_MODES as readonly string[]).includes(resource))
      own.push(`oauth.resource: expected one of ${RESOURCE_MODES.join(', ')}`);
    else block.resource = resource as 'send' | 'omit';
  }

  problems.push(...own);
  return own.length === 0 ? block : undefined;
}

/** `scopes` as a list: an array of scope tokens, or one space-separated string (RFC 6749 §3.3). */
function scopeList(value: unknown, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(/\s+/).filter((scope) => scope !== '');
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string' && /^[^\s"\\]+$/.test(scope)))
    return value as string[];
  problems.push('oauth.scopes: expected an array of scopes, or one space-separated string');
  return undefined;
}

function portKind(value: unknown): string {
  return typeof value === 'number' ? String(value) : kind(value);
}
