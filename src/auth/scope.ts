/**
 * Which scopes to ask for: the MCP scope selection strategy, `offline_access` for refresh
 * tokens, and the union on step-up. Scopes are space-delimited strings (RFC 6749 §3.3).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy
 */

/** What {@link chooseScope} reads. */
export interface ScopeSources {
  /** `scope` from the 401's `WWW-Authenticate` challenge. */
  challenge?: string | undefined;
  /** The protected resource metadata's `scopes_supported` (RFC 9728 §2). */
  resourceScopes?: readonly string[] | undefined;
  /** The authorization server metadata's `scopes_supported` (RFC 8414 §2). */
  serverScopes?: readonly string[] | undefined;
  /** The client's own `scope` (its registration metadata): the SDK's last resort. */
  clientScope?: string | undefined;
  /** Whether the client may hold refresh tokens (its `grant_types` do not exclude `refresh_token`). */
  refreshTokens?: boolean | undefined;
}

function tokens(scope: string | undefined): string[] {
  return scope === undefined ? [] : scope.split(/\s+/).filter((token) => token !== '');
}

/**
 * The scope of an authorization request, or undefined to omit the parameter.
 *
 * 1. The challenge's `scope` (the server says what this request needs).
 * 2. Else every scope in the resource metadata's `scopes_supported`.
 * 3. Else the client's configured scope; else none (the parameter is omitted).
 *
 * `offline_access` (OpenID Connect Core §11) is added when a scope is requested, the
 * authorization server lists it in its `scopes_supported` and the client can use refresh
 * tokens; never when the server does not list it (SEP-2207).
 */
export function chooseScope(sources: ScopeSources): string | undefined {
  let scope =
    nonEmpty(sources.challenge) ??
    nonEmpty(sources.resourceScopes?.join(' ')) ??
    nonEmpty(sources.clientScope);
  if (
    scope !== undefined &&
    sources.refreshTokens !== false &&
    sources.serverScopes?.includes('offline_access') === true &&
    !tokens(scope).includes('offline_access')
  ) {
    scope = `${scope} offline_access`;
  }
  return scope;
}

function nonEmpty(scope: string | undefined): string | undefined {
  return tokens(scope).length === 0 ? undefined : tokens(scope).join(' ');
}

/** Every distinct scope of the given ones, in first-seen order; undefined when there are none (SEP-2350). */
export function unionScopes(...scopes: (string | undefined)[]): string | undefined {
  const seen = new Set<string>();
  for (const scope of scopes) for (const token of tokens(scope)) seen.add(token);
  return seen.size === 0 ? undefined : [...seen].join(' ');
}

/** Whether `granted` includes every scope of `needed` (an empty `needed` is covered). */
export function covers(granted: string | undefined, needed: string | undefined): boolean {
  const have = new Set(tokens(granted));
  return tokens(needed).every((token) => have.has(token));
}

/** Whether `scope` asks for `offline_access` (then the request carries `prompt=consent`). */
export function wantsOfflineAccess(scope: string | undefined): boolean {
  return tokens(scope).includes('offline_access');
}
