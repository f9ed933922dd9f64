/**
 * What the `lifeline` command's provider (cli-provider.ts) is configured with, and the shapes it
 * hands back: the grant, the token set with its age, a refresh's result.
 */

import type { FileStore } from './file-store.js';
import type { OAuthTokensLike } from './types.js';

/** Options of `createCliAuthProvider`. */
export interface CliAuthProviderOptions {
  /** The MCP server signed in to. */
  serverUrl: string | URL;
  /** The token store. */
  store: FileStore;
  /** The loopback callback port. Default: interactive.ts `callbackPortFor` the server URL (20000-29999). */
  callbackPort?: number | undefined;
  /** Print the authorization URL without opening a browser (`--no-browser`). */
  noBrowser?: boolean | undefined;
  /** `client_name` in the dynamic registration (RFC 7591 §2), shown on the consent screen. */
  clientName: string;
  /** `client_uri` in the registration. */
  clientUri?: string | undefined;
  /** `software_version` in the registration. */
  softwareVersion?: string | undefined;
  /** Scopes to register and fall back on (the server's challenge and metadata come first). */
  scopes?: readonly string[] | undefined;
  /** A pre-registered client: used as is, never stored, never dropped. */
  staticClient?: { client_id: string; client_secret?: string | undefined } | undefined;
  /**
   * How this client gets tokens: `authorization_code` (default: the browser, `lifeline connect`
   * and `bridge`), `device_code` (RFC 8628, `--device-code`: no redirect, the user enters a code
   * on another device) or `client_credentials` (`--client-credentials`: no user; needs
   * `staticClient` with a secret). The grants themselves are the protocol core's; this sets what
   * is registered and stored.
   */
  grant?: CliGrant | undefined;
  /** Key tokens by this resource instead of the discovered one. */
  resource?: string | undefined;
  /** Sign-in time limit in ms. Default 5 minutes (interactive.ts `DEFAULT_SIGN_IN_TIMEOUT_MS`). */
  signInTimeoutMs?: number | undefined;
  /** A terminal to read a pasted redirect URL from; only a TTY, never the bridge's stdin. */
  pasteInput?: NodeJS.ReadableStream | undefined;
  /** Opens the browser. Default: the `open` package. */
  openBrowser?: ((url: string) => Promise<unknown>) | undefined;
  /** Lines for the user (stderr): receives the authorization URL, never a code or a token. */
  log: (line: string) => void;
}

/** The ways the `lifeline` command gets tokens. */
export type CliGrant = 'authorization_code' | 'device_code' | 'client_credentials';

/** The `grant_types` registered for each grant (RFC 7591 §2; RFC 8628 §7.2 for the device grant). */
export const GRANT_TYPES: Record<CliGrant, string[]> = {
  authorization_code: ['authorization_code', 'refresh_token'],
  device_code: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  client_credentials: ['client_credentials'],
};

/** A token set as this provider returns it: with when it was obtained and when it expires (ms since the epoch). */
export interface TimedTokens extends OAuthTokensLike {
  obtained_at: number;
  expires_at?: number | undefined;
}

/** What a refresh returns to `CliAuthProvider.refreshTokens`. */
export interface RefreshResult {
  tokens: OAuthTokensLike;
  issuer?: string;
  clientId?: string;
}
