/**
 * The `<target>` of `lifeline connect` and `lifeline bridge`: a server named in a config file,
 * an `http(s)://` or `ws(s)://` URL, `docker:IMAGE`, or `-- command args…`, plus the flags that
 * shape it (`--config`, `--header`, `--env`, the reconnect policy). Mistakes are
 * {@link UsageError}s (exit code 2); an invalid config file throws its `ConfigFileError`.
 */

import { resolve } from 'node:path';
import { configCandidates, findConfigFile, loadConfigFile, type OAuthBlock } from '../config/index.js';
import type { CommonConfig, TransportConfig } from '../runtime/options/resolve.js';
import { type ParsedArgs, parseCommandArgs, UsageError, wholeNumber } from './args.js';

/** A target ready for `createTransport`. */
export interface ResolvedTarget {
  /** For messages: the server's name in the config file, the URL without credentials, the command. */
  name: string;
  config: TransportConfig;
  /** `stdio`, `http`, `sse`, `ws` or `docker`. */
  type: string;
  /** The config entry's `oauth` block (how the command signs in to it). */
  oauth?: OAuthBlock | undefined;
}

/** Options of {@link resolveTarget}. */
export interface TargetOptions {
  /** The config file (`--config`); otherwise the first of the usual places that exists. */
  config?: string | undefined;
  /** Where a relative `--config` path and the config search start. Default: the process's cwd. */
  cwd?: string | undefined;
  /** Extra request headers (`--header`), for URL targets and HTTP or WebSocket servers. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Extra environment variables (`--env`), for commands, images and stdio or Docker servers. */
  env?: Readonly<Record<string, string>> | undefined;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Turns a `<target>` (and what follows `--`) into a transport configuration.
 *
 * @throws {UsageError} for a target that names nothing usable.
 * @throws {ConfigFileError} when the config file it reads is invalid.
 */
export function resolveTarget(
  target: string | undefined,
  rest: readonly string[],
  options: TargetOptions = {},
): ResolvedTarget {
  if (target === undefined) {
    const [command, ...args] = rest;
    if (command === undefined)
      throw new UsageError('missing <target>: a server name, a URL, docker:IMAGE or -- command args…');
    return withExtras({ name: rest.join(' '), type: 'stdio', config: { command, args } }, options);
  }
  if (target.startsWith('docker:')) {
    const image = target.slice('docker:'.length);
    if (image === '') throw new UsageError('docker: needs an image, as in docker:mcp/fetch');
    const config: TransportConfig =
      rest.length > 0 ? { type: 'docker', image, args: rest } : { type: 'docker', image };
    return withExtras({ name: target, type: 'docker', config }, options);
  }
  if (rest.length > 0)
    throw new UsageError(
      `give either a <target> or -- command args…, not both (got "${target}" and "-- ${rest.join(' ')}")`,
    );
  if (URL_SCHEME.test(target)) return withExtras(fromUrl(target), options);
  return withExtras(fromConfigFile(target, options), options);
}

function fromUrl(text: string): ResolvedTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a valid URL: ${text}`);
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  // The name shows up in messages: no credentials, no query string (tokens live there too).
  const name = `${url.protocol}//${url.host}${url.pathname}`;
  // No `type` for http(s): a bare `url` is Streamable HTTP with the fallback to HTTP+SSE, as in a
  // config file (`type: 'http'` would force Streamable HTTP).
  if (scheme === 'http' || scheme === 'https') return { name, type: 'http', config: { url: text } };
  if (scheme === 'ws' || scheme === 'wss') return { name, type: 'ws', config: { type: 'ws', url: text } };
  throw new UsageError(`unsupported URL scheme "${scheme}:" (use http, https, ws or wss)`);
}

function fromConfigFile(name: string, options: TargetOptions): ResolvedTarget {
  const cwd = options.cwd ?? process.cwd();
  const path = options.config === undefined ? findConfigFile({ cwd }) : resolve(cwd, options.config);
  if (path === undefined) {
    const looked = configCandidates({ cwd })
      .map((candidate) => `\n  ${candidate}`)
      .join('');
    throw new UsageError(
      `no server "${name}": no config file found (give --config FILE, a URL, docker:IMAGE or -- command args…). Looked in:${looked}`,
    );
  }
  const loaded = loadConfigFile(path);
  const entry = loaded.servers.find((server) => server.name === name);
  if (entry === undefined) {
    const names = loaded.servers.map((server) => server.name);
    const available = names.length === 0 ? 'it names no servers' : `servers there: ${names.join(', ')}`;
    throw new UsageError(`unknown server "${name}" in ${path} (${available})`);
  }
  return { name: entry.name, type: entry.type, config: entry.config, oauth: entry.oauth };
}

/** Adds `--header` and `--env` values where they apply; refuses them where they do not. */
function withExtras(target: ResolvedTarget, options: TargetOptions): ResolvedTarget {
  const config = target.config as TransportConfig & {
    headers?: Record<string, string>;
    env?: Record<string, string>;
  };
  const remote = 'url' in config;
  let merged: TransportConfig = config;
  if (options.headers !== undefined && Object.keys(options.headers).length > 0) {
    if (!remote) throw new UsageError(`--header applies to URL targets; "${target.name}" is ${target.type}`);
    merged = { ...merged, headers: { ...config.headers, ...options.headers } } as TransportConfig;
  }
  if (options.env !== undefined && Object.keys(options.env).length > 0) {
    if (remote)
      throw new UsageError(`--env applies to commands and images; "${target.name}" is ${target.type}`);
    merged = { ...merged, env: { ...config.env, ...options.env } } as TransportConfig;
  }
  return { ...target, config: merged };
}

