/**
 * The records the token store keeps in its files, and how a file's JSON is read back into one
 * (anything malformed reads as absent: a hand-edited or damaged file means signing in again,
 * never a crash).
 */

import type { ClientInformationLike, OAuthTokensLike } from './types.js';

/** A stored token set and when it was obtained. */
export interface TokenRecord {
  /** The RFC 8707 resource the tokens are for; undefined for servers without resource metadata. */
  resource: string | undefined;
  /** The authorization server that issued them. */
  issuer: string | undefined;
  /** The client they were issued to (a refresh must use the same one). */
  clientId: string | undefined;
  /** When they were obtained (ms since the epoch). */
  obtainedAt: number;
  /** When the access token expires (`obtainedAt + expires_in`), if the server said. */
  expiresAt: number | undefined;
  tokens: OAuthTokensLike;
}

/** A stored client registration. */
export interface ClientRecord {
  issuer: string;
  /** The redirect URI it was registered with (its loopback port). */
  redirectUri: string | undefined;
  savedAt: number;
  client: ClientInformationLike;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A token file's content as a record; undefined when it is not one. */
export function parseTokens(record: Record<string, unknown> | undefined): TokenRecord | undefined {
  const tokens = record?.tokens as Partial<OAuthTokensLike> | undefined;
  if (record === undefined || typeof tokens !== 'object' || tokens === null) return undefined;
  if (typeof tokens.access_token !== 'string' || typeof tokens.token_type !== 'string') return undefined;
  if (typeof record.obtained_at !== 'number') return undefined;
  return {
    resource: optionalString(record.resource),
    issuer: optionalString(record.issuer),
    clientId: optionalString(record.client_id),
    obtainedAt: record.obtained_at,
    expiresAt: typeof record.expires_at === 'number' ? record.expires_at : undefined,
    tokens: tokens as OAuthTokensLike,
  };
}

/** A registration file's content as a record; undefined when it is not one. */
export function parseClient(record: Record<string, unknown> | undefined): ClientRecord | undefined {
  const client = record?.client as Partial<ClientInformationLike> | undefined;
  if (record === undefined || typeof client !== 'object' || client === null) return undefined;
  if (typeof client.client_id !== 'string' || typeof record.issuer !== 'string') return undefined;
  return {
    issuer: record.issuer,
    redirectUri: optionalString(record.redirect_uri),
    savedAt: typeof record.saved_at === 'number' ? record.saved_at : 0,
    client: client as ClientInformationLike,
  };
}
