/**
 * The `lifeline` command's `OAuthClientProvider`: the SDK's provider shape (v1 and v2), kept in
 * the file store and signing in through the browser on a loopback callback (interactive.ts).
 * The protocol core takes it as any other `authProvider`; with it, it can also wait for the
 * sign-in itself ({@link CliAuthProvider.waitForCallback}) and share refreshes between processes
 * ({@link CliAuthProvider.refreshTokens}).
 *
 * Keys: tokens per RFC 8707 resource (the one the discovery found, or the `resource` option),
 * registrations per authorization server (the v2 `ctx.issuer`, else the token's or registration's
 * `issuer` stamp, else the discovered one), PKCE verifiers per `state`.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import { randomBytes } from 'node:crypto';
import { AuthorizationError } from '../errors.js';
import {
  type CliAuthProviderOptions,
  type CliGrant,
  GRANT_TYPES,
  type RefreshResult,
  type TimedTokens,
} from './cli-options.js';
import type { ServerStore, TokenRecord } from './file-store.js';
import {
  announceDeviceAuthorization,
  callbackPortFor,
  type DeviceAuthorizationInfo,
  loopbackRedirectUri,
  type SignIn,
  startSignIn,
} from './interactive.js';
import { issuerKey } from './paths.js';
import type {
  ClientInformationLike,
  ClientMetadataLike,
  CredentialScope,
  DiscoveryStateLike,
  IssuerContext,
  OAuthClientProviderLike,
  OAuthTokensLike,
} from './types.js';

export type { CliAuthProviderOptions, CliGrant, RefreshResult, TimedTokens } from './cli-options.js';

/** The CLI's provider: the SDK `OAuthClientProvider` shape plus managed sign-in and shared refresh. */
export class CliAuthProvider implements OAuthClientProviderLike {
  /** The loopback callback port. */
  readonly callbackPort: number;
  /** `http://127.0.0.1:<port>/oauth/callback`; undefined for the grants without a browser (the SDK's non-interactive mark). */
  readonly redirectUrl: string | undefined;
  /** How this client gets tokens. */
  readonly grant: CliGrant;
  /** The store of this server. */
  readonly store: ServerStore;
  readonly #options: CliAuthProviderOptions;
  /** The state of the current sign-in; verifiers are stored under it. */
  #state: string | undefined;
  #signIn: SignIn | undefined;
  #callbackReceived = false;
  /** The token set last handed out: what `invalidateCredentials('tokens')` compares against. */
  #lastTokens: OAuthTokensLike | undefined;
  /** When this provider last found no tokens stored: tokens obtained since came from another process. */
  #emptySince: number | undefined;
  /** Registrations this process made, by issuer key: its own sign-in uses them even if another process wrote another. */
  readonly #ownClients = new Map<string, ClientInformationLike>();
  #resource: { value: string | undefined } | undefined;
  /** The authorization server a pre-registered client was used with (the SDK's SEP-2352 stamp). */
  #staticIssuer: string | undefined;

  constructor(options: CliAuthProviderOptions) {
    this.#options = options;
    this.callbackPort = options.callbackPort ?? callbackPortFor(options.serverUrl);
    this.grant = options.grant ?? 'authorization_code';
    this.redirectUrl =
      this.grant === 'authorization_code' ? loopbackRedirectUri(this.callbackPort) : undefined;
    this.store = options.store.server(options.serverUrl);
  }

