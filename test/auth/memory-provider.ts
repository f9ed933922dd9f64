// An app's own OAuthClientProvider (the SDK shape), kept in memory, for tests against the oidc-provider rig
// (test/peers/oauth): it registers as a native public client, records every authorization URL it is handed
// instead of opening a browser, and remembers every secret that passed through it (tokens, verifiers, codes,
// client secrets) so a test can search what lifeline emitted for them. `signInWithRig` drives the SDK's
// documented flow through the rig's headless browser stand-in.

import type { OAuthClientProviderLike, OAuthTokensLike } from '../../src/auth/types.js';
import { isUnauthorizedError, type LifelineTransport } from '../../src/index.js';
import { followAuthorization } from '../peers/oauth/index.js';

/** Never requested: the browser stand-in stops at the redirect and hands its query over. */
const REDIRECT_URL = 'http://127.0.0.1:53682/callback';

type Stored = { client_id: string; client_secret?: string | undefined };

/** The SDK `OAuthClientProvider` shape, in memory; one per app (one client registration). */
export class MemoryProvider implements OAuthClientProviderLike {
  readonly redirectUrl = REDIRECT_URL;
  readonly clientMetadata = {
    client_name: 'lifeline long-run test',
    redirect_uris: [REDIRECT_URL],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  };
  client: Stored | undefined;
  current: OAuthTokensLike | undefined;
  #verifier = '';
  #discovery: unknown;
  /** Authorization URLs handed over, in order. */
  readonly authorizations: URL[] = [];
  /** `invalidateCredentials` scopes, in order. */
  readonly invalidated: string[] = [];
  /** Every secret seen: access and refresh tokens, verifiers, codes, client secrets. */
  readonly secrets = new Set<string>();
  /** Every access token saved, in order (one per code exchange or refresh). */
  readonly accessTokens: string[] = [];

  clientInformation(): Stored | undefined {
    return this.client;
  }
  saveClientInformation(info: Stored): void {
    this.client = info;
    this.#remember(info.client_secret);
  }
  tokens(): OAuthTokensLike | undefined {
    return this.current;
  }
  saveTokens(tokens: OAuthTokensLike): void {
    this.current = tokens;
    this.accessTokens.push(tokens.access_token);
    this.#remember(tokens.access_token);
    this.#remember(tokens.refresh_token);
    this.#remember(tokens.id_token);
  }
  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
    this.#remember(verifier);
  }
  codeVerifier(): string {
    return this.#verifier;
  }
  saveDiscoveryState(state: unknown): void {
    this.#discovery = state;
  }
  discoveryState(): undefined {
    return this.#discovery as undefined;
  }
  invalidateCredentials(scope: string): void {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'tokens') this.current = undefined;
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizations.push(url);
  }
  /** Adds a value to {@link secrets} (a code from a callback, say). */
  remember(value: string | null | undefined): void {
    this.#remember(value ?? undefined);
  }
  #remember(value: string | undefined): void {
    if (value !== undefined && value.length > 0) this.secrets.add(value);
  }
}

/** What connects an SDK Client (v1 and v2 both fit). */
interface Connectable {
  connect(transport: LifelineTransport): Promise<void>;
}

/**
 * The SDK's documented flow: connect, catch `UnauthorizedError`, follow the authorization URL as the
 * user (the rig's browser stand-in), `transport.finishAuth(callback)`, connect again: on the same transport
 * (lifeline's can be started again), or on `next()` when given (a new transport, as the SDK's docs do; the
 * v1 Client chains the handlers of a transport it connects again, so it hears every message twice).
 * Resolves with the transport the client is connected through.
 */
export async function signInWithRig(
  client: Connectable,
  transport: LifelineTransport,
  provider: MemoryProvider,
  next?: () => LifelineTransport,
): Promise<LifelineTransport> {
  const refused = await client.connect(transport).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isUnauthorizedError(refused)) throw new Error(`expected UnauthorizedError, got ${String(refused)}`);
  const url = provider.authorizations.at(-1);
  if (url === undefined) throw new Error('no authorization URL was handed to the provider');
  const callback = await followAuthorization(url, { login: 'alice' });
  provider.remember(callback.searchParams.get('code'));
  await transport.finishAuth(callback.searchParams);
  const connected = next?.() ?? transport;
  await client.connect(connected);
  return connected;
}
