// What the test authorization server saw: every registration, authorization, token response, token error,
// refresh-token reuse and grant revocation as an event, plus the counters tests assert on ("at most one
// refresh per token lifetime", "no refresh token spent twice"). Events carry ids and parameters, never a
// token, code, verifier or secret, so a test may print them.

import type { KoaContextWithOIDC, OidcError } from 'oidc-provider';

/** What happened; `refresh.reuse` is oidc-provider's reuse detection (the whole grant is revoked with it). */
export type AuthServerEventType =
  | 'registration'
  | 'authorization'
  | 'authorization.error'
  | 'token'
  | 'token.error'
  | 'refresh.reuse'
  | 'grant.revoked';

/** One thing the authorization server did. */
export interface AuthServerEvent {
  type: AuthServerEventType;
  /** `Date.now()` when it happened. */
  at: number;
  clientId?: string;
  grantId?: string;
  /** The token request's `grant_type` (`authorization_code`, `refresh_token`, ...). */
  grantType?: string;
  /** The `resource` parameter exactly as the client sent it (RFC 8707), if it sent one. */
  resource?: string | string[];
  /** The `scope` parameter as the client sent it. */
  scope?: string;
  /** The authorization request's `prompt` (`consent` is what keeps `offline_access`). */
  prompt?: string;
  /** The OAuth error code sent to the client, e.g. `invalid_grant`. */
  error?: string;
  /** oidc-provider's server-side reason, e.g. `refresh token already used` (never sent to the client). */
  detail?: string;
  /** For `grant.revoked`: the route that revoked it (`token` on reuse, `revocation`) or `api` (revoke()). */
  route?: string;
}

/** Counters over everything the server saw since it started. */
export interface AuthServerStats {
  /** HTTP requests by `METHOD /path` (ids in paths replaced by `:id`), e.g. `POST /token`, `GET /auth/:id`. */
  requests: Record<string, number>;
  /** Every POST to the token endpoint, answered or refused. */
  tokenRequests: number;
  registrations: number;
  /** Authorization responses that carried a code (or approved a device). */
  authorizations: number;
  /** Successful token responses by grant type. */
  grants: Record<string, number>;
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Rotated refresh tokens presented again (each revoked its grant). */
  refreshReuse: number;
  /** Token endpoint errors by OAuth error code. */
  tokenErrors: Record<string, number>;
  revokedGrants: number;
}

/** Records events and derives the counters; one per authorization server. */
export interface AuthServerLog {
  readonly events: readonly AuthServerEvent[];
  record(event: Omit<AuthServerEvent, 'at'>): void;
  countRequest(method: string, path: string): void;
  stats(): AuthServerStats;
  /** Successful refresh grants, optionally only those of one client or one grant. */
  refreshCount(filter?: { clientId?: string; grantId?: string }): number;
  /** Grant ids a client obtained tokens or codes for. */
  grantsOf(clientId: string): string[];
  onEvent(listener: (event: AuthServerEvent) => void): () => void;
}

/** Routes whose second segment is a random id (`/interaction/<uid>`, `/auth/<uid>`, `/reg/<client_id>`). */
const ID_ROUTE = /^\/(interaction|auth|device|reg)\/(?!auth$)[^/]+/; // `/device/auth` is an endpoint

