/**
 * Config files as the MCP hosts write them, read into configurations for
 * `createTransport()`: Claude Desktop and Cursor `mcpServers`, VS Code `servers`, our policy in
 * a `lifeline` block beside them. The reference: docs/configuration.md.
 */

export { ConfigFileError } from './error.js';
export { loadConfigFile, parseConfig } from './load.js';
export { configCandidates, findConfigFile } from './locate.js';
export type { OAuthBlock, OAuthGrant } from './oauth.js';
export type {
  LoadedConfig,
  LoadOptions,
  LocateOptions,
  ServerEntry,
  ServerPolicy,
  ServerType,
} from './types.js';
