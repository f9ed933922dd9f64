// In-memory storage for one test authorization server. oidc-provider's own memory adapter keeps at most
// 1,000 entries in an LRU and silently drops the oldest, so a long soak test could lose a live refresh token
// and see a spurious invalid_grant; this one keeps everything until it expires and is private to one server.

import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose artifacts belong to a grant, so revoking the grant removes them (as the stock adapter does). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds, or Infinity. */
  expiresAt: number;
}

/**
 * Returns an adapter factory for oidc-provider's `adapter` option, backed by maps that only this factory
 * sees. `clockToleranceMs` keeps an artifact readable a little past its expiry, so oidc-provider itself
 * (not a vanished record) reports "expired".
 */
export function createMemoryAdapter(clockToleranceMs = 15_000): (model: string) => Adapter {
  const entries = new Map<string, Entry>();
  const grants = new Map<string, Set<string>>();
  const byUserCode = new Map<string, string>();
  const byUid = new Map<string, string>();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        const expiresAt =
          typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 + clockToleranceMs : Infinity;
        entries.set(key, { payload, expiresAt });
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grants.set(payload.grantId, members);
        }
        if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
        if (model === 'Session' && typeof payload.uid === 'string') byUid.set(payload.uid, id);
      },
      async find(id) {
        return read(keyOf(id));
      },
      async findByUserCode(userCode) {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : read(keyOf(id));
      },
      async findByUid(uid) {
        const id = byUid.get(uid);
        return id === undefined ? undefined : read(keyOf(id));
      },
      async consume(id) {
        const payload = read(keyOf(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        // As the stock adapter does: one call removes every artifact of the grant, whatever its model.
        for (const key of grants.get(grantId) ?? []) entries.delete(key);
        grants.delete(grantId);
      },
    };
  };
}
