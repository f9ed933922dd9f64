/**
 * The grants without a browser redirect, for providers whose `redirectUrl` is undefined (the
 * SDK's mark of a non-interactive client): the device authorization grant (RFC 8628: the user
 * enters a code on another device; `lifeline --device-code`) and the client credentials grant
 * (RFC 6749 §4.4: no user at all; `lifeline --client-credentials`). Which one is read from the
 * client metadata's `grant_types`. Both send the RFC 8707 `resource` and the chosen `scope`,
 * as the authorization code grant does; the requests are oauth4webapi's.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError } from '../errors.js';
import type { ClientRecord } from './client-identity.js';
import { type TokenSet, tokenError, tokenSet } from './grants.js';
import type { AuthHttp } from './http.js';
import type { ClientMetadataLike } from './types.js';

/** The device grant's `grant_type` (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The client credentials grant's `grant_type` (RFC 6749 §4.4.2). */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** RFC 8628 §3.5: poll every 5 s unless the server says otherwise; `slow_down` adds 5 s. */
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_S = 5;

/** What the user is shown for a device authorization (never the `device_code`). */
export interface DeviceAuthorizationShown {
  verification_uri: string;
  verification_uri_complete?: string | undefined;
  user_code: string;
  /** Seconds the code stays valid. */
  expires_in: number;
}

/** A provider that can show the user where to enter a device code (the CLI's). */
export interface DeviceDisplay {
  showDeviceAuthorization?(info: DeviceAuthorizationShown): void | Promise<void>;
}

/** What an unattended grant needs. */
export interface UnattendedContext {
  as: oauth.AuthorizationServer;
  record: ClientRecord;
  auth: oauth.ClientAuth;
  /** The RFC 8707 `resource`, sent on every request when set. */
  resource: string | undefined;
  scope: string | undefined;
  http: AuthHttp;
  now: () => number;
  /** Shows the device code to the user (the provider's `showDeviceAuthorization`). */
  display: DeviceDisplay;
  /** Keeps a value out of logs and errors (the device code). */
  secret(value: string | undefined): void;
  /** Waits `ms` (injectable for tests). Default: a timer. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** Which unattended grant a client metadata names, if any. */
export function unattendedGrant(
  metadata: ClientMetadataLike,
): 'device_code' | 'client_credentials' | undefined {
  const grants = metadata.grant_types ?? [];
  if (grants.includes(DEVICE_CODE_GRANT)) return 'device_code';
  if (grants.includes(CLIENT_CREDENTIALS_GRANT)) return 'client_credentials';
  return undefined;
}

/**
 * Gets tokens without a redirect: the device grant or client credentials, as the client
 * metadata's `grant_types` say.
 *
 * @throws {AuthorizationError} when neither grant is named, the server does not offer it, the
 *   user declines or the code expires (`oauthError` `access_denied`, `expired_token`).
 */
export async function grantUnattended(
  ctx: UnattendedContext,
  metadata: ClientMetadataLike,
): Promise<TokenSet> {
  const grant = unattendedGrant(metadata);
  if (grant === 'device_code') return deviceGrant(ctx);
  if (grant === 'client_credentials') return clientCredentialsGrant(ctx);
  throw new AuthorizationError(
    'registration',
    'The provider has no redirectUrl and its client metadata names no grant lifeline can use without one ' +
      `(${DEVICE_CODE_GRANT} or ${CLIENT_CREDENTIALS_GRANT})`,
  );
}

function parameters(ctx: UnattendedContext): Record<string, string> {
  const out: Record<string, string> = {};
  if (ctx.scope !== undefined) out.scope = ctx.scope;
  if (ctx.resource !== undefined) out.resource = ctx.resource;
  return out;
}

function endpoint(ctx: UnattendedContext, value: string | undefined, what: string): URL {
  if (value === undefined) {
    throw new AuthorizationError('discovery', `The authorization server ${ctx.as.issuer} offers no ${what}`);
  }
  const url = new URL(value);
  ctx.http.assertSecure(url, `The ${what}`);
  return url;
}

/** Client credentials (RFC 6749 §4.4): the client's own tokens, no user and no refresh token. */
export async function clientCredentialsGrant(ctx: UnattendedContext): Promise<TokenSet> {
  const url = endpoint(ctx, ctx.as.token_endpoint, 'token endpoint');
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      ctx.as,
      ctx.record.client,
      ctx.auth,
      parameters(ctx),
      ctx.http.options(url),
    );
    const answer = await oauth.processClientCredentialsResponse(ctx.as, ctx.record.client, response);
    return tokenSet(answer, ctx.now());
  } catch (error) {
    throw tokenError(error, 'The client credentials grant');
  }
}

/**
 * The device authorization grant (RFC 8628): asks for a code (§3.1), shows the user where to
 * enter it (§3.3), then polls the token endpoint at the interval the server gives (§3.4,
 * §3.5: `authorization_pending` waits, `slow_down` waits 5 s longer) until the user has
 * approved, declined, or the code expired.
 */
export async function deviceGrant(ctx: UnattendedContext): Promise<TokenSet> {
  const show = ctx.display.showDeviceAuthorization;
  if (typeof show !== 'function') {
    throw new AuthorizationError(
      'registration',
      'The device grant needs a provider that shows the user code (showDeviceAuthorization)',
    );
  }
  const authorizeAt = endpoint(ctx, ctx.as.device_authorization_endpoint, 'device authorization endpoint');
  let device: oauth.DeviceAuthorizationResponse;
  try {
    const response = await oauth.deviceAuthorizationRequest(
      ctx.as,
      ctx.record.client,
      ctx.auth,
      parameters(ctx),
      ctx.http.options(authorizeAt),
    );
    device = await oauth.processDeviceAuthorizationResponse(ctx.as, ctx.record.client, response);
  } catch (error) {
    throw tokenError(error, 'The device authorization request');
  }
  ctx.secret(device.device_code);
  await show.call(ctx.display, {
    verification_uri: device.verification_uri,
    verification_uri_complete: device.verification_uri_complete,
    user_code: device.user_code,
    expires_in: device.expires_in,
  });
  const tokenAt = endpoint(ctx, ctx.as.token_endpoint, 'token endpoint');
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const expiresAt = ctx.now() + device.expires_in * 1000;
  let interval = device.interval ?? DEFAULT_INTERVAL_S;
  const options: oauth.TokenEndpointRequestOptions = { ...ctx.http.options(tokenAt) };
  if (ctx.resource !== undefined) options.additionalParameters = { resource: ctx.resource };
  for (;;) {
    await sleep(interval * 1000);
    if (ctx.now() >= expiresAt) {
      throw new AuthorizationError('token', 'The device code expired before the sign-in was completed', {
        oauthError: 'expired_token',
      });
    }
    try {
      const response = await oauth.deviceCodeGrantRequest(
        ctx.as,
        ctx.record.client,
        ctx.auth,
        device.device_code,
        options,
      );
      return tokenSet(await oauth.processDeviceCodeResponse(ctx.as, ctx.record.client, response), ctx.now());
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending') continue;
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        interval += SLOW_DOWN_S;
        continue;
      }
      throw tokenError(error, 'The device code grant');
    }
  }
}
