/**
 * What is known about a provider's tokens across the transports that share it: when each token
 * lifeline obtained was issued and expires, and the one refresh in flight; from that, when a
 * token is due for a refresh, and the storm guard that gives up on a server refusing the fresh
 * tokens it was just given. The token keeper (keeper.ts) decides what to do with these facts.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#token-handling
 */

import { AuthorizationError } from '../errors.js';
import type { TokenSet } from './grants.js';
import { resourceUrl } from './resource.js';
import type { OAuthTokensLike, TimedTokensLike } from './types.js';

/** A server that refuses this many fresh tokens within five minutes is given up on. */
export const MAX_FRESH_REFUSALS = 3;
const STORM_WINDOW_MS = 5 * 60_000;
/** A token refused within this long of being issued counts as a fresh one refused (at most). */
const FRESH_MS = 60_000;
/** A JWT's `exp` is in whole seconds (RFC 7519 §2 NumericDate, as most servers write it). */
const EXP_GRANULARITY_MS = 1_000;

/** When a token was obtained and when it expires (undefined: the server did not say), in ms. */
export interface TokenLifetime {
  expiresAt: number | undefined;
  obtainedAt: number;
}

/** What is known about a provider's tokens across the transports that share it. */
export interface ProviderRecord {
  /** Expiry and issue time of the tokens lifeline obtained, by access token. */
  lifetimes: Map<string, TokenLifetime>;
  /** The refresh in flight: every request and transport waits for this one. */
  refreshing: Promise<void> | undefined;
}

const records = new WeakMap<object, ProviderRecord>();

/** The record of a provider, shared by every transport given the same provider object. */
export function recordFor(provider: object): ProviderRecord {
  let record = records.get(provider);
  if (record === undefined) {
    record = { lifetimes: new Map(), refreshing: undefined };
    records.set(provider, record);
  }
  return record;
}

/**
 * How long before expiry a token is refreshed: a fifth of its life, between 250 ms and 60 s
 * (a 2-second test token at 1.6 s, an hour-long one a minute early).
 */
export function refreshSkew(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(250, lifetimeMs * 0.2));
}

/**
 * How long after it was issued a refused token counts as a fresh one refused (the storm guard):
 * a minute, but at most half of what is left of its life once a whole second of `exp` rounding is
 * taken off. A token that simply expired is not a refusal of a fresh token: a 2-second token can
 * expire after 1 s (its `exp` rounded down), so only a refusal within its first 500 ms counts.
 * Unknown lifetime: a minute.
 */
export function freshWindow(lifetimeMs: number | undefined): number {
  if (lifetimeMs === undefined) return FRESH_MS;
  return Math.min(FRESH_MS, Math.max(0, lifetimeMs - EXP_GRANULARITY_MS) / 2);
}

/**
 * When a token was obtained and expires: lifeline's own record, else the provider's (a managed
 * provider's tokens carry it); undefined for a token of unknown age.
 */
export function lifetimeOf(record: ProviderRecord, tokens: OAuthTokensLike): TokenLifetime | undefined {
  const known = record.lifetimes.get(tokens.access_token);
  if (known !== undefined) return known;
  const timed = tokens as TimedTokensLike;
  if (typeof timed.obtained_at !== 'number') return undefined;
  return {
    expiresAt: typeof timed.expires_at === 'number' ? timed.expires_at : undefined,
    obtainedAt: timed.obtained_at,
  };
}

/** Whether the token is due for a refresh; unknown when its age is (refreshed on a 401 then). */
export function isExpiring(record: ProviderRecord, tokens: OAuthTokensLike, now: number): boolean {
  const life = lifetimeOf(record, tokens);
  if (life?.expiresAt === undefined) return false;
  return now >= life.expiresAt - refreshSkew(life.expiresAt - life.obtainedAt);
}

/** Remembers when a token was obtained and expires (the provider's shape keeps only `expires_in`). */
export function rememberLifetime(record: ProviderRecord, set: TokenSet): void {
  const lifetimes = record.lifetimes;
  lifetimes.set(set.tokens.access_token, { expiresAt: set.expiresAt, obtainedAt: set.obtainedAt });
  // Only the latest few matter (a token is looked up while it is the provider's current one).
  for (const key of lifetimes.keys()) if (lifetimes.size > 4) lifetimes.delete(key);
}

/**
 * The storm guard of one transport: a server that refuses the tokens it was just given will
 * refuse the next ones too, so after {@link MAX_FRESH_REFUSALS} fresh tokens refused within five
 * minutes, stop asking.
 */
export class FreshRefusals {
  readonly #record: ProviderRecord;
  readonly #serverUrl: URL;
  readonly #now: () => number;
  /** Fresh tokens the server refused, with when (the window). */
  readonly #refusals = new Map<string, number>();

  constructor(record: ProviderRecord, serverUrl: URL, now: () => number) {
    this.#record = record;
    this.#serverUrl = serverUrl;
    this.#now = now;
  }

  /**
   * Counts a refusal of `sent` (an `Authorization` value) when its token was fresh.
   *
   * @throws {AuthorizationError} `refused_fresh_token` once the limit is reached.
   */
  check(sent: string): void {
    const token = sent.replace(/^Bearer\s+/i, '');
    const life = this.#record.lifetimes.get(token);
    const now = this.#now();
    if (life === undefined) return;
    const lifetime = life.expiresAt === undefined ? undefined : life.expiresAt - life.obtainedAt;
    if (now - life.obtainedAt >= freshWindow(lifetime)) return;
    for (const [refused, at] of this.#refusals)
      if (now - at >= STORM_WINDOW_MS) this.#refusals.delete(refused);
    // Distinct tokens: many requests refused with the same one are one refusal.
    if (!this.#refusals.has(token)) this.#refusals.set(token, now);
    if (this.#refusals.size >= MAX_FRESH_REFUSALS) {
      const where = resourceUrl(this.#serverUrl);
      throw new AuthorizationError(
        'refused_fresh_token',
        `${where.origin}${where.pathname} refused ${this.#refusals.size} freshly issued tokens within five minutes; giving up (is the server configured for this authorization server?)`,
      );
    }
  }
}
