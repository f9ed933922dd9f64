/**
 * What the token store keeps for one MCP server (the layout is in file-store.ts): token sets per
 * resource, registrations per authorization server, PKCE verifiers per `state`, the last
 * discovery, and the cross-process leases that order refreshes.
 */

import { join } from 'node:path';
import {
  ensurePrivateDir,
  listDir,
  readJsonObject,
  removeFile,
  sweepTemporaryFiles,
  writeJsonAtomic,
} from './atomic-json.js';
import { type LeaseOptions, withFileLease } from './lease.js';
import { issuerKey, normalizeServerUrl, resourceKey, serverKey, shortHash } from './paths.js';
import { type ClientRecord, parseClient, parseTokens, type TokenRecord } from './store-records.js';
import type { ClientInformationLike, DiscoveryStateLike, OAuthTokensLike } from './types.js';

/** Options of `FileStore` (file-store.ts), which hands them to each server's store. */
export interface FileStoreOptions {
  /** The store's folder. Default: `authStoreDir()` (`LIFELINE_AUTH_DIR` or the env-paths config folder). */
  dir?: string;
  /** The clock, for timestamps and verifier expiry. Default `Date.now`. */
  now?: () => number;
  /** How long a PKCE verifier waits for its callback. Default 15 min (three default sign-in timeouts). */
  verifierTtlMs?: number;
  /** Lease timing (see {@link LeaseOptions}). */
  lease?: LeaseOptions;
}

/** The lease name every token write that depends on a read (refresh, compare-and-delete) takes. */
export const TOKENS_LEASE = 'tokens';

const DEFAULT_VERIFIER_TTL_MS = 15 * 60_000;

/** What is stored for one MCP server. Cheap to create; touches the disk only when used. */
export class ServerStore {
  /** The normalized server URL (see {@link normalizeServerUrl}). */
  readonly serverUrl: string;
  /** The server's folder. */
  readonly dir: string;
  readonly #root: string;
  readonly #key: string;
  readonly #now: () => number;
  readonly #verifierTtlMs: number;
  readonly #lease: LeaseOptions;
  #ready: Promise<void> | undefined;

