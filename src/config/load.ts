/**
 * Reading a config file as the MCP hosts write it (Claude Desktop and Cursor `mcpServers`,
 * VS Code `servers`) into configurations for `createTransport()`, with every problem of the
 * file reported at once before anything starts.
 */

import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { readEntry } from './entry.js';
import { ConfigFileError } from './error.js';
import { readText } from './files.js';
import { JsoncSyntaxError, parseJsonc } from './jsonc.js';
import { checkLifeline, mergePolicy } from './policy.js';
import type { LoadedConfig, LoadOptions, ServerEntry } from './types.js';
import { isObject, kind } from './values.js';

/**
 * Reads, parses and validates a config file. JSON with comments and trailing commas is
 * accepted (VS Code writes it so).
 *
 * @example
 * ```ts
 * const { servers } = loadConfigFile('.vscode/mcp.json');
 * const github = servers.find((server) => server.name === 'github');
 * if (github) await client.connect(createTransport(github.config));
 * ```
 * @throws {ConfigFileError} when the file cannot be read, is not JSON, or has problems (all
 *   of them, one line each).
 */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadedConfig {
  const absolute = resolve(path);
  const file = readText(absolute);
  if ('reason' in file) throw new ConfigFileError([`cannot read the file: ${file.reason}`], absolute);
  let value: unknown;
  try {
    value = parseJsonc(file.text);
  } catch (error) {
    if (error instanceof JsoncSyntaxError) throw new ConfigFileError([error.message], absolute);
    throw error;
  }
  return parseConfig(value, { ...options, path: absolute });
}

/**
 * Validates an already-parsed config value, as {@link loadConfigFile} does. `path` (for
 * messages and `LoadedConfig.path`) also sets the default `baseDir`, the file's directory.
 *
 * @throws {ConfigFileError} listing every problem.
 */
export function parseConfig(value: unknown, options: LoadOptions & { path?: string } = {}): LoadedConfig {
  const path = options.path === undefined ? undefined : resolve(options.path);
  const baseDir = resolve(options.baseDir ?? (path === undefined ? process.cwd() : workspaceOf(path)));
  const problems: string[] = [];
  const fail = (): never => {
    throw new ConfigFileError(problems, path);
  };
  if (!isObject(value)) {
    problems.push(`expected a JSON object with mcpServers or servers, got ${kind(value)}`);
    return fail();
  }
  const format = formatOf(value, problems);
  if (format === undefined) return fail();
  const list = value[format];
  if (!isObject(list)) {
    problems.push(`${format}: expected an object of servers by name, got ${kind(list)}`);
    return fail();
  }

  const names = Object.keys(list);
  const lifeline = checkLifeline(value.lifeline, names, format, problems, baseDir);
  const context = {
    variables: { env: options.env ?? process.env, workspaceFolder: baseDir, home: homedir() },
    baseDir,
  };
  const servers: ServerEntry[] = [];
  for (const [name, raw] of Object.entries(list)) {
    const disabled = isObject(raw) ? raw.disabled : undefined;
    if (disabled !== undefined && typeof disabled !== 'boolean') {
      problems.push(
        `server ${JSON.stringify(name)}: disabled: expected true or false, got ${kind(disabled)}`,
      );
      continue;
    }
    if (disabled === true) continue;
    const entry = readEntry(name, raw, context, problems);
    if (entry === undefined) continue;
    const policy = mergePolicy(lifeline.defaults, lifeline.servers.get(name));
    const server: ServerEntry = { name, type: entry.type, config: { ...entry.config, ...policy } };
    if (lifeline.journal !== undefined) server.config.journal = lifeline.journal;
    if (lifeline.control !== undefined) server.config.control = lifeline.control;
    if (entry.oauth !== undefined) server.oauth = entry.oauth;
    servers.push(server);
  }
  if (problems.length > 0) fail();
  const loaded: LoadedConfig = { path, format, servers, defaults: lifeline.defaults };
  if (lifeline.journal !== undefined) loaded.journal = lifeline.journal;
  if (lifeline.control !== undefined) loaded.control = lifeline.control;
  return loaded;
}

/** Which list the file holds; pushes a problem when it holds neither or both. */
function formatOf(value: Record<string, unknown>, problems: string[]): LoadedConfig['format'] | undefined {
  const mcpServers = value.mcpServers !== undefined;
  const servers = value.servers !== undefined;
  if (mcpServers && servers) {
    problems.push(
      'mcpServers, servers: expected one list of servers, mcpServers (Claude Desktop, Cursor) or servers (VS Code), not both',
    );
    return undefined;
  }
  if (mcpServers) return 'mcpServers';
  if (servers) return 'servers';
  problems.push('expected a top-level mcpServers (Claude Desktop, Cursor) or servers (VS Code) object');
  return undefined;
}

/** The directory a file's relative paths mean: the workspace folder for `<dir>/.vscode/mcp.json`. */
function workspaceOf(path: string): string {
  const dir = dirname(path);
  return basename(dir) === '.vscode' ? dirname(dir) : dir;
}
