/**
 * The shapes the config loader returns. The public API re-exports them from index.ts.
 */

import type { CommonConfig, TransportConfig } from '../runtime/options/resolve.js';
import type { OAuthBlock } from './oauth.js';

/** The policy keys a server may tune in the `lifeline` block (and the `defaults` block). */
export type ServerPolicy = Pick<CommonConfig, 'reconnect' | 'timeouts' | 'heartbeat' | 'queue' | 'limits'>;

/** A transport type as a config file names it, given or inferred. */
export type ServerType = 'stdio' | 'http' | 'sse' | 'ws' | 'docker';

/** One server of a config file, ready for `createTransport()`. */
export interface ServerEntry {
  /** The key of the entry in `mcpServers` / `servers`. */
  name: string;
  /**
   * The server's transport configuration, with the file's defaults and its own policy merged
   * in, variables interpolated, `envFile` read and relative `cwd` resolved: ready for
   * `createTransport()`.
   */
  config: TransportConfig;
  /**
   * The transport type, given or inferred: `docker` also when a `docker run -i …` stdio
   * entry is lifted into a managed container.
   */
  type: ServerType;
  /**
   * The entry's `oauth` block (remote servers): how the `lifeline` command signs in to it.
   * Not part of `config`: `createTransport()` takes an `authProvider`, built from this by the command.
   */
  oauth?: OAuthBlock;
}

/** A config file, read and validated. */
export interface LoadedConfig {
  /** Absolute path of the file read (undefined when parsed from a value without a path). */
  path: string | undefined;
  /** Which shape the file has: Claude Desktop/Cursor `mcpServers`, or VS Code `servers`. */
  format: 'mcpServers' | 'servers';
  /** In file order; entries with `disabled: true` are left out. */
  servers: ServerEntry[];
  /** The file's `lifeline.defaults` policy, validated (an empty object when absent). */
  defaults: ServerPolicy;
  /** The file's `lifeline.journal` (also in every server's `config`). */
  journal?: CommonConfig['journal'];
  /** The file's `lifeline.control` (also in every server's `config`). */
  control?: CommonConfig['control'];
}

/** Options of `loadConfigFile()` and `parseConfig()`. */
export interface LoadOptions {
  /** Environment for `${env:NAME}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Directory that relative paths (`envFile`, `cwd`) resolve against, and the value of
   * `${workspaceFolder}`. Default: the file's directory (for `<dir>/.vscode/mcp.json`, `<dir>`,
   * the workspace folder); without a file, `process.cwd()`.
   */
  baseDir?: string;
}

/** Where `findConfigFile()` looks; every part injectable for tests. */
export interface LocateOptions {
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Default `os.homedir()`. */
  home?: string;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Windows' `%APPDATA%`. Default: the `APPDATA` variable, else `<home>\AppData\Roaming`. */
  appData?: string;
}
