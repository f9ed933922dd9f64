/**
 * The `lifeline` command's token store: per user, per MCP server, per `resource`, on disk.
 *
 * ```
 * <dir>/                                  0700  (authStoreDir(): env-paths config + /auth)
 *   locks/<server>-<name>.lock/           leases (proper-lockfile folders)
 *   servers/<hash of the server URL>/     0700
 *     server.json                         the plain server URL, for `lifeline auth list`
 *     client-<hash of the issuer>.json    a client registration (RFC 7591), per authorization server
 *     tokens-<hash of the resource>.json  a token set, per RFC 8707 resource (`tokens-none.json` without one)
 *     discovery.json                      the last discovery (SDK `OAuthDiscoveryState`)
 *     pending-<hash of the state>.json    a PKCE verifier, per sign-in `state`, with an expiry
 * ```
 * Every file is mode 0600 and written atomically. Registrations live apart from tokens: a
 * refused refresh token deletes a token set, never the registration beside it. Timestamps are
 * milliseconds since the epoch.
 */

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listDir, readJsonObject } from './atomic-json.js';
import { authStoreDir } from './paths.js';
import { type FileStoreOptions, ServerStore, TOKENS_LEASE } from './server-store.js';
import { parseClient, parseTokens } from './store-records.js';

export type { FileStoreOptions } from './server-store.js';
export { ServerStore, TOKENS_LEASE } from './server-store.js';
export type { ClientRecord, TokenRecord } from './store-records.js';

/** What `lifeline auth list` shows of a server: no secrets. */
export interface StoredServer {
  serverUrl: string;
  /** The folder name (hash of the normalized URL). */
  key: string;
  clients: Array<{ issuer: string; savedAt: number }>;
  tokens: Array<{
    resource: string | undefined;
    issuer: string | undefined;
    obtainedAt: number;
    expiresAt: number | undefined;
    hasRefreshToken: boolean;
    scope: string | undefined;
  }>;
}

/** The token store: one folder per MCP server. */
export class FileStore {
  /** The store's folder. */
  readonly dir: string;
  readonly #options: FileStoreOptions;

  constructor(options: FileStoreOptions = {}) {
    this.dir = options.dir ?? authStoreDir();
    this.#options = options;
  }

  /** The part of the store for one MCP server. */
  server(serverUrl: string | URL): ServerStore {
    return new ServerStore(this.dir, serverUrl, this.#options);
  }

  /** Every server with something stored, sorted by URL: for `lifeline auth list`. Never secrets. */
  async listStored(): Promise<StoredServer[]> {
    const result: StoredServer[] = [];
    for (const key of await listDir(join(this.dir, 'servers'))) {
      const dir = join(this.dir, 'servers', key);
      const info = await readJsonObject(join(dir, 'server.json'));
      if (typeof info?.url !== 'string') continue;
      const entry: StoredServer = { serverUrl: info.url, key, clients: [], tokens: [] };
      for (const name of (await listDir(dir)).sort()) {
        if (name.startsWith('client-') && name.endsWith('.json')) {
          const record = parseClient(await readJsonObject(join(dir, name)));
          if (record !== undefined) entry.clients.push({ issuer: record.issuer, savedAt: record.savedAt });
        } else if (name.startsWith('tokens-') && name.endsWith('.json')) {
          const record = parseTokens(await readJsonObject(join(dir, name)));
          if (record === undefined) continue;
          entry.tokens.push({
            resource: record.resource,
            issuer: record.issuer,
            obtainedAt: record.obtainedAt,
            expiresAt: record.expiresAt,
            hasRefreshToken: typeof record.tokens.refresh_token === 'string',
            scope: record.tokens.scope,
          });
        }
      }
      result.push(entry);
    }
    return result.sort((a, b) => a.serverUrl.localeCompare(b.serverUrl));
  }

  /**
   * Forgets everything stored for a server (`lifeline auth logout`): waits for a refresh in
   * progress in another process first, so it cannot write the tokens back. Revoking the tokens
   * at the authorization server (RFC 7009) is the caller's part, before this. Returns whether
   * anything was stored.
   */
  async removeStored(serverUrl: string | URL): Promise<boolean> {
    const server = this.server(serverUrl);
    return server.withLease(TOKENS_LEASE, async () => {
      const existed = (await listDir(server.dir)).length > 0;
      await rm(server.dir, { recursive: true, force: true });
      return existed;
    });
  }
}
