/**
 * The authorization request and its callback: the URL the user opens (PKCE S256, `state`,
 * `scope`, `resource`), the authorizations waiting for their callback (keyed by `state`, so
 * two sign-ins never overwrite each other's verifier), and the callback's checks (RFC 9207
 * `iss`, `state`, `error`) by oauth4webapi's `validateAuthResponse`.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-code-protection
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError } from '../errors.js';
import type { ClientRecord } from './client-identity.js';
import type { Discovery } from './discovery.js';
import type { AuthHttp } from './http.js';
import { wantsOfflineAccess } from './scope.js';

/** An authorization sent to the user, waiting for its callback. */
export interface PendingAuthorization {
  /** The `state` sent; undefined when rebuilt from a provider after a restart (then not checked). */
  state: string | undefined;
  verifier: string;
  redirectUri: string;
  scope: string | undefined;
  resource: string | undefined;
  discovery: Discovery;
  record: ClientRecord;
}

/** What the authorization URL is built from. */
export interface AuthorizationRequest {
  discovery: Discovery;
  record: ClientRecord;
  redirectUri: string;
  scope: string | undefined;
  resource: string | undefined;
  state: string;
  http: AuthHttp;
}

/**
 * The authorization URL (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636 §4.3; the only method MCP
 * allows), `state`, `scope` (with `prompt=consent` when it asks for `offline_access`, OpenID
 * Connect Core §11) and `resource` (RFC 8707 §2).
 *
 * @throws {AuthorizationError} when the endpoint is not https (except on loopback).
 */
export async function authorizationUrl(
  request: AuthorizationRequest,
): Promise<{ url: URL; pending: PendingAuthorization }> {
  const endpoint = request.discovery.as.authorization_endpoint;
  if (endpoint === undefined) {
    throw new AuthorizationError(
      'discovery',
      `The authorization server ${request.discovery.as.issuer} names no authorization endpoint`,
    );
  }
  const url = new URL(endpoint);
  request.http.assertSecure(url, 'The authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', request.record.client.client_id);
  params.set('redirect_uri', request.redirectUri);
  params.set('state', request.state);
  params.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  params.set('code_challenge_method', 'S256');
  if (request.scope !== undefined) params.set('scope', request.scope);
  if (wantsOfflineAccess(request.scope)) params.set('prompt', 'consent');
  if (request.resource !== undefined) params.set('resource', request.resource);
  const { discovery, record, redirectUri, scope, resource, state } = request;
  return { url, pending: { state, verifier, redirectUri, scope, resource, discovery, record } };
}

/** Authorizations waiting for their callback; the oldest are forgotten past a small bound. */
export class PendingAuthorizations {
  static readonly MAX = 8;
  readonly #byState = new Map<string, PendingAuthorization>();

  /** Records one. */
  add(pending: PendingAuthorization): void {
    if (pending.state === undefined) return;
    this.#byState.delete(pending.state);
    this.#byState.set(pending.state, pending);
    while (this.#byState.size > PendingAuthorizations.MAX) {
      const oldest = this.#byState.keys().next().value as string;
      this.#byState.delete(oldest);
    }
  }

  /**
   * The authorization a callback answers: the one with its `state`, or (a callback without
   * `state`, the `finishAuth(code)` form) the latest. Undefined when none matches.
   */
  take(state: string | undefined): PendingAuthorization | undefined {
    let found: PendingAuthorization | undefined;
    if (state !== undefined) found = this.#byState.get(state);
    else found = [...this.#byState.values()].at(-1);
    if (found?.state !== undefined) this.#byState.delete(found.state);
    return found;
  }

  /** Whether any authorization is waiting. */
  get size(): number {
    return this.#byState.size;
  }

  /** Forgets them all (a new authorization server). */
  clear(): void {
    this.#byState.clear();
  }
}

/**
 * Checks a callback (RFC 6749 §4.1.2) and returns what the code grant takes.
 *
 * - `iss` (RFC 9207 §2.4): compared to the metadata's `issuer` as a plain string; required
 *   when the server advertises `authorization_response_iss_parameter_supported`. Metadata
 *   that was synthesized (a 2025-03-26 server) gives no authentic issuer: `iss` is ignored.
 * - `state`: must be the one sent, when the callback carries one and the authorization is
 *   known; the SDK leaves this to the app, which lifeline still allows (no `state`, or an
 *   authorization rebuilt from the provider after a restart).
 * - `error`: the server refused; only its code is reported (the description is not trusted).
 *
 * @throws {AuthorizationError} `issuer_mismatch` or `callback`.
 */
export function validateCallback(pending: PendingAuthorization, params: URLSearchParams): URLSearchParams {
  const callback = new URLSearchParams(params);
  if (pending.discovery.synthesized) callback.delete('iss');
  const state = callback.get('state') ?? undefined;
  const expected = state === undefined || pending.state === undefined ? oauth.skipStateCheck : pending.state;
  try {
    return oauth.validateAuthResponse(pending.discovery.as, pending.record.client, callback, expected);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      return refuse(
        'callback',
        `The authorization server refused the authorization: ${error.error}`,
        error.error,
      );
    }
    const message = error instanceof Error ? error.message : '';
    if (/"iss"/.test(message)) {
      return refuse(
        'issuer_mismatch',
        `The authorization response did not come from ${pending.discovery.as.issuer} (RFC 9207 "iss" ${
          callback.has('iss') ? 'does not match' : 'is missing'
        }); refusing its code`,
      );
    }
    if (/"state"/.test(message)) {
      return refuse('callback', 'The authorization response carries another "state" than the one sent');
    }
    return refuse('callback', `Unusable authorization response: ${message}`);
  }
}

function refuse(kind: 'callback' | 'issuer_mismatch', message: string, oauthError?: string): never {
  throw new AuthorizationError(kind, message, { oauthError });
}
