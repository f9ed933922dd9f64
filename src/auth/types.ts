/**
 * The authorization providers lifeline accepts, as structural copies of the SDK's shapes (no
 * SDK import: the SDK is an optional peer). An `OAuthClientProvider` of `@modelcontextprotocol/sdk`
 * (v1) or `@modelcontextprotocol/client` (v2), or v2's minimal `AuthProvider`, fits as it is.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** A token set as the SDK stores it (RFC 6749 §5.1), plus the SEP-2352 `issuer` stamp. */
export interface OAuthTokensLike {
  access_token: string;
  token_type: string;
  /** Lifetime in seconds at the time of issue (relative: its age is unknown once stored). */
  expires_in?: number | undefined;
  refresh_token?: string | undefined;
  scope?: string | undefined;
  id_token?: string | undefined;
  /** The authorization server that issued it (SEP-2352); set by lifeline and the SDK when saving. */
  issuer?: string | undefined;
}

/** A client registration (RFC 7591 §3.2.1), plus the SEP-2352 `issuer` stamp. */
export interface ClientInformationLike {
  client_id: string;
  client_secret?: string | undefined;
  client_id_issued_at?: number | undefined;
  client_secret_expires_at?: number | undefined;
  token_endpoint_auth_method?: string | undefined;
  redirect_uris?: string[] | undefined;
  issuer?: string | undefined;
}

/** Client metadata for dynamic registration (RFC 7591 §2). */
export interface ClientMetadataLike {
  redirect_uris: string[];
  token_endpoint_auth_method?: string | undefined;
  grant_types?: string[] | undefined;
  response_types?: string[] | undefined;
  client_name?: string | undefined;
  client_uri?: string | undefined;
  scope?: string | undefined;
  application_type?: string | undefined;
  software_id?: string | undefined;
  software_version?: string | undefined;
}

/** What the SDK's `saveDiscoveryState` receives (its `OAuthDiscoveryState`). */
export interface DiscoveryStateLike {
  authorizationServerUrl: string;
  resourceMetadataUrl?: string | undefined;
  resourceMetadata?: object | undefined;
  authorizationServerMetadata?: object | undefined;
}

/** The `ctx` v2 passes to the credential methods: which authorization server they are for. */
export interface IssuerContext {
  issuer: string;
}

/** What `invalidateCredentials` is asked to forget. */
export type CredentialScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';

type MaybePromise<T> = T | Promise<T>;

/**
 * The SDK's `OAuthClientProvider` (v1 and v2): where the app keeps the client registration,
 * the tokens and the PKCE verifier, and how it sends the user to the authorization server.
 * Methods are optional where the SDK's are.
 */
export interface OAuthClientProviderLike {
  /** Where the authorization server sends the user back; undefined for non-interactive clients. */
  readonly redirectUrl: string | URL | undefined;
  /** An https URL serving this client's metadata: used as `client_id` where the server takes one (CIMD). */
  clientMetadataUrl?: string | undefined;
  /** The metadata registered dynamically (RFC 7591). */
  readonly clientMetadata: ClientMetadataLike;
  /** The `state` to put on the authorization URL; a random one when absent. */
  state?(): MaybePromise<string>;
  clientInformation(ctx?: IssuerContext): MaybePromise<ClientInformationLike | undefined>;
  saveClientInformation?(info: ClientInformationLike, ctx?: IssuerContext): MaybePromise<void>;
  tokens(ctx?: IssuerContext): MaybePromise<OAuthTokensLike | undefined>;
  saveTokens(tokens: OAuthTokensLike, ctx?: IssuerContext): MaybePromise<void>;
  /** "Open the browser": the user signs in at this URL. */
  redirectToAuthorization(authorizationUrl: URL): MaybePromise<void>;
  saveCodeVerifier(codeVerifier: string): MaybePromise<void>;
  codeVerifier(): MaybePromise<string>;
  /** Replaces the built-in client authentication on token requests. */
  addClientAuthentication?(
    headers: Headers,
    params: URLSearchParams,
    url: string | URL,
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's metadata type, structurally anything.
    metadata?: any,
  ): MaybePromise<void>;
  /** Overrides the RFC 8707 `resource` choice; undefined omits it. */
  validateResourceURL?(serverUrl: string | URL, resource?: string): Promise<URL | undefined>;
  invalidateCredentials?(scope: CredentialScope): MaybePromise<void>;
  saveDiscoveryState?(state: DiscoveryStateLike): MaybePromise<void>;
  discoveryState?(): MaybePromise<DiscoveryStateLike | undefined>;
  /** v2: the scope to send on a refresh (default: none). */
  scopeForRefresh?(tokens: OAuthTokensLike): MaybePromise<string | undefined>;
}

