/**
 * The authorization code flow of one MCP server, start to finish: discovery, the client, the
 * authorization URL handed to the user, and the callback exchanged for tokens. The keeper
 * (keeper.ts) decides when; this module does it.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-flow-steps
 */

import * as oauth from 'oauth4webapi';
import { AuthorizationError, UnauthorizedError, type UnauthorizedReason } from '../errors.js';
import {
  authorizationUrl,
  type PendingAuthorization,
  PendingAuthorizations,
  validateCallback,
} from './authorize.js';
import type { Challenge } from './challenge.js';
import { clientAuth, forIssuer, registrationMetadata, resolveClient } from './client-identity.js';
import { type Discovery, defaultEndpoints, discover } from './discovery.js';
import { exchangeCode, type TokenSet } from './grants.js';
import { type DeviceDisplay, grantUnattended } from './grants-unattended.js';
import type { AuthHttp } from './http.js';
import { resourceUrl, selectResource } from './resource.js';
import { chooseScope } from './scope.js';
import type { ManagedProviderLike, OAuthClientProviderLike, OAuthOptions } from './types.js';

/** What a flow needs from its keeper. */
export interface FlowHost {
  serverUrl: URL;
  provider: OAuthClientProviderLike;
  options: OAuthOptions;
  http: AuthHttp;
  now(): number;
  /** Keeps a value out of logs and errors. */
  secret(value: string | undefined): void;
}

/** Why an authorization starts. */
export interface AuthorizeRequest {
  challenge?: Challenge | undefined;
  /** The scope to ask for (a step-up's union); chosen by the MCP rules when absent. */
  scope?: string | undefined;
  /** Forget the cached discovery first (SEP-2352: the server may have moved). */
  rediscover?: boolean | undefined;
  /** Why the user is asked, for the error. */
  reason?: UnauthorizedReason | undefined;
}

/** Tokens received, and what they were received for. */
export interface Completed {
  set: TokenSet;
  issuer: string;
  scope: string | undefined;
  discovery: Discovery;
}

/** One server's sign-ins: the cached discovery and the authorizations waiting for a callback. */
export class SignInFlow {
  readonly #host: FlowHost;
  readonly #pending = new PendingAuthorizations();
  #discovery: Discovery | undefined;

  constructor(host: FlowHost) {
    this.#host = host;
  }

  /** The discovery in use, if any. */
  get discovery(): Discovery | undefined {
    return this.#discovery;
  }