export function createAuthServerLog(): AuthServerLog {
  const events: AuthServerEvent[] = [];
  const requests: Record<string, number> = {};
  const listeners = new Set<(event: AuthServerEvent) => void>();

  const record = (event: Omit<AuthServerEvent, 'at'>): void => {
    const full = { ...event, at: Date.now() };
    events.push(full);
    for (const listener of listeners) listener(full);
  };

  const countBy = (type: AuthServerEventType, key: (event: AuthServerEvent) => string | undefined) => {
    const out: Record<string, number> = {};
    for (const event of events) {
      const k = event.type === type ? key(event) : undefined;
      if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };
  const count = (type: AuthServerEventType) => events.filter((event) => event.type === type).length;

  return {
    events,
    record,
    countRequest(method, path) {
      const key = `${method} ${path.replace(ID_ROUTE, '/$1/:id')}`;
      requests[key] = (requests[key] ?? 0) + 1;
    },
    stats() {
      const grants = countBy('token', (event) => event.grantType);
      return {
        requests: { ...requests },
        tokenRequests: requests['POST /token'] ?? 0,
        registrations: count('registration'),
        authorizations: count('authorization'),
        grants,
        refreshes: grants.refresh_token ?? 0,
        refreshReuse: count('refresh.reuse'),
        tokenErrors: countBy('token.error', (event) => event.error),
        revokedGrants: count('grant.revoked'),
      };
    },
    refreshCount(filter = {}) {
      return events.filter(
        (event) =>
          event.type === 'token' &&
          event.grantType === 'refresh_token' &&
          (filter.clientId === undefined || event.clientId === filter.clientId) &&
          (filter.grantId === undefined || event.grantId === filter.grantId),
      ).length;
    },
    grantsOf(clientId) {
      const ids = new Set<string>();
      for (const event of events) {
        if (event.clientId === clientId && event.grantId !== undefined) ids.add(event.grantId);
      }
      return [...ids];
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const resourceParam = (value: unknown): string | string[] | undefined =>
  typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;

/** The grant an artifact of this request belongs to (the access token's, else the refresh token's or code's). */
function grantIdOf(ctx: KoaContextWithOIDC): string | undefined {
  const { entities } = ctx.oidc;
  return (
    entities.AccessToken?.grantId ??
    entities.RefreshToken?.grantId ??
    entities.AuthorizationCode?.grantId ??
    entities.DeviceCode?.grantId
  );
}

/** What oidc-provider says when a rotated (consumed) refresh token comes back (actions/grants/refresh_token.js). */
const REUSE_DETAIL = 'refresh token already used';

/** Only the listener signature matters here; a Provider instance fits. */
interface EventSource {
  on(event: string, listener: (ctx: KoaContextWithOIDC, ...args: unknown[]) => void): unknown;
}

/** Subscribes `log` to the provider events it records (oidc-provider docs/events.md). */
export function recordProviderEvents(provider: EventSource, log: AuthServerLog): void {
  const common = (ctx: KoaContextWithOIDC) => {
    const params = ctx.oidc.params ?? {};
    const event: Omit<AuthServerEvent, 'at' | 'type'> = {};
    const clientId = ctx.oidc.client?.clientId;
    const grantId = grantIdOf(ctx);
    const resource = resourceParam(params.resource);
    const scope = str(params.scope);
    if (clientId !== undefined) event.clientId = clientId;
    if (grantId !== undefined) event.grantId = grantId;
    if (resource !== undefined) event.resource = resource;
    if (scope !== undefined) event.scope = scope;
    return { event, params };
  };
  provider.on('registration_create.success', (ctx) => {
    log.record({ type: 'registration', ...common(ctx).event });
  });
  provider.on('authorization.success', (ctx) => {
    const { event, params } = common(ctx);
    const prompt = str(params.prompt);
    log.record({ type: 'authorization', ...event, ...(prompt === undefined ? {} : { prompt }) });
  });
  provider.on('authorization.error', (ctx, err) => {
    const { error, error_detail } = err as OidcError;
    log.record({
      type: 'authorization.error',
      ...common(ctx).event,
      ...(error === undefined ? {} : { error }),
      ...(error_detail === undefined ? {} : { detail: error_detail }),
    });
  });
  provider.on('grant.success', (ctx) => {
    const { event, params } = common(ctx);
    const grantType = str(params.grant_type);
    log.record({ type: 'token', ...event, ...(grantType === undefined ? {} : { grantType }) });
  });
  provider.on('grant.error', (ctx, err) => {
    const { event, params } = common(ctx);
    const { error, error_detail } = err as OidcError;
    const grantType = str(params.grant_type);
    const base = { ...event, ...(grantType === undefined ? {} : { grantType }) };
    log.record({
      type: 'token.error',
      ...base,
      ...(error === undefined ? {} : { error }),
      ...(error_detail === undefined ? {} : { detail: error_detail }),
    });
    if (error_detail === REUSE_DETAIL) log.record({ type: 'refresh.reuse', ...base });
  });
  provider.on('grant.revoked', (ctx, grantId) => {
    const clientId = ctx.oidc.client?.clientId;
    log.record({
      type: 'grant.revoked',
      ...(clientId === undefined ? {} : { clientId }),
      ...(typeof grantId === 'string' ? { grantId } : {}),
      ...(ctx.oidc.route === undefined ? {} : { route: ctx.oidc.route }),
    });
  });
}