  constructor(root: string, serverUrl: string | URL, options: FileStoreOptions = {}) {
    this.serverUrl = normalizeServerUrl(serverUrl);
    this.#root = root;
    this.#key = serverKey(serverUrl);
    this.dir = join(root, 'servers', this.#key);
    this.#now = options.now ?? Date.now;
    this.#verifierTtlMs = options.verifierTtlMs ?? DEFAULT_VERIFIER_TTL_MS;
    this.#lease = options.lease ?? {};
  }

  /** The store's clock (ms since the epoch): what `obtainedAt` is measured with. */
  now(): number {
    return this.#now();
  }

  /**
   * Runs `fn` holding the lease `name` for this server, across processes (see lease.ts). Use
   * {@link TOKENS_LEASE} around a refresh, and read the tokens again inside it.
   */
  async withLease<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const locks = join(this.#root, 'locks');
    await ensurePrivateDir(locks);
    const safe = /^[a-z0-9-]{1,32}$/.test(name) ? name : shortHash(name);
    return withFileLease(join(locks, `${this.#key}-${safe}.lock`), fn, this.#lease);
  }

  // --- tokens (per resource) ---

  /** The token set for `resource`, or undefined. */
  async readTokens(resource: string | undefined): Promise<TokenRecord | undefined> {
    return parseTokens(await readJsonObject(this.#tokensPath(resource)));
  }

  /**
   * Stores a token set for `resource`. `expiresAt` is computed from `expires_in` now; a set with
   * the access token already stored keeps its timestamps (the SDK saves a set again to stamp its
   * issuer, which must not make an old token look fresh).
   */
  async writeTokens(
    resource: string | undefined,
    tokens: OAuthTokensLike,
    meta: { issuer?: string | undefined; clientId?: string | undefined } = {},
  ): Promise<TokenRecord> {
    const current = await this.readTokens(resource);
    const now = this.#now();
    const same = current?.tokens.access_token === tokens.access_token;
    const record: TokenRecord = {
      resource,
      issuer: meta.issuer ?? tokens.issuer ?? (same ? current?.issuer : undefined),
      clientId: meta.clientId ?? (same ? current?.clientId : undefined),
      obtainedAt: same && current !== undefined ? current.obtainedAt : now,
      expiresAt:
        same && current !== undefined
          ? current.expiresAt
          : tokens.expires_in === undefined
            ? undefined
            : now + tokens.expires_in * 1000,
      tokens,
    };
    await this.#write(this.#tokensPath(resource), {
      resource: record.resource,
      issuer: record.issuer,
      client_id: record.clientId,
      obtained_at: record.obtainedAt,
      expires_at: record.expiresAt,
      tokens: record.tokens,
    });
    return record;
  }

  /**
   * Compare-and-delete: removes the token set for `resource` only if it is still the one that
   * failed (same `refresh_token` and/or `access_token` as given), under the tokens lease. A set
   * another process stored meanwhile is kept. Returns whether it deleted.
   */
  async deleteTokensIf(
    resource: string | undefined,
    failed: { access_token?: string | undefined; refresh_token?: string | undefined },
  ): Promise<boolean> {
    if (failed.access_token === undefined && failed.refresh_token === undefined) return false;
    return this.withLease(TOKENS_LEASE, async () => {
      const current = await this.readTokens(resource);
      if (current === undefined) return false;
      if (failed.refresh_token !== undefined && current.tokens.refresh_token !== failed.refresh_token)
        return false;
      if (failed.access_token !== undefined && current.tokens.access_token !== failed.access_token)
        return false;
      return removeFile(this.#tokensPath(resource));
    });
  }

  /**
   * The refresh protocol across processes: under the tokens lease, read the stored set again;
   * if it is no longer the one `seen` (another process refreshed it meanwhile), return it
   * without refreshing, so a rotating refresh token is spent once; otherwise call `refresh` with
   * it and store what it returns.
   */
  async refreshTokens(
    resource: string | undefined,
    seen: { access_token: string } | undefined,
    refresh: (
      current: TokenRecord,
    ) => Promise<{ tokens: OAuthTokensLike; issuer?: string; clientId?: string }>,
  ): Promise<TokenRecord | undefined> {
    return this.withLease(TOKENS_LEASE, async () => {
      const current = await this.readTokens(resource);
      if (current === undefined) return undefined;
      if (seen !== undefined && current.tokens.access_token !== seen.access_token) return current;
      const next = await refresh(current);
      return this.writeTokens(resource, next.tokens, {
        issuer: next.issuer ?? current.issuer,
        clientId: next.clientId ?? current.clientId,
      });
    });
  }

  /** Deletes the token set for `resource` unconditionally. */
  async deleteTokens(resource: string | undefined): Promise<boolean> {
    return removeFile(this.#tokensPath(resource));
  }

  // --- client registrations (per authorization server) ---

  /**
   * The registration with `issuer`. With `redirectUri`, a registration made for another
   * redirect URI (another loopback port: `--callback-port` changed) is deleted and reads as
   * none, so the client registers again instead of failing at the authorization server with
   * "invalid redirect_uri"; with `grantType`, likewise one registered without that grant (a
   * device-code registration reused for a browser sign-in).
   */
  async readClient(
    issuer: string,
    expect: { redirectUri?: string | undefined; grantType?: string | undefined } = {},
  ): Promise<ClientRecord | undefined> {
    const path = this.#clientPath(issuer);
    const record = parseClient(await readJsonObject(path));
    if (record === undefined) return undefined;
    const uris =
      record.client.redirect_uris ?? (record.redirectUri === undefined ? [] : [record.redirectUri]);
    const grants = (record.client as { grant_types?: unknown }).grant_types;
    const wrongRedirect = expect.redirectUri !== undefined && !uris.includes(expect.redirectUri);
    const wrongGrant =
      expect.grantType !== undefined && Array.isArray(grants) && !grants.includes(expect.grantType);
    if (wrongRedirect || wrongGrant) {
      await removeFile(path);
      return undefined;
    }
    return record;
  }

  /** Stores the registration with `issuer`, made for `redirectUri`. */
  async writeClient(
    issuer: string,
    client: ClientInformationLike,
    redirectUri: string | undefined,
  ): Promise<void> {
    await this.#write(this.#clientPath(issuer), {
      issuer,
      redirect_uri: redirectUri,
      saved_at: this.#now(),
      client,
    });
  }

  /** Deletes the registration with `issuer`, or every registration of this server. */
  async deleteClient(issuer?: string): Promise<void> {
    if (issuer !== undefined) {
      await removeFile(this.#clientPath(issuer));
      return;
    }
    for (const name of await listDir(this.dir)) {
      if (name.startsWith('client-') && name.endsWith('.json')) await removeFile(join(this.dir, name));
    }
  }

  // --- PKCE verifiers (per state) ---

  /**
   * Keeps a PKCE verifier (RFC 7636 §4.1) for the sign-in with this `state` until the callback
   * comes back or it expires. Keyed by state, so two sign-ins at once never overwrite each
   * other's verifier. Drops expired ones on the way.
   */
  async saveVerifier(state: string, verifier: string): Promise<void> {
    await this.#ensureDir();
    const now = this.#now();
    for (const name of await listDir(this.dir)) {
      if (!name.startsWith('pending-') || !name.endsWith('.json')) continue;
      const expires = (await readJsonObject(join(this.dir, name)))?.expires_at;
      if (typeof expires !== 'number' || expires <= now) await removeFile(join(this.dir, name));
    }
    await this.#write(this.#verifierPath(state), {
      verifier,
      created_at: now,
      expires_at: now + this.#verifierTtlMs,
    });
  }

  /** The verifier of the sign-in with this `state`, unless it expired. */
  async readVerifier(state: string): Promise<string | undefined> {
    const record = await readJsonObject(this.#verifierPath(state));
    if (typeof record?.verifier !== 'string') return undefined;
    if (typeof record.expires_at !== 'number' || record.expires_at <= this.#now()) {
      await removeFile(this.#verifierPath(state));
      return undefined;
    }
    return record.verifier;
  }

  /** Forgets the verifier of this `state` (the code was exchanged, or the sign-in ended). */
  async deleteVerifier(state: string): Promise<void> {
    await removeFile(this.#verifierPath(state));
  }

  // --- discovery ---

  /** The last discovery saved, or undefined. */
  async readDiscovery(): Promise<DiscoveryStateLike | undefined> {
    const record = await readJsonObject(join(this.dir, 'discovery.json'));
    if (typeof record?.authorizationServerUrl !== 'string') return undefined;
    const { saved_at: _savedAt, ...state } = record;
    return state as unknown as DiscoveryStateLike;
  }

  /** Stores the discovery (the SDK's `OAuthDiscoveryState`). */
  async writeDiscovery(state: DiscoveryStateLike): Promise<void> {
    await this.#write(join(this.dir, 'discovery.json'), { ...state, saved_at: this.#now() });
  }

  /** Forgets the discovery (the server may have moved to another authorization server). */
  async deleteDiscovery(): Promise<void> {
    await removeFile(join(this.dir, 'discovery.json'));
  }

  // --- files ---

  #tokensPath(resource: string | undefined): string {
    return join(this.dir, `tokens-${resourceKey(resource)}.json`);
  }

  #clientPath(issuer: string): string {
    return join(this.dir, `client-${issuerKey(issuer)}.json`);
  }

  #verifierPath(state: string): string {
    return join(this.dir, `pending-${shortHash(state)}.json`);
  }

  /**
   * Writes a file of this server's folder, creating the folder first; once more if the folder
   * vanished meanwhile (`lifeline auth logout` in another process removed it).
   */
  async #write(path: string, value: unknown): Promise<void> {
    await this.#ensureDir();
    try {
      await writeJsonAtomic(path, value);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      this.#ready = undefined;
      await this.#ensureDir();
      await writeJsonAtomic(path, value);
    }
  }

  /** Creates the folders (0700) and server.json once per instance; sweeps stale temporary files. */
  #ensureDir(): Promise<void> {
    this.#ready ??= (async () => {
      await ensurePrivateDir(this.#root);
      await ensurePrivateDir(join(this.#root, 'servers'));
      await ensurePrivateDir(this.dir);
      if ((await readJsonObject(join(this.dir, 'server.json'))) === undefined) {
        await writeJsonAtomic(join(this.dir, 'server.json'), {
          url: this.serverUrl,
          created_at: this.#now(),
        });
      }
      await sweepTemporaryFiles(this.dir, this.#now());
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }
}
