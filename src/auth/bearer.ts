/**
 * SDK v2's minimal `AuthProvider { token(), onUnauthorized?() }` as a link's auth: `token()`
 * before every request; on a 401, `onUnauthorized` (one at a time for every request refused
 * together) and one retry; without it, `UnauthorizedError`. The SDK transport's rules
 * (v2 streamableHttp.ts), with the SDK's auth-seam mark on what the provider throws.
 */

import { stampAuthSeam, UnauthorizedError } from '../errors.js';
import type { AuthChallenge, LinkAuth } from '../link/contract.js';
import type { FetchLike } from './http.js';
import { resourceUrl } from './resource.js';
import type { AuthProviderLike } from './types.js';

/** What an error from the app's provider becomes: itself, marked as escaping the auth seam. */
function marked(error: unknown): never {
  throw typeof error === 'object' && error !== null ? stampAuthSeam(error) : error;
}

/** The `LinkAuth` of a transport whose `authProvider` is an `AuthProvider`. */
export class BearerAuth implements LinkAuth {
  readonly #provider: AuthProviderLike;
  readonly #serverUrl: URL;
  readonly #fetch: FetchLike;
  readonly #secret: (value: string) => void;
  #renewing: Promise<void> | undefined;

  constructor(
    provider: AuthProviderLike,
    serverUrl: URL,
    fetchFn: FetchLike,
    secret?: (value: string) => void,
  ) {
    this.#provider = provider;
    this.#serverUrl = serverUrl;
    this.#fetch = fetchFn;
    this.#secret = secret ?? (() => {});
  }

  async authorization(): Promise<string | undefined> {
    if (this.#renewing !== undefined) await this.#renewing.catch(() => {});
    const token = await this.#provider.token().catch(marked);
    if (token === undefined || token === '') return undefined;
    if (token.length >= 3) this.#secret(token);
    return `Bearer ${token}`;
  }

  async challenged(challenge: AuthChallenge): Promise<'retry' | 'pass'> {
    if (challenge.status === 403) return 'pass';
    const onUnauthorized = this.#provider.onUnauthorized;
    if (onUnauthorized === undefined) {
      const where = resourceUrl(this.#serverUrl);
      throw new UnauthorizedError(
        `${where.origin}${where.pathname} refused the request (HTTP 401)`,
        'sign-in-required',
      );
    }
    if (this.#renewing === undefined) {
      const headers: Record<string, string> = {};
      if (challenge.wwwAuthenticate !== undefined) headers['www-authenticate'] = challenge.wwwAuthenticate;
      const response = new Response(challenge.text ?? null, { status: 401, headers });
      const context = { response, serverUrl: new URL(this.#serverUrl.href), fetchFn: this.#fetch };
      this.#renewing = onUnauthorized
        .call(this.#provider, context)
        .catch(marked)
        .finally(() => {
          this.#renewing = undefined;
        });
    }
    await this.#renewing;
    return 'retry';
  }

  /** `finishAuth` needs an `OAuthClientProvider` (the SDK's wording). */
  async completeAuthorization(): Promise<void> {
    throw new UnauthorizedError('finishAuth requires an OAuthClientProvider', 'no-provider');
  }
}
