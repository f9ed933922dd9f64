/**
 * One server entry of a config file, made into a transport configuration: the type, given or
 * inferred; variables interpolated; `envFile` read; a relative `cwd` resolved; then the
 * runtime's own checks (`resolveConfig`), so the file is held to what `createTransport()`
 * would refuse.
 */

import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { closest } from '../runtime/options/did-you-mean.js';
import { isWebSocketUrl } from '../runtime/options/http.js';
import { POLICY_NAMES, unknownKey } from '../runtime/options/keys.js';
import { resolveConfig, type TransportConfig } from '../runtime/options/resolve.js';
import { parseDotenv } from './dotenv.js';
import { readText } from './files.js';
import { interpolate, type Variables } from './interpolate.js';
import { type OAuthBlock, readOAuthBlock } from './oauth.js';
import type { ServerType } from './types.js';
import { isObject, kind } from './values.js';

/** What an entry is read against. */
export interface EntryContext {
  variables: Variables;
  /** Where a relative `envFile` or `cwd` is. */
  baseDir: string;
}

/** A server entry, ready but for the `lifeline` policy. */
export interface Entry {
  config: TransportConfig;
  type: ServerType;
  /** The `oauth` block of a remote server, for the `lifeline` command's sign-in. */
  oauth?: OAuthBlock;
}

const REMOTE = ['url', 'headers', 'allowInsecure', 'redirect'];

/** The keys each transport takes from an entry. Others (other hosts' own keys) are left out. */
const KEYS: Readonly<Record<ServerType, readonly string[]>> = {
  stdio: ['command', 'args', 'env', 'cwd', 'inheritEnv', 'stderr'],
  http: REMOTE,
  sse: REMOTE,
  ws: ['url', 'headers', 'allowInsecure'],
  docker: ['image', 'args', 'env', 'volumes', 'ports', 'network', 'stderr', 'docker'],
};

/** Every key read from an entry, so only those are interpolated. */
const READ = new Set(['type', 'envFile', 'serverUrl', ...Object.values(KEYS).flat()]);

/** `type` as the hosts write it. Cline and others say `streamableHttp` for Streamable HTTP. */
const TYPES: Readonly<Record<string, ServerType>> = {
  stdio: 'stdio',
  http: 'http',
  sse: 'sse',
  ws: 'ws',
  docker: 'docker',
  'streamable-http': 'http',
  streamableHttp: 'http',
};

/**
 * Reads one entry; pushes its problems, each starting `server "name": ` and naming the key.
 *
 * @returns the entry, or undefined when it has a problem.
 */
export function readEntry(
  name: string,
  raw: unknown,
  context: EntryContext,
  problems: string[],
): Entry | undefined {
  const own: string[] = [];
  const entry = read(name, raw, context, own);
  for (const problem of own) problems.push(`server ${JSON.stringify(name)}: ${problem}`);
  return own.length === 0 ? entry : undefined;
}

function read(name: string, raw: unknown, context: EntryContext, problems: string[]): Entry | undefined {
  if (!isObject(raw)) {
    problems.push(`expected an object with command, url or image, got ${kind(raw)}`);
    return undefined;
  }
  for (const key of POLICY_NAMES) {
    if (key in raw)
      problems.push(
        `${key}: policy keys go in lifeline.servers[${JSON.stringify(name)}], where other MCP hosts do not see them`,
      );
  }
  const picked = Object.fromEntries(Object.entries(raw).filter(([key]) => READ.has(key)));
  const values = interpolate(picked, '', context.variables, problems) as Record<string, unknown>;
  if (values.url === undefined && values.serverUrl !== undefined) values.url = values.serverUrl;
  const type = typeOf(values, problems);
  if (type === undefined) {
    if (values.type === undefined) misspelledTargets(raw, problems);
    return undefined;
  }

  const config: Record<string, unknown> = {};
  // An explicit type stays as written (`stdio` keeps `docker run` as the CLI); an image needs one.
  if (values.type !== undefined || type === 'docker') config.type = type;
  for (const key of KEYS[type]) if (values[key] !== undefined) config[key] = values[key];
  // An envFile whose path had an unset variable is reported once, not again as an empty path.
  const envFileBroken = problems.some((problem) => keyOf(problem) === 'envFile');
  if ((type === 'stdio' || type === 'docker') && !envFileBroken)
    readEnvFile(values.envFile, config, context.baseDir, problems);
  if (type === 'stdio' && typeof config.cwd === 'string' && config.cwd !== '')
    config.cwd = resolve(context.baseDir, config.cwd);

  const oauth = raw.oauth === undefined ? undefined : readOAuth(raw.oauth, type, config, context, problems);

  const ownKeys = problems.map(keyOf);
  try {
    const resolved = resolveConfig(config as unknown as TransportConfig);
    const entry: Entry = {
      config: config as unknown as TransportConfig,
      type: resolved.type === 'docker' ? 'docker' : type,
    };
    if (oauth !== undefined) entry.oauth = oauth;
    return entry;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A key already reported (an unset variable left it empty) is not reported twice.
    for (const problem of error.problems) {
      const key = keyOf(problem);
      if (!ownKeys.some((own) => overlaps(own, key))) problems.push(problem);
    }
    return undefined;
  }
}