/** The options every target command accepts (besides `--header` and `--env`, which repeat). */
export const TARGET_OPTIONS = {
  config: { type: 'string' },
  'reconnect-max-attempts': { type: 'string' },
  'reconnect-delay': { type: 'string' },
  'reconnect-max-delay': { type: 'string' },
  'connect-timeout': { type: 'string' },
} as const;

/** The help lines for the target and {@link TARGET_OPTIONS}. */
export const TARGET_USAGE = [
  'Targets:',
  '  NAME                 a server in the config file (--config, or the first of the usual places)',
  '  http(s)://…, ws(s)://…  a remote server (Streamable HTTP with HTTP+SSE fallback, or WebSocket)',
  '  docker:IMAGE [-- args…]  a container run from IMAGE',
  '  -- command args…     a local server started as a child process (stdio)',
  '',
  'Target options:',
  '  --config FILE                 The mcpServers / servers file to read NAME from',
  "  --header 'Name: value'        A request header for URL targets (repeatable)",
  '  --env KEY=VALUE               An environment variable for commands and images (repeatable)',
  '  --reconnect-max-attempts N    Retries before giving up (default: the config, else unlimited)',
  '  --reconnect-delay MS          Delay before the first retry (default 1000)',
  '  --reconnect-max-delay MS      Longest delay between retries (default 30000)',
  '  --connect-timeout MS          Deadline of one connection attempt (default 20000)',
];

type Options = Parameters<typeof parseCommandArgs>[1];

/** What {@link parseTargetCommand} found. */
export interface TargetCommandArgs {
  values: ParsedArgs['values'];
  help: boolean;
  /** Resolves the target (reads the config file); call it after handling `--help`. */
  target(): ResolvedTarget;
}

/**
 * Parses a target command's arguments: `[options] [<target>] [-- command args…]`, with the
 * command's own `options` beside {@link TARGET_OPTIONS}.
 */
export function parseTargetCommand(
  argv: readonly string[],
  options: Options,
  cwd?: string,
): TargetCommandArgs {
  const dash = argv.indexOf('--');
  const head = dash === -1 ? argv : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  const { remaining, repeated } = takeRepeated(head, ['header', 'env']);
  const args = parseCommandArgs(remaining, { ...TARGET_OPTIONS, ...options }, true, ['header', 'env']);
  return {
    values: args.values,
    help: args.help,
    target: () => {
      if (args.positionals.length > 1)
        throw new UsageError(
          `one <target> at a time (got ${args.positionals.join(', ')}); put a command after --`,
        );
      const target = resolveTarget(args.positionals[0], rest, {
        config: stringValue(args.values.config),
        cwd,
        headers: pairs(repeated.header ?? [], ':', '--header', "'Name: value'"),
        env: pairs(repeated.env ?? [], '=', '--env', 'KEY=VALUE'),
      });
      return { ...target, config: withPolicy(target.config, args.values) };
    },
  };
}

function stringValue(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Pulls every `--name value` and `--name=value` of repeatable flags out of `argv`. */
function takeRepeated(
  argv: readonly string[],
  names: readonly string[],
): { remaining: string[]; repeated: Record<string, string[]> } {
  const remaining: string[] = [];
  const repeated: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const name = names.find((candidate) => arg === `--${candidate}` || arg.startsWith(`--${candidate}=`));
    if (name === undefined) {
      remaining.push(arg);
      continue;
    }
    let value: string | undefined = arg.slice(name.length + 3);
    if (arg === `--${name}`) {
      i += 1;
      value = argv[i];
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    repeated[name] = [...(repeated[name] ?? []), value];
  }
  return { remaining, repeated };
}

function pairs(
  list: readonly string[],
  separator: string,
  flag: string,
  shape: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf(separator);
    const key = at === -1 ? '' : item.slice(0, at).trim();
    if (key === '') throw new UsageError(`${flag} expects ${shape}, got "${item.slice(0, 40)}"`);
    out[key] = item.slice(at + 1).trim();
  }
  return out;
}

function count(values: ParsedArgs['values'], flag: string, allowInfinity = false): number | undefined {
  const value = values[flag];
  return value === undefined ? undefined : wholeNumber(value, flag, 0, { min: 0, allowInfinity });
}

/** The config with the policy flags laid over what the config file said. */
function withPolicy(config: TransportConfig, values: ParsedArgs['values']): TransportConfig {
  const common: CommonConfig = config;
  const reconnect = { ...common.reconnect };
  const maxAttempts = count(values, 'reconnect-max-attempts', true);
  const initialDelayMs = count(values, 'reconnect-delay');
  const maxDelayMs = count(values, 'reconnect-max-delay');
  const connectMs = count(values, 'connect-timeout');
  if (maxAttempts !== undefined) reconnect.maxAttempts = maxAttempts;
  if (initialDelayMs !== undefined) reconnect.initialDelayMs = initialDelayMs;
  if (maxDelayMs !== undefined) reconnect.maxDelayMs = maxDelayMs;
  const out = { ...config, reconnect } as TransportConfig;
  if (connectMs !== undefined) out.timeouts = { ...common.timeouts, connectMs };
  return out;
}
