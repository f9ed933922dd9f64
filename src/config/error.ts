/**
 * The error a config file raises: every problem at once, and the file it came from.
 */

import { ConfigError, hasBrand } from '../errors.js';

const kConfigFileError = Symbol.for('mcp-lifeline.error.ConfigFileError');

/**
 * A config file is unreadable, not JSON, or invalid; nothing was started. `problems` lists
 * every problem, one line each, naming the server and the key. Never carries a value of `env`
 * or `headers`. Its `code` is `LIFELINE_ERR_INVALID_CONFIG`, as for every `ConfigError`.
 */
export class ConfigFileError extends ConfigError {
  override name = 'ConfigFileError';
  /** Absolute path of the file, or undefined when the configuration came as a value. */
  readonly path: string | undefined;

  constructor(problems: readonly string[], path: string | undefined) {
    super(problems);
    this.path = path;
    const where = path === undefined ? 'MCP configuration' : `MCP configuration file ${path}`;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    this.message = `Invalid ${where} (${count}):\n  - ${problems.join('\n  - ')}`;
  }

  get [kConfigFileError](): true {
    return true;
  }

  // Its own brand: ConfigError's test would take every ConfigError for a ConfigFileError.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kConfigFileError);
  }
}
