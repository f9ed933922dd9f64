/**
 * Signing out (`lifeline auth logout`): the refresh tokens stored for a server are revoked at
 * the authorization server when it advertises a revocation endpoint (RFC 7009; revoking a
 * refresh token ends its grant, RFC 7009 §2.1), best effort, before the store forgets them.
 * The request is oauth4webapi's; nothing here throws for a server that cannot be reached or
 * refuses: the user's intent is to forget the tokens, and that always happens.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */

import * as oauth from 'oauth4webapi';
import type { Dispatcher } from 'undici';
import { type AuthMethod, type ClientRecord, clientAuth, forIssuer } from './client-identity.js';
import { describe } from './discovery.js';
import type { FileStore } from './file-store.js';
import { createAuthHttp } from './http.js';
import { serverKey } from './paths.js';
import type { ClientInformationLike, OAuthClientProviderLike } from './types.js';

/** What happened to one stored token set. */
export interface RevocationOutcome {
  /** The authorization server that issued it. */
  issuer: string | undefined;
  /** `revoked`; `unsupported` (no revocation endpoint); `no-refresh-token`; `failed` (with why, no secrets). */
  result: 'revoked' | 'unsupported' | 'no-refresh-token' | 'failed';
  detail?: string | undefined;
}

/** Options of {@link revokeStored}. */
export interface RevokeOptions {
  /** A pre-registered client (the configuration's), used when no registration is stored. */
  staticClient?: { client_id: string; client_secret?: string | undefined } | undefined;
  /** Plain http to authorization servers elsewhere than loopback. */
  allowInsecure?: boolean | undefined;
  /** A proxy agent for the request. */
  dispatcher?: Dispatcher | undefined;
}

/**
 * Revokes every refresh token stored for `serverUrl` at its authorization server, best effort.
 * Resolves with one outcome per stored token set; never rejects for the server's answer.
 */
export async function revokeStored(
  store: FileStore,
  serverUrl: string | URL,
  options: RevokeOptions = {},
): Promise<RevocationOutcome[]> {
  const key = serverKey(serverUrl);
  const stored = (await store.listStored()).find((entry) => entry.key === key);
  if (stored === undefined) return [];
  const server = store.server(serverUrl);
  const discovery = await server.readDiscovery();
  const metadata = discovery?.authorizationServerMetadata as oauth.AuthorizationServer | undefined;
  const http = createAuthHttp({ allowInsecure: options.allowInsecure, dispatcher: options.dispatcher });
  const outcomes: RevocationOutcome[] = [];
  for (const summary of stored.tokens) {
    const record = await server.readTokens(summary.resource);
    const refresh = record?.tokens.refresh_token;
    const issuer = record?.issuer ?? metadata?.issuer;
    if (record === undefined || refresh === undefined) {
      outcomes.push({ issuer, result: 'no-refresh-token' });
      continue;
    }
    const as =
      metadata !== undefined && issuer !== undefined && forIssuer(metadata, issuer) ? metadata : undefined;
    if (as?.revocation_endpoint === undefined) {
      outcomes.push({ issuer, result: 'unsupported' });
      continue;
    }
    const client =
      issuer === undefined ? undefined : ((await server.readClient(issuer))?.client ?? options.staticClient);
    if (client === undefined) {
      outcomes.push({ issuer, result: 'failed', detail: 'no client registration is stored to revoke with' });
      continue;
    }
    outcomes.push(await revokeOne(as, client, refresh, http));
  }
  return outcomes;
}

async function revokeOne(
  as: oauth.AuthorizationServer,
  client: ClientInformationLike,
  refreshToken: string,
  http: ReturnType<typeof createAuthHttp>,
): Promise<RevocationOutcome> {
  const endpoint = new URL(as.revocation_endpoint as string);
  try {
    http.assertSecure(endpoint, 'The revocation endpoint');
    const given = client.token_endpoint_auth_method;
    const method: AuthMethod =
      given === 'client_secret_post' || given === 'none'
        ? given
        : client.client_secret === undefined
          ? 'none'
          : 'client_secret_basic';
    const record: ClientRecord = {
      client: { client_id: client.client_id },
      secret: client.client_secret,
      method,
      dynamic: false,
    };
    const response = await oauth.revocationRequest(
      as,
      record.client,
      clientAuth(record, {} as OAuthClientProviderLike),
      refreshToken,
      { ...http.options(endpoint), additionalParameters: { token_type_hint: 'refresh_token' } },
    );
    await oauth.processRevocationResponse(response);
    return { issuer: as.issuer, result: 'revoked' };
  } catch (error) {
    const detail = error instanceof oauth.ResponseBodyError ? `refused: ${error.error}` : describe(error);
    return { issuer: as.issuer, result: 'failed', detail };
  }
}
