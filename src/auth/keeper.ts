/**
 * The token keeper: what a link asks for its `Authorization` header and what it does when a
 * request is refused. One per transport (one MCP server).
 *
 * - Before each request: the provider's current access token, refreshed first when it is
 *   about to expire (its `expires_in`, minus a skew).
 * - On a 401: a refresh and ONE retry; without a refresh token (or when the refresh is
 *   refused) a new authorization, after discovering again (SEP-2352: the server may have
 *   moved to another authorization server).
 * - On a 403 `insufficient_scope`: a step-up authorization for the union of the scopes
 *   (SEP-2350), unless the token already has them (the retry limit).
 * - One refresh at a time for every request (and every transport sharing the provider), one
 *   authorization at a time; a server that keeps refusing fresh tokens is given up on.
 *
 * Token lifetimes, the shared refresh record and the storm guard: token-lifetimes.ts.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#token-handling
 */

import { AuthorizationError, type UnauthorizedReason } from '../errors.js';
import type { AuthChallenge, LinkAuth } from '../link/contract.js';
import { parseChallenge } from './challenge.js';
import { clientAuth, forIssuer, resolveClient } from './client-identity.js';
import { refreshTokens, type TokenSet } from './grants.js';
import { DEVICE_CODE_GRANT } from './grants-unattended.js';
import type { AuthHttp } from './http.js';
import { covers, unionScopes } from './scope.js';
import { type AuthorizeRequest, type Completed, SignInFlow } from './sign-in.js';
import {
  FreshRefusals,
  isExpiring,
  type ProviderRecord,
  recordFor,
  rememberLifetime,
} from './token-lifetimes.js';
import type { ManagedProviderLike, OAuthClientProviderLike, OAuthOptions, OAuthTokensLike } from './types.js';

/** Options of a {@link TokenKeeper}. */
export interface KeeperOptions {
  /** The MCP server (the protected resource). */
  serverUrl: URL;
  provider: OAuthClientProviderLike;
  oauth?: OAuthOptions | undefined;
  http: AuthHttp;
  /** Keeps a value out of logs and errors (the transport's secrets). */
  secret?: ((value: string) => void) | undefined;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: (() => number) | undefined;
  /**
   * Hears when a managed sign-in (one this process waits for: a provider's `waitForCallback`,
   * `oauth.signIn`, the device grant) starts (`true`) and ends (`false`), for the status.
   */
  onSignIn?: ((waiting: boolean) => void) | undefined;
}

function bearer(tokens: OAuthTokensLike): string {
  return `Bearer ${tokens.access_token}`;
}

/** The `LinkAuth` of a transport with an `authProvider`. */
export class TokenKeeper implements LinkAuth {
  readonly #options: KeeperOptions;
  readonly #now: () => number;
  readonly #oauth: OAuthClientProviderLike;
  readonly #flow: SignInFlow;
  readonly #record: ProviderRecord;
  /** The authorization in flight: concurrent 401s share it. */
  #authorizing: Promise<unknown> | undefined;
  /** The scope last asked for, and the issuer of the tokens last obtained. */
  #requestedScope: string | undefined;
  /** An access token the server refused and that cannot be refreshed: not sent again. */
  #dead: string | undefined;
  /**
   * The authorization server refused the last refresh (`invalid_grant`...): the 401 that follows
   * (often on a request sent without a token, the set being dropped) asks the user again as
   * `refresh-refused`, after discovering again.
   */
  #refreshRefused = false;
  readonly #refusals: FreshRefusals;

