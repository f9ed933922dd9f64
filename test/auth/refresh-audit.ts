// Reads the test authorization server's events (test/peers/oauth/auth-events.ts) for one client and says
// whether it refreshed at most once per token lifetime: no token was refreshed before it was due, where due
// is the earlier of its real expiry and lifeline's own refresh point (expires_in minus refreshSkew; see
// docs/authorization.md "Tokens that stay fresh"). The real expiry is the JWT's `exp` when the test knows the
// token, else a lower bound from the issue time: `exp` is whole seconds (`iat` rounded down plus the ttl).

import { refreshSkew } from '../../src/auth/index.js';
import type { AuthServerEvent } from '../peers/oauth/index.js';

/** What {@link auditRefreshes} found. */
export interface RefreshAudit {
  /** Successful refresh_token grants in the window. */
  refreshes: number;
  /** Token responses in the window (the code exchange, if in it, and the refreshes). */
  issued: number;
  /** Refreshes made before the previous token was due: each one is a second refresh within one lifetime. */
  early: Array<{ index: number; afterMs: number; dueAfterMs: number }>;
  /** Mean real lifetime of the tokens issued (from issue to `exp`), ms. */
  meanLifetimeMs: number;
  /** Whether the lifetimes come from the tokens' `exp` (else: lower bounds from the issue times). */
  exact: boolean;
  /** Refresh-grant requests (answered or refused) by the `resource` they carried, as JSON. */
  resources: Record<string, number>;
  /** Token endpoint errors of this client in the window, by OAuth error. */
  errors: Record<string, number>;
}

/** Options of {@link auditRefreshes}. */
export interface AuditOptions {
  clientId: string;
  /** The window, ms since the epoch (inclusive). */
  from: number;
  to: number;
  /** The access token lifetime the server is configured with, ms. */
  ttlMs: number;
  /** `exp` (ms) of each token issued in the window, in order, when the test knows the tokens. */
  exps?: readonly number[];
}

/** Audits one client's token responses between `from` and `to`. */
export function auditRefreshes(events: readonly AuthServerEvent[], options: AuditOptions): RefreshAudit {
  const mine = events.filter(
    (event) => event.clientId === options.clientId && event.at >= options.from && event.at <= options.to,
  );
  const issued = mine.filter(
    (event) =>
      event.type === 'token' &&
      (event.grantType === 'authorization_code' || event.grantType === 'refresh_token'),
  );
  const ownRefreshPoint = options.ttlMs - refreshSkew(options.ttlMs);
  const expOf = (index: number, at: number): number =>
    // `iat` was taken a little before the event was recorded: 200 ms back keeps this a lower bound.
    options.exps?.[index] ?? Math.floor((at - 200) / 1000) * 1000 + options.ttlMs;
  const early: RefreshAudit['early'] = [];
  let lifetimes = 0;
  issued.forEach((event, index) => {
    lifetimes += expOf(index, event.at) - event.at;
    const next = issued[index + 1];
    if (next === undefined) return;
    const dueAfterMs = Math.min(expOf(index, event.at) - event.at, ownRefreshPoint);
    const afterMs = next.at - event.at;
    // A few ms for the two clocks read (the server's event and the client's obtained-at) to differ.
    if (afterMs < dueAfterMs - 5) early.push({ index, afterMs, dueAfterMs });
  });
  const resources: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const event of mine) {
    if (event.grantType === 'refresh_token' && (event.type === 'token' || event.type === 'token.error')) {
      const key = JSON.stringify(event.resource ?? null);
      resources[key] = (resources[key] ?? 0) + 1;
    }
    if (event.type === 'token.error') errors[event.error ?? '?'] = (errors[event.error ?? '?'] ?? 0) + 1;
  }
  return {
    refreshes: issued.filter((event) => event.grantType === 'refresh_token').length,
    issued: issued.length,
    early,
    meanLifetimeMs: issued.length === 0 ? Number.NaN : lifetimes / issued.length,
    exact: options.exps !== undefined,
    resources,
    errors,
  };
}
