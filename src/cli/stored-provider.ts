/**
 * The provider of `lifeline status` and `watch`: the CLI provider's stored registrations and
 * tokens, refreshed as usual (once across processes), but never a sign-in. Nobody is there to
 * open a browser or read a device code while a status table is drawn, so a server that needs
 * one fails with `UnauthorizedError`, which the status shows as "authorization required"
 * (`lifeline auth login <name>` signs in).
 */

import type { CliAuthProvider, RefreshResult, TimedTokens } from '../auth/cli-provider.js';
import type { DeviceAuthorizationShown } from '../auth/grants-unattended.js';
import type {
  ClientInformationLike,
  ClientMetadataLike,
  CredentialScope,
  DiscoveryStateLike,
  IssuerContext,
  OAuthClientProviderLike,
  OAuthTokensLike,
} from '../auth/types.js';
import { UnauthorizedError } from '../errors.js';

/** A CLI provider that uses what is stored and never asks the user. */
export class StoredOnlyProvider implements OAuthClientProviderLike {
  readonly #inner: CliAuthProvider;

  constructor(inner: CliAuthProvider) {
    this.#inner = inner;
  }

  get redirectUrl(): string | undefined {
    return this.#inner.redirectUrl;
  }

  get clientMetadata(): ClientMetadataLike {
    return this.#inner.clientMetadata;
  }

  state(): string {
    return this.#inner.state();
  }

  clientInformation(ctx?: IssuerContext): Promise<ClientInformationLike | undefined> {
    return this.#inner.clientInformation(ctx);
  }

  saveClientInformation(info: ClientInformationLike, ctx?: IssuerContext): Promise<void> {
    return this.#inner.saveClientInformation(info, ctx);
  }

  tokens(ctx?: IssuerContext): Promise<TimedTokens | undefined> {
    return this.#inner.tokens(ctx);
  }

  saveTokens(tokens: OAuthTokensLike, ctx?: IssuerContext): Promise<void> {
    return this.#inner.saveTokens(tokens, ctx);
  }

  /** Nobody to send: the flow then fails with `UnauthorizedError` (no `waitForCallback` here). */
  async redirectToAuthorization(_authorizationUrl: URL): Promise<void> {}

  /** The device grant needs a person too. */
  async showDeviceAuthorization(_info: DeviceAuthorizationShown): Promise<void> {
    throw new UnauthorizedError(
      `${new URL(this.#inner.store.serverUrl).host} requires a sign-in with a device code; run lifeline auth login`,
      'sign-in-required',
    );
  }

  /** No sign-in will complete here: nothing to keep for a callback. */
  async saveCodeVerifier(_codeVerifier: string): Promise<void> {}

  codeVerifier(): Promise<string> {
    return this.#inner.codeVerifier();
  }

  invalidateCredentials(scope: CredentialScope): Promise<void> {
    return this.#inner.invalidateCredentials(scope);
  }

  saveDiscoveryState(state: DiscoveryStateLike): Promise<void> {
    return this.#inner.saveDiscoveryState(state);
  }

  discoveryState(): Promise<DiscoveryStateLike | undefined> {
    return this.#inner.discoveryState();
  }

  /** Refreshes once across processes, as the CLI provider does. */
  refreshTokens(
    seen: Pick<OAuthTokensLike, 'access_token'> | undefined,
    refresh: (current: OAuthTokensLike) => Promise<RefreshResult>,
  ): Promise<TimedTokens | undefined> {
    return this.#inner.refreshTokens(seen, refresh);
  }
}