/** The `oauth` block, for servers reached by URL and without an `Authorization` header of their own. */
function readOAuth(
  raw: unknown,
  type: ServerType,
  config: Record<string, unknown>,
  context: EntryContext,
  problems: string[],
): OAuthBlock | undefined {
  if (type !== 'http' && type !== 'sse' && type !== 'ws') {
    problems.push(`oauth: applies to servers reached by url (http, sse, ws); this one is ${type}`);
    return undefined;
  }
  const headers = isObject(config.headers) ? Object.keys(config.headers) : [];
  if (headers.some((header) => header.toLowerCase() === 'authorization')) {
    problems.push('oauth: give either an oauth block or an Authorization header, not both');
    return undefined;
  }
  return readOAuthBlock(raw, context.variables, problems);
}

/** The transport type, given or inferred; pushes a problem when there is none. */
function typeOf(values: Record<string, unknown>, problems: string[]): ServerType | undefined {
  const given = values.type;
  if (given !== undefined) {
    const type = typeof given === 'string' && Object.hasOwn(TYPES, given) ? TYPES[given] : undefined;
    if (type === undefined) {
      const shown = typeof given === 'string' ? JSON.stringify(given.slice(0, 40)) : kind(given);
      problems.push(`type: expected one of stdio, http, sse, ws, docker, got ${shown}`);
    }
    return type;
  }
  const command = values.command !== undefined;
  const url = values.url !== undefined;
  if (command && url) {
    problems.push(
      'type: give command (stdio) or url (http, sse, ws), not both, or name the transport with type',
    );
    return undefined;
  }
  if (command) return 'stdio';
  if (url) return isWebSocketUrl(values.url) ? 'ws' : 'http';
  if (values.image !== undefined) return 'docker';
  problems.push(
    'type: cannot infer the transport; give command (stdio), url (http, sse, ws) or image (docker)',
  );
  return undefined;
}

const TARGET_KEYS = ['command', 'url', 'image'];

/**
 * When nothing names the transport, a key one slip away from `command`, `url` or `image` is
 * the likely reason. Other keys stay unreported: they may be another host's own.
 */
function misspelledTargets(raw: Record<string, unknown>, problems: string[]): void {
  if (TARGET_KEYS.some((key) => raw[key] !== undefined)) return;
  for (const key of Object.keys(raw)) {
    if (!READ.has(key) && closest(key, TARGET_KEYS) !== undefined)
      problems.push(`${key}: ${unknownKey(key, TARGET_KEYS)}`);
  }
}

/** Reads `envFile` into `config.env`; the entry's own `env` wins. */
function readEnvFile(
  value: unknown,
  config: Record<string, unknown>,
  baseDir: string,
  problems: string[],
): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value === '') {
    problems.push(`envFile: expected the path of a .env file, got ${kind(value)}`);
    return;
  }
  const path = resolve(baseDir, value);
  const file = readText(path);
  if ('reason' in file) {
    problems.push(`envFile: cannot read ${path}: ${file.reason}`);
    return;
  }
  const parsed = parseDotenv(file.text);
  for (const problem of parsed.problems) problems.push(`envFile: ${path} ${problem}`);
  if (config.env === undefined) config.env = { ...parsed.values };
  else if (isObject(config.env)) config.env = { ...parsed.values, ...config.env };
}

/** The key a problem line starts with (`env.API_KEY` in `env.API_KEY: … is not set`). */
function keyOf(problem: string): string {
  const colon = problem.indexOf(': ');
  return colon < 0 ? problem : problem.slice(0, colon);
}

function overlaps(a: string, b: string): boolean {
  return (
    a === b ||
    b.startsWith(`${a}.`) ||
    b.startsWith(`${a}[`) ||
    a.startsWith(`${b}.`) ||
    a.startsWith(`${b}[`)
  );
}
