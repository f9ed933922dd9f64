/**
 * Where the `lifeline` command keeps what sign-in leaves behind, and how a server's URL, an
 * issuer and a `resource` become file names there.
 *
 * The folder is the per-user config folder from `env-paths` (`~/.config/lifeline/auth` on
 * Linux, `~/Library/Preferences/lifeline/auth` on macOS, `%APPDATA%\lifeline\Config\auth` on
 * Windows), or `LIFELINE_AUTH_DIR`. Its path carries no version of lifeline, so an upgrade never
 * loses a sign-in (mcp-remote keeps tokens under a versioned folder and users sign in again
 * after every update, mcp-remote #200).
 */

import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import envPaths from 'env-paths';

/** The environment variable that moves the token store (tests, containers with a mounted volume). */
export const AUTH_DIR_ENV = 'LIFELINE_AUTH_DIR';

/**
 * The token store's folder: `LIFELINE_AUTH_DIR` when set, else `auth` in the per-user config
 * folder of `env-paths('lifeline', { suffix: '' })`.
 */
export function authStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[AUTH_DIR_ENV];
  if (override !== undefined && override !== '') return resolve(override);
  return join(envPaths('lifeline', { suffix: '' }).config, 'auth');
}

/**
 * The form of a server URL the store is keyed by: what `URL` already normalizes (scheme and
 * host in lower case, the default port dropped), without a fragment, user name or password, and
 * without one trailing `/` on a non-root path, so `https://h/mcp` and `https://h/mcp/` share
 * one sign-in. The query stays: it can select a different server.
 */
export function normalizeServerUrl(url: string | URL): string {
  const u = new URL(url);
  u.hash = '';
  u.username = '';
  u.password = '';
  if (u.pathname.length > 1 && u.pathname.endsWith('/')) u.pathname = u.pathname.slice(0, -1);
  return u.href;
}

/** The hex SHA-256 of `text`, cut to `length` characters: a file name that reveals nothing. */
export function shortHash(text: string, length = 16): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The name of a server's folder in the store: 32 hex characters of the normalized URL's hash. */
export function serverKey(url: string | URL): string {
  return shortHash(normalizeServerUrl(url), 32);
}

/**
 * An issuer as a key: one trailing `/` does not make another authorization server (the SDK's
 * `issuersMatch` tolerates it the same way, for 2025-03-26 servers whose metadata drops it).
 */
export function issuerKey(issuer: string): string {
  return shortHash(issuer.endsWith('/') ? issuer.slice(0, -1) : issuer);
}

/** A `resource` (RFC 8707) as a key; `none` for servers without resource metadata (2025-03-26). */
export function resourceKey(resource: string | undefined): string {
  return resource === undefined ? 'none' : shortHash(resource);
}