/**
 * What a provider managed by lifeline (the CLI's) may add to the SDK shape: waiting for the
 * sign-in's callback itself, refreshing once across processes, and tokens that carry their
 * age. The keeper uses each when present.
 */
export interface ManagedProviderLike {
  /**
   * After `redirectToAuthorization`: resolves with the callback's query, or undefined when
   * another process signed in meanwhile (the tokens are in the store: read `tokens()` again).
   */
  waitForCallback?(): Promise<URLSearchParams | undefined>;
  /**
   * Runs `refresh` once across processes: under a lease, re-reads the stored tokens; when they
   * are no longer `seen` (refreshed elsewhere) returns them without calling `refresh`; else
   * stores and returns what `refresh` gives.
   */
  refreshTokens?(
    seen: { access_token: string } | undefined,
    refresh: (
      current: OAuthTokensLike,
    ) => Promise<{ tokens: OAuthTokensLike; issuer?: string; clientId?: string }>,
  ): Promise<TimedTokensLike | undefined>;
}

/** Tokens that carry when they were obtained and expire (ms since the epoch). */
export interface TimedTokensLike extends OAuthTokensLike {
  obtained_at?: number | undefined;
  expires_at?: number | undefined;
}

/** What v2 hands `AuthProvider.onUnauthorized`. */
export interface UnauthorizedContextLike {
  response: Response;
  serverUrl: URL;
  fetchFn: (url: string | URL, init?: RequestInit) => Promise<Response>;
}

/** v2's minimal `AuthProvider`: a bearer token, and an optional hook for a 401. */
export interface AuthProviderLike {
  /** The bearer token for the next request, or undefined for none. Called before every request. */
  token(): Promise<string | undefined>;
  /** On a 401: make the next `token()` valid; the request is retried once. */
  onUnauthorized?(ctx: UnauthorizedContextLike): Promise<void>;
}

/** Either provider shape. */
export type AnyAuthProvider = OAuthClientProviderLike | AuthProviderLike;

/**
 * Whether a provider is an `OAuthClientProvider`: it has `tokens()` and `clientInformation()`
 * (the SDK's own test, v2 auth.ts `isOAuthClientProvider`); otherwise it is an `AuthProvider`.
 */
export function isOAuthClientProvider(provider: unknown): provider is OAuthClientProviderLike {
  const p = provider as Partial<OAuthClientProviderLike> | null | undefined;
  return typeof p?.tokens === 'function' && typeof p.clientInformation === 'function';
}

/** Whether a value is one of the accepted provider shapes. */
export function isAuthProvider(provider: unknown): provider is AnyAuthProvider {
  return (
    isOAuthClientProvider(provider) ||
    typeof (provider as Partial<AuthProviderLike> | null | undefined)?.token === 'function'
  );
}

/** Options of the OAuth flow a transport's `oauth` key takes. */
export interface OAuthOptions {
  /**
   * The RFC 8707 `resource` parameter: `send` (default) sends it exactly as the server's
   * resource metadata gives it; `omit` leaves it out, for authorization servers that reject it
   * (Entra ID: AADSTS9010010).
   */
  resource?: 'send' | 'omit';
  /**
   * The `scope` sent on a refresh: `granted` (default) repeats the scope the tokens were
   * granted (Entra ID refuses refreshes without one: AADSTS90009); `none` sends none (the SDK's
   * default). A provider's `scopeForRefresh()` takes precedence.
   */
  refreshScope?: 'granted' | 'none';
  /**
   * Managed sign-in: given the authorization URL, resolves with the callback's query
   * (`code`, `state`, `iss`) once the user has signed in. With it, the transport waits for the
   * sign-in instead of failing with `UnauthorizedError` (the `lifeline` CLI uses this).
   */
  signIn?: (authorizationUrl: URL) => Promise<URLSearchParams>;
}