  /**
   * The discovery to use: this flow's, else the provider's saved `discoveryState()` (a
   * transport created after the redirect), else a fresh one.
   */
  async current(): Promise<Discovery> {
    if (this.#discovery !== undefined) return this.#discovery;
    const saved = await this.#host.provider.discoveryState?.();
    const restored = saved === undefined ? undefined : fromSaved(saved, this.#host.serverUrl);
    this.#discovery = restored ?? (await discover(this.#host.serverUrl, this.#host.http));
    return this.#discovery;
  }

  /** The `resource` to send with this discovery (RFC 8707). */
  resource(discovery: Discovery): Promise<string | undefined> {
    const { serverUrl, provider, options } = this.#host;
    return selectResource({ serverUrl, prm: discovery.prm, provider, omit: options.resource === 'omit' });
  }

  /**
   * Starts an authorization: hands the URL to the provider (`redirectToAuthorization`) and
   * rejects with {@link UnauthorizedError}, or, with a `signIn` hook, waits for the callback
   * and completes it.
   */
  async authorize(request: AuthorizeRequest): Promise<Completed | undefined> {
    const { provider, http } = this.#host;
    if (request.rediscover === true) {
      this.#discovery = undefined;
      await provider.invalidateCredentials?.('discovery');
    }
    const discovery =
      this.#discovery !== undefined && request.rediscover !== true
        ? this.#discovery
        : await discover(this.#host.serverUrl, http, {
            resourceMetadata: request.challenge?.resourceMetadata,
          });
    this.#discovery = discovery;
    await provider.saveDiscoveryState?.(toSaved(discovery));
    const resource = await this.resource(discovery);
    const grantTypes = provider.clientMetadata.grant_types;
    const scope =
      request.scope ??
      chooseScope({
        challenge: request.challenge?.scope,
        resourceScopes: discovery.prm?.scopes_supported,
        serverScopes: discovery.as.scopes_supported,
        clientScope: provider.clientMetadata.scope,
        refreshTokens: grantTypes === undefined || grantTypes.includes('refresh_token'),
      });
    const record = await resolveClient({ provider, discovery, scope, http });
    this.#host.secret(record.secret);
    const redirect = provider.redirectUrl;
    if (redirect === undefined) {
      // No redirect (the SDK's non-interactive mark): the device or client credentials grant.
      const set = await grantUnattended(
        {
          as: discovery.as,
          record,
          auth: clientAuth(record, provider),
          resource,
          scope,
          http,
          now: this.#host.now,
          display: provider as DeviceDisplay,
          secret: (value) => this.#host.secret(value),
        },
        registrationMetadata(provider),
      );
      return { set, issuer: discovery.as.issuer, scope, discovery };
    }
    const state = (await provider.state?.()) ?? oauth.generateRandomState();
    const { url, pending } = await authorizationUrl({
      discovery,
      record,
      redirectUri: String(redirect),
      scope,
      resource,
      state,
      http,
    });
    this.#host.secret(state);
    this.#host.secret(pending.verifier);
    await provider.saveCodeVerifier(pending.verifier);
    this.#pending.add(pending);
    const signIn = this.#host.options.signIn;
    if (signIn !== undefined) return this.complete(await signIn(url));
    await provider.redirectToAuthorization(url);
    const wait = (provider as ManagedProviderLike).waitForCallback;
    if (typeof wait === 'function') {
      // A managed provider waits for the callback itself; undefined: signed in by another process.
      const params = await wait.call(provider);
      return params === undefined ? undefined : this.complete(params);
    }
    const where = resourceUrl(this.#host.serverUrl);
    throw new UnauthorizedError(
      `${where.origin}${where.pathname} requires authorization: the user signs in at ${new URL(url.origin).host} ` +
        "(the URL went to the provider's redirectToAuthorization), then call transport.finishAuth(callbackParams) and connect again",
      request.reason ?? 'sign-in-required',
    );
  }

  /**
   * Completes an authorization with its callback: checks it (RFC 9207 `iss`, `state`,
   * `error`), exchanges the code, and returns the tokens (not yet saved).
   *
   * @throws {UnauthorizedError} when the callback has neither `code` nor `error`.
   * @throws {AuthorizationError} when a check fails or the exchange is refused.
   */
  async complete(params: URLSearchParams): Promise<Completed> {
    const { provider, http } = this.#host;
    this.#host.secret(params.get('code') ?? undefined);
    if (!params.has('code') && !params.has('error'))
      throw new UnauthorizedError(
        'The authorization callback carries neither a code nor an error',
        'sign-in-required',
      );
    const pending = this.#pending.take(params.get('state') ?? undefined) ?? (await this.#rebuild());
    const callback = validateCallback(pending, params);
    const { as } = pending.discovery;
    const auth = clientAuth(pending.record, provider);
    let set: TokenSet;
    try {
      set = await exchangeCode(
        { as, record: pending.record, auth, resource: pending.resource, http, now: this.#host.now },
        callback,
        pending.redirectUri,
        pending.verifier,
      );
    } catch (error) {
      const code = (error as AuthorizationError).oauthError;
      // A registration lifeline made that the server no longer knows: register again next time.
      if (pending.record.dynamic && (code === 'invalid_client' || code === 'unauthorized_client'))
        await provider.invalidateCredentials?.('client');
      throw error;
    }
    this.#discovery = pending.discovery;
    return { set, issuer: as.issuer, scope: pending.scope, discovery: pending.discovery };
  }

  /** The authorization a callback answers when this flow did not start it (a new transport). */
  async #rebuild(): Promise<PendingAuthorization> {
    const { provider } = this.#host;
    const discovery = await this.current();
    const issuer = discovery.as.issuer;
    const info = forIssuer(await provider.clientInformation({ issuer }), issuer);
    if (info === undefined) {
      throw new AuthorizationError(
        'registration',
        `No client registration for ${issuer} to complete the authorization with; start over with connect()`,
      );
    }
    const record = await resolveClient({ provider, discovery, scope: undefined, http: this.#host.http });
    const redirect = provider.redirectUrl;
    if (redirect === undefined)
      throw new AuthorizationError('registration', 'The provider has no redirectUrl');
    const verifier = await provider.codeVerifier();
    this.#host.secret(verifier);
    const resource = await this.resource(discovery);
    return {
      state: undefined,
      verifier,
      redirectUri: String(redirect),
      scope: undefined,
      resource,
      discovery,
      record,
    };
  }
}

/** The SDK's `OAuthDiscoveryState` for a discovery (synthesized endpoints are not metadata). */
function toSaved(discovery: Discovery) {
  return {
    authorizationServerUrl: discovery.authorizationServerUrl,
    resourceMetadataUrl: discovery.resourceMetadataUrl,
    resourceMetadata: discovery.prm,
    authorizationServerMetadata: discovery.synthesized ? undefined : discovery.as,
  };
}

/** A discovery from a saved `OAuthDiscoveryState`, when it holds enough to go on. */
function fromSaved(
  saved: {
    authorizationServerUrl: string;
    resourceMetadataUrl?: string | undefined;
    resourceMetadata?: object | undefined;
    authorizationServerMetadata?: object | undefined;
  },
  serverUrl: URL,
): Discovery | undefined {
  const prm = saved.resourceMetadata as oauth.ResourceServer | undefined;
  const as = saved.authorizationServerMetadata as oauth.AuthorizationServer | undefined;
  if (as !== undefined && typeof as.issuer === 'string') {
    return {
      prm,
      resourceMetadataUrl: saved.resourceMetadataUrl,
      authorizationServerUrl: saved.authorizationServerUrl,
      as,
      synthesized: false,
    };
  }
  if (prm !== undefined) return undefined;
  return {
    prm: undefined,
    resourceMetadataUrl: undefined,
    authorizationServerUrl: saved.authorizationServerUrl,
    as: defaultEndpoints(serverUrl),
    synthesized: true,
  };
}