  constructor(options: KeeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#record = recordFor(options.provider);
    this.#refusals = new FreshRefusals(this.#record, options.serverUrl, this.#now);
    this.#oauth = options.provider;
    this.#flow = new SignInFlow({
      serverUrl: options.serverUrl,
      provider: options.provider,
      options: options.oauth ?? {},
      http: options.http,
      now: this.#now,
      secret: (value) => this.#secret(value),
    });
  }

  // --- LinkAuth ---

  async authorization(): Promise<string | undefined> {
    // A refresh or sign-in in flight gives the token this request should carry.
    if (this.#authorizing !== undefined) await this.#authorizing.catch(() => {});
    if (this.#record.refreshing !== undefined) await this.#record.refreshing.catch(() => {});
    let tokens = await this.#tokens();
    if (tokens === undefined) return undefined;
    if (isExpiring(this.#record, tokens, this.#now()) && tokens.refresh_token !== undefined) {
      // A failed refresh is not this request's failure: the server's 401 decides what follows.
      await this.#refresh(tokens).catch(() => {});
      tokens = await this.#tokens();
      if (tokens === undefined) return undefined;
    }
    return bearer(tokens);
  }

  async challenged(challenge: AuthChallenge): Promise<'retry' | 'pass'> {
    const parsed = parseChallenge(challenge.wwwAuthenticate);
    const tokens = await this.#tokens();
    const current = tokens === undefined ? undefined : bearer(tokens);
    if (challenge.status === 403) {
      if (parsed.error !== 'insufficient_scope') return 'pass';
      // Stepped up meanwhile by another request: retry with the new token.
      if (current !== undefined && current !== challenge.sent) return 'retry';
      const granted = tokens?.scope ?? this.#requestedScope;
      if (covers(granted, parsed.scope)) {
        throw new AuthorizationError(
          'insufficient_scope',
          `The server refuses the request although the token has the scopes it asked for (${parsed.scope ?? 'none named'}); not asking the user again`,
        );
      }
      // Refreshing cannot widen a grant (RFC 6749 §6): a new authorization, for the union.
      const scope = unionScopes(this.#requestedScope, granted, parsed.scope);
      await this.#authorize({ challenge: parsed, scope, reason: 'insufficient-scope' });
      return 'retry';
    }
    if (this.#authorizing !== undefined) {
      await this.#authorizing;
      return 'retry';
    }
    if (this.#record.refreshing !== undefined) {
      // Refused together with others: the refresh one of them started is this one's too.
      const renewed = await this.#record.refreshing.then(
        () => true,
        () => false,
      );
      if (renewed) return 'retry';
      return this.challenged(challenge);
    }
    if (current !== undefined && current !== challenge.sent) return 'retry';
    if (challenge.sent === undefined) {
      // Sent without a token because its refresh was just refused (the set is gone): say so.
      const refused = this.#refreshRefused;
      await this.#authorize({
        challenge: parsed,
        rediscover: refused,
        reason: refused ? 'refresh-refused' : undefined,
      });
      return 'retry';
    }
    this.#refusals.check(challenge.sent);
    let reason: UnauthorizedReason = this.#refreshRefused ? 'refresh-refused' : 'sign-in-required';
    if (tokens?.refresh_token !== undefined) {
      try {
        await this.#refresh(tokens);
        return 'retry';
      } catch (error) {
        if ((error as { retryable?: unknown }).retryable === true) throw error;
        reason = 'refresh-refused';
      }
    }
    // The token is refused and cannot be renewed: the resource may trust another
    // authorization server now (SEP-2352), so discovery starts over.
    if (tokens !== undefined) this.#dead = tokens.access_token;
    await this.#authorize({ challenge: parsed, rediscover: true, reason });
    return 'retry';
  }

  // --- finishAuth ---

  /**
   * Completes a sign-in with the authorization server's callback (`transport.finishAuth`):
   * checks it, exchanges the code and saves the tokens with the provider.
   *
   * @throws {UnauthorizedError} when the callback is empty.
   * @throws {AuthorizationError} when a check fails or the code is refused.
   */
  async completeAuthorization(codeOrParams: string | URLSearchParams, iss?: string): Promise<void> {
    const params =
      typeof codeOrParams === 'string'
        ? new URLSearchParams(iss === undefined ? { code: codeOrParams } : { code: codeOrParams, iss })
        : codeOrParams;
    await this.#save(await this.#flow.complete(params));
  }

  // --- internals ---

  #secret(value: string | undefined): void {
    if (value !== undefined && value.length >= 3) this.#options.secret?.(value);
  }

  /** The provider's tokens (a refused, unrenewable one reads as none). */
  async #tokens(): Promise<OAuthTokensLike | undefined> {
    const tokens = await this.#oauth.tokens();
    if (tokens === undefined || tokens === null || typeof tokens.access_token !== 'string') return undefined;
    if (tokens.access_token === this.#dead) return undefined;
    this.#secret(tokens.access_token);
    this.#secret(tokens.refresh_token);
    return tokens;
  }

  /** Refreshes, once for every caller (requests and transports sharing the provider). */
  #refresh(tokens: OAuthTokensLike): Promise<void> {
    const record = this.#record;
    if (record.refreshing === undefined) {
      record.refreshing = this.#doRefresh(tokens).finally(() => {
        record.refreshing = undefined;
      });
    }
    return record.refreshing;
  }

  async #doRefresh(tokens: OAuthTokensLike): Promise<void> {
    const flow = this.#flow;
    const provider = this.#oauth;
    const discovery = await flow.current();
    const issuer = discovery.as.issuer;
    if (forIssuer(tokens, issuer) === undefined || tokens.refresh_token === undefined) {
      throw new AuthorizationError('token', 'The refresh token was issued by another authorization server');
    }
    const info = forIssuer(await provider.clientInformation({ issuer }), issuer);
    if (info === undefined)
      throw new AuthorizationError('token', `No client registration for ${issuer} to refresh with`);
    const record = await resolveClient({ provider, discovery, scope: undefined, http: this.#options.http });
    const resource = await flow.resource(discovery);
    const scope =
      provider.scopeForRefresh !== undefined
        ? await provider.scopeForRefresh(tokens)
        : this.#options.oauth?.refreshScope === 'none'
          ? undefined
          : (tokens.scope ?? this.#requestedScope);
    const context = {
      as: discovery.as,
      record,
      auth: clientAuth(record, provider),
      resource,
      http: this.#options.http,
      now: this.#now,
    };
    const shared = (provider as ManagedProviderLike).refreshTokens;
    try {
      if (typeof shared === 'function') {
        // Once across processes: the provider re-reads its store under a lease first.
        const stored = await shared.call(provider, { access_token: tokens.access_token }, async (current) => {
          if (current.refresh_token === undefined)
            throw new AuthorizationError('token', 'No refresh token is stored');
          const set = await refreshTokens(context, current.refresh_token, scope);
          this.#remember(set);
          return { tokens: { ...set.tokens, issuer }, issuer, clientId: record.client.client_id };
        });
        if (stored === undefined)
          throw new AuthorizationError('token', 'The refreshed tokens were not stored');
        this.#secret(stored.access_token);
        this.#secret(stored.refresh_token);
        this.#dead = undefined;
        this.#refreshRefused = false;
        return;
      }
      const set = await refreshTokens(context, tokens.refresh_token, scope);
      await this.#save({ set, issuer, scope: this.#requestedScope, discovery });
    } catch (error) {
      const code = (error as AuthorizationError).oauthError;
      if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') {
        // Delete only the token set that failed (another transport may have saved a newer one).
        const now = await provider.tokens();
        if (now?.refresh_token === tokens.refresh_token) await provider.invalidateCredentials?.('tokens');
        if (code !== 'invalid_grant' && record.dynamic) await provider.invalidateCredentials?.('client');
        this.#dead = tokens.access_token;
        this.#refreshRefused = true;
      }
      throw error;
    }
  }

  /** Saves tokens with the provider (stamped with their issuer, SEP-2352) and remembers their life. */
  async #save(completed: Completed): Promise<void> {
    const { set, issuer } = completed;
    const stamped: OAuthTokensLike = { ...set.tokens, issuer };
    this.#secret(set.tokens.access_token);
    this.#secret(set.tokens.refresh_token);
    this.#secret(set.tokens.id_token);
    await this.#oauth.saveTokens(stamped, { issuer });
    this.#remember(set);
    this.#requestedScope = completed.scope ?? this.#requestedScope;
    this.#dead = undefined;
    this.#refreshRefused = false;
  }

  /** Remembers when a token was obtained and expires (the provider's shape keeps only `expires_in`). */
  #remember(set: TokenSet): void {
    this.#secret(set.tokens.access_token);
    this.#secret(set.tokens.refresh_token);
    rememberLifetime(this.#record, set);
  }

  /** One authorization at a time: concurrent refusals share its outcome. */
  #authorize(request: AuthorizeRequest): Promise<unknown> {
    if (this.#authorizing !== undefined) return this.#authorizing;
    const flow = this.#flow;
    if (request.scope !== undefined) this.#requestedScope = request.scope;
    const notify = this.#managed() ? this.#options.onSignIn : undefined;
    notify?.(true);
    this.#authorizing = flow
      .authorize(request)
      .then(async (completed) => {
        if (completed !== undefined) await this.#save(completed);
      })
      .finally(() => {
        this.#authorizing = undefined;
        notify?.(false);
      });
    return this.#authorizing;
  }

  /** Whether an authorization waits here for the user (else it fails with `UnauthorizedError`). */
  #managed(): boolean {
    const provider = this.#oauth as OAuthClientProviderLike & ManagedProviderLike;
    if (typeof provider.waitForCallback === 'function' || this.#options.oauth?.signIn !== undefined)
      return true;
    return (
      provider.redirectUrl === undefined &&
      provider.clientMetadata.grant_types?.includes(DEVICE_CODE_GRANT) === true
    );
  }
}