  /**
   * Registration metadata (RFC 7591 §2): a native public client with a loopback redirect (RFC
   * 8252 §7.3) for the browser grant; no redirect for the device and client credentials grants.
   */
  get clientMetadata(): ClientMetadataLike {
    const { scopes, clientUri, softwareVersion, staticClient } = this.#options;
    return {
      client_name: this.#options.clientName,
      redirect_uris: this.redirectUrl === undefined ? [] : [this.redirectUrl],
      grant_types: GRANT_TYPES[this.grant],
      response_types: this.grant === 'authorization_code' ? ['code'] : [],
      token_endpoint_auth_method: staticClient?.client_secret === undefined ? 'none' : 'client_secret_basic',
      application_type: 'native',
      software_id: 'mcp-lifeline',
      ...(scopes !== undefined && scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      ...(clientUri === undefined ? {} : { client_uri: clientUri }),
      ...(softwareVersion === undefined ? {} : { software_version: softwareVersion }),
    };
  }

  /** A fresh random `state` (RFC 6749 §10.12) for the next authorization URL. */
  state(): string {
    this.#state = randomBytes(32).toString('base64url');
    return this.#state;
  }

  async clientInformation(ctx?: IssuerContext): Promise<ClientInformationLike | undefined> {
    const fixed = this.#options.staticClient;
    if (fixed !== undefined)
      return { ...fixed, ...(this.#staticIssuer === undefined ? {} : { issuer: this.#staticIssuer }) };
    const issuer = ctx?.issuer ?? (await this.#issuer());
    const own = this.#ownClients.get(issuerKey(issuer));
    if (own !== undefined) return own;
    const expect = { grantType: GRANT_TYPES[this.grant][0] as string, redirectUri: this.redirectUrl };
    return (await this.store.readClient(issuer, expect))?.client;
  }

  async saveClientInformation(info: ClientInformationLike, ctx?: IssuerContext): Promise<void> {
    if (this.#options.staticClient !== undefined) {
      // Only the SEP-2352 stamp is kept (in memory): the client itself comes from the configuration.
      this.#staticIssuer = ctx?.issuer ?? info.issuer;
      return;
    }
    const issuer = ctx?.issuer ?? info.issuer ?? (await this.#issuer());
    this.#ownClients.set(issuerKey(issuer), info);
    await this.store.writeClient(issuer, info, this.redirectUrl);
  }

  /**
   * The stored token set, read from disk each time (another process may have refreshed it),
   * with `obtained_at`, `expires_at`, and `expires_in` counted from now.
   */
  async tokens(_ctx?: IssuerContext): Promise<TimedTokens | undefined> {
    const record = await this.store.readTokens(await this.#resourceKey());
    this.#lastTokens = record?.tokens;
    this.#emptySince = record === undefined ? this.store.now() : undefined;
    return record === undefined ? undefined : this.#timed(record);
  }

  async saveTokens(tokens: OAuthTokensLike, ctx?: IssuerContext): Promise<void> {
    const { obtained_at: _o, expires_at: _e, ...plain } = tokens as TimedTokens;
    const issuer = ctx?.issuer ?? plain.issuer ?? (await this.#issuer());
    const own = this.#ownClients.get(issuerKey(issuer));
    const clientId = own?.client_id ?? this.#options.staticClient?.client_id;
    await this.store.writeTokens(await this.#resourceKey(), plain, { issuer, clientId });
    this.#lastTokens = plain;
    this.#emptySince = undefined;
    // Two processes registered at once and the other one's registration landed on disk: the
    // tokens belong to this process's client, and a refresh must use that one.
    if (own !== undefined && (await this.store.readClient(issuer))?.client.client_id !== own.client_id) {
      await this.store.writeClient(issuer, own, this.redirectUrl);
    }
    if (this.#callbackReceived) await this.#endSignIn();
  }

  /**
   * Prints the authorization URL, opens the browser (unless `noBrowser`) and starts waiting for
   * the callback; {@link waitForCallback} gives the result. A second lifeline process signing in
   * to the same server waits for the first instead.
   */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (this.grant !== 'authorization_code') {
      throw new AuthorizationError('callback', `No browser sign-in with the ${this.grant} grant`);
    }
    const state = authorizationUrl.searchParams.get('state');
    if (state !== null && this.#state !== undefined && state !== this.#state) {
      // The caller made its own state: keep the verifier under the one the callback will carry.
      const verifier = await this.store.readVerifier(this.#state);
      if (verifier !== undefined) await this.store.saveVerifier(state, verifier);
      await this.store.deleteVerifier(this.#state);
    }
    if (state !== null) this.#state = state;
    await this.#signIn?.cancel();
    this.#callbackReceived = false;
    if (await this.#storedSince(this.#emptySince)) {
      // Another lifeline finished signing in after this one found no tokens: no second tab.
      this.#options.log(`Signed in to ${new URL(this.#options.serverUrl).host} by another lifeline process.`);
      this.#signIn = alreadySignedIn(state ?? '');
      return;
    }
    const started = this.store.now();
    const signIn = await startSignIn({
      serverUrl: this.#options.serverUrl,
      authorizationUrl,
      port: this.callbackPort,
      timeoutMs: this.#options.signInTimeoutMs,
      noBrowser: this.#options.noBrowser,
      openBrowser: this.#options.openBrowser,
      pasteInput: this.#options.pasteInput,
      log: this.#options.log,
      signedInElsewhere: () => this.#storedSince(started),
    });
    this.#signIn = signIn;
    void signIn.outcome.then(
      (outcome) => {
        if (outcome.kind === 'callback' && this.#signIn === signIn) this.#callbackReceived = true;
      },
      () => undefined, // reported by waitForCallback()
    );
  }

  /**
   * Managed sign-in: resolves with the callback's query (`code`, `state`, `iss`, or `error`)
   * after {@link redirectToAuthorization}, for the caller to validate and exchange; resolves
   * `undefined` when another lifeline process signed in to this server meanwhile and the tokens
   * are in the store (read {@link tokens} again). Rejects with an `AuthorizationError` on
   * timeout, or when no sign-in was started.
   */
  async waitForCallback(): Promise<URLSearchParams | undefined> {
    const signIn = this.#signIn;
    if (signIn === undefined) {
      throw new AuthorizationError(
        'callback',
        'No sign-in is in progress (redirectToAuthorization was not called)',
      );
    }
    let outcome: Awaited<SignIn['outcome']>;
    try {
      outcome = await signIn.outcome;
    } catch (error) {
      await this.store.deleteVerifier(signIn.state);
      throw error;
    }
    if (outcome.kind === 'shared') {
      await this.store.deleteVerifier(signIn.state);
      // The other process's registration is the one its tokens belong to.
      this.#ownClients.clear();
      if (this.#signIn === signIn) this.#signIn = undefined;
      return undefined;
    }
    this.#state = signIn.state;
    return outcome.params;
  }

  /**
   * Shows the user where to enter the code of a device authorization (RFC 8628 §3.3) and opens
   * `verification_uri_complete` in the browser unless `noBrowser`. The `device_code` is never shown.
   */
  async showDeviceAuthorization(info: DeviceAuthorizationInfo): Promise<void> {
    await announceDeviceAuthorization(info, {
      serverUrl: this.#options.serverUrl,
      log: this.#options.log,
      noBrowser: this.#options.noBrowser,
      openBrowser: this.#options.openBrowser,
    });
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.store.saveVerifier(this.#state ?? this.state(), codeVerifier);
  }

  /** The PKCE verifier of the current sign-in (the `state` of the last callback or authorization URL). */
  async codeVerifier(): Promise<string> {
    const verifier = this.#state === undefined ? undefined : await this.store.readVerifier(this.#state);
    if (verifier === undefined) {
      throw new AuthorizationError(
        'callback',
        'The PKCE verifier of this sign-in is missing or expired; sign in again',
      );
    }
    return verifier;
  }

  /**
   * Forgets what the server refused. `tokens` deletes the stored set only if it is still the
   * one this provider last handed out (compare-and-delete: a set another process stored since
   * is kept). A pre-registered client is never dropped.
   */
  async invalidateCredentials(scope: CredentialScope): Promise<void> {
    if (scope === 'all' || scope === 'tokens') {
      const last = this.#lastTokens;
      if (last !== undefined) await this.invalidateTokens(last);
    }
    if ((scope === 'all' || scope === 'client') && this.#options.staticClient === undefined) {
      this.#ownClients.clear();
      const discovery = await this.discoveryState();
      await this.store.deleteClient(discovery === undefined ? undefined : await this.#issuer());
    }
    if ((scope === 'all' || scope === 'verifier') && this.#state !== undefined) {
      await this.store.deleteVerifier(this.#state);
    }
    if (scope === 'all' || scope === 'discovery') {
      await this.store.deleteDiscovery();
      this.#resource = undefined;
    }
  }

  /** Compare-and-delete of the stored token set that failed (its `refresh_token` and `access_token`). */
  async invalidateTokens(failed: Pick<OAuthTokensLike, 'access_token' | 'refresh_token'>): Promise<boolean> {
    const deleted = await this.store.deleteTokensIf(await this.#resourceKey(), failed);
    if (deleted) {
      this.#lastTokens = undefined;
      this.#emptySince = this.store.now();
    }
    return deleted;
  }

  async saveDiscoveryState(state: DiscoveryStateLike): Promise<void> {
    await this.store.writeDiscovery(state);
    this.#resource = undefined;
  }

  async discoveryState(): Promise<DiscoveryStateLike | undefined> {
    return this.store.readDiscovery();
  }

  /** Runs `fn` holding a lease on `name` for this server, across processes (see {@link ServerStore.withLease}). */
  withLease<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.store.withLease(name, fn);
  }

  /**
   * One refresh across processes: under the tokens lease, reads the stored set again; when it
   * is no longer `seen` (another process refreshed it), returns that set and `refresh` is not
   * called; otherwise `refresh` gets the stored set and its result is stored and returned.
   * Undefined when no tokens are stored.
   */
  async refreshTokens(
    seen: Pick<OAuthTokensLike, 'access_token'> | undefined,
    refresh: (current: OAuthTokensLike) => Promise<RefreshResult>,
  ): Promise<TimedTokens | undefined> {
    const record = await this.store.refreshTokens(await this.#resourceKey(), seen, (current) =>
      refresh(current.tokens),
    );
    this.#lastTokens = record?.tokens;
    return record === undefined ? undefined : this.#timed(record);
  }

  /** Stops a sign-in in progress and releases the callback port. */
  async close(): Promise<void> {
    const signIn = this.#signIn;
    this.#signIn = undefined;
    await signIn?.cancel();
  }

  async #endSignIn(): Promise<void> {
    const signIn = this.#signIn;
    this.#signIn = undefined;
    this.#callbackReceived = false;
    if (signIn === undefined) return;
    await this.store.deleteVerifier(signIn.state);
    await signIn.finish();
  }

  /** Whether tokens obtained at or after `since` are stored. */
  async #storedSince(since: number | undefined): Promise<boolean> {
    if (since === undefined) return false;
    const record = await this.store.readTokens(await this.#resourceKey());
    return record !== undefined && record.obtainedAt >= since;
  }

  #timed(record: TokenRecord): TimedTokens {
    const tokens: TimedTokens = { ...record.tokens, obtained_at: record.obtainedAt };
    if (tokens.issuer === undefined && record.issuer !== undefined) tokens.issuer = record.issuer;
    if (record.expiresAt !== undefined) {
      tokens.expires_at = record.expiresAt;
      tokens.expires_in = Math.max(0, Math.floor((record.expiresAt - this.store.now()) / 1000));
    }
    return tokens;
  }

  /** The issuer registrations are keyed by when the caller names none: the discovered one. */
  async #issuer(): Promise<string> {
    const discovery = await this.discoveryState();
    const metadataIssuer = (discovery?.authorizationServerMetadata as { issuer?: unknown } | undefined)
      ?.issuer;
    return typeof metadataIssuer === 'string' ? metadataIssuer : (discovery?.authorizationServerUrl ?? '');
  }

  /** The resource tokens are keyed by: the option, else the discovered protected resource's. */
  async #resourceKey(): Promise<string | undefined> {
    if (this.#options.resource !== undefined) return this.#options.resource;
    if (this.#resource === undefined) {
      const metadata = (await this.discoveryState())?.resourceMetadata as { resource?: unknown } | undefined;
      this.#resource = { value: typeof metadata?.resource === 'string' ? metadata.resource : undefined };
    }
    return this.#resource.value;
  }
}

/** A sign-in that another process already completed. */
function alreadySignedIn(state: string): SignIn {
  return {
    state,
    outcome: Promise.resolve({ kind: 'shared' }),
    finish: async () => undefined,
    cancel: async () => undefined,
  };
}

/** Creates the `lifeline` command's provider for one MCP server. */
export function createCliAuthProvider(options: CliAuthProviderOptions): CliAuthProvider {
  return new CliAuthProvider(options);
}
