/**
 * The configuration `createTransport()` takes, its defaults, and its validation.
 * Every problem is reported at once, naming the key and what was expected.
 */

import { ConfigError } from '../../errors.js';
import { isDockerClientInstalled } from '../../transports/docker/client.js';
import type { StderrMode } from '../../transports/stdio/link.js';
import { checkObject, describe, resolveCommon } from './common.js';
import { resolveDocker } from './docker.js';
import { liftDockerRun } from './docker-run.js';
import { httpSecrets, isWebSocketUrl, resolveHttp, resolveWs } from './http.js';
import { POLICY_KEYS, TRANSPORT_KEYS, unknownKey } from './keys.js';
import { secretValues } from './secrets.js';
import type {
  DockerConfig,
  HttpConfig,
  ResolvedConfig,
  StdioConfig,
  TransportConfig,
  WsConfig,
} from './types.js';

// The room's entry: what the rest of the code takes from configuration resolution.
export { DEFAULT_LIMITS, DEFAULT_QUEUE, policyProblems } from './common.js';
export { secretValues } from './secrets.js';
export type {
  Clock,
  CommonConfig,
  DockerConfig,
  HttpConfig,
  LimitsPolicy,
  QueuePolicy,
  ResolvedConfig,
  ResolvedEndpoint,
  ResolvedHttp,
  ResolvedStdio,
  StdioConfig,
  TransportConfig,
  WsConfig,
} from './types.js';

const STDERR_MODES: readonly StderrMode[] = ['diagnostics', 'pipe', 'ignore', 'inherit'];

type Problems = string[];

/**
 * Applies defaults and checks a transport configuration: every key known to the transport,
 * exactly one of `command`, `url` and `image` (or the one `type` names), every value.
 *
 * @throws {ConfigError} listing every problem found.
 */
export function resolveConfig(config: TransportConfig): ResolvedConfig {
  const problems: Problems = [];
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ConfigError([`expected a configuration object, got ${describe(config)}`]);
  const type = checkShape(config as unknown as Record<string, unknown>, problems);
  if (type === undefined) {
    // No transport to check against: the shared options still have their say.
    resolveCommon(config, problems);
    throw new ConfigError(problems);
  }
  if (type === 'http' || type === 'sse') return resolveHttpConfig(config as HttpConfig, problems);
  if (type === 'ws') return resolveWsConfig(config as WsConfig, problems);
  if (type === 'docker') return resolveDockerConfig(config as DockerConfig, problems);
  if (config.type === undefined) {
    // `docker run -i --rm …` whose flags all map cleanly: a managed container instead of the CLI,
    // when the Docker transport's client (an optional dependency) is installed.
    const stdio = config as StdioConfig;
    const lifted =
      isDockerCommand(stdio.command) && isDockerClientInstalled()
        ? liftDockerRun(stdio.args ?? [], stdio.env)
        : undefined;
    if (lifted !== undefined) {
      const {
        command: _command,
        args: _args,
        env: _env,
        inheritEnv: _inherit,
        cwd: _cwd,
        stderr: _stderr,
        ...common
      } = stdio;
      return resolveDockerConfig({ ...common, ...lifted }, problems);
    }
  }
  return resolveStdioConfig(config as StdioConfig, problems);
}

type TransportType = 'stdio' | 'http' | 'sse' | 'ws' | 'docker';

const TYPES: readonly TransportType[] = ['stdio', 'http', 'sse', 'ws', 'docker'];

/** The key naming the server of each transport, and which transports each such key means. */
const TARGET_KEY = { stdio: 'command', http: 'url', sse: 'url', ws: 'url', docker: 'image' } as const;
const TARGETS = { command: 'stdio', url: 'http, sse, ws', image: 'docker' } as const;
type TargetKey = keyof typeof TARGETS;

/** Every key some transport takes, for a configuration whose transport is unknown. */
const ANY_KEYS = [...new Set(Object.values(TRANSPORT_KEYS).flat())];

function keysFor(type: TransportType): readonly string[] {
  return TRANSPORT_KEYS[type === 'sse' ? 'http' : type];
}

/**
 * Checks what decides the transport (`type`, and which of `command`, `url`, `image` are
 * given) and the top-level keys; pushes one line per problem. A key whose value is undefined
 * counts as absent, so `{ command, url: undefined }` is a stdio configuration.
 *
 * @returns the transport to check the rest against, or undefined when there is none (nothing
 *   names one, or the keys and `type` disagree); a problem has then been pushed.
 */
function checkShape(config: Record<string, unknown>, problems: Problems): TransportType | undefined {
  const targets = (Object.keys(TARGETS) as TargetKey[]).filter((key) => config[key] !== undefined);
  const given = config.type;
  let type = TYPES.find((known) => known === given);
  let decided = true;
  if (given !== undefined && type === undefined)
    problems.push(`type: ${describe(given)} is not a transport this version supports (${TYPES.join(', ')})`);
  if (type === undefined) {
    const [only] = targets;
    if (targets.length > 1) {
      problems.push(
        `${targets.join(', ')}: give only one of command (stdio), url (http, sse, ws) or image (docker), not ${targets.length === 2 ? 'both' : 'all three'}`,
      );
      decided = false;
    } else if (only !== undefined) type = inferType(only, config.url);
    else if (given === undefined)
      problems.push(
        'type: cannot infer the transport; give `command` (stdio), `url` (http, ws) or `image` (docker)',
      );
  } else if (config[TARGET_KEY[type]] === undefined && targets.length > 0) {
    const others = targets.map((key) => `${key} (${TARGETS[key]})`).join(' or ');
    problems.push(`${TARGET_KEY[type]}: missing; type "${type}" takes ${TARGET_KEY[type]}, not ${others}`);
    decided = false;
  }
  const known = type === undefined ? ANY_KEYS : keysFor(type);
  for (const [key, value] of Object.entries(config)) {
    if (known.includes(key)) continue;
    const owners = TYPES.filter((other) => keysFor(other).includes(key));
    if (owners.length === 0) {
      problems.push(`${key}: ${unknownKey(key, known, { nested: POLICY_KEYS, list: type !== undefined })}`);
    } else if (value !== undefined && (decided || !(key in TARGETS))) {
      problems.push(`${key}: not an option of the ${type} transport (${owners.join(', ')} only)`);
    }
  }
  return decided ? type : undefined;
}

/** `command` means stdio; `image`, Docker; a `ws:`/`wss:` URL means WebSocket; any other URL, the HTTP family. */
function inferType(target: TargetKey, url: unknown): TransportType {
  if (target === 'command') return 'stdio';
  if (target === 'image') return 'docker';
  return isWebSocketUrl(url) ? 'ws' : 'http';
}

function isDockerCommand(command: unknown): boolean {
  return typeof command === 'string' && /(^|\/)docker(\.exe)?$/.test(command);
}

function resolveDockerConfig(config: DockerConfig, problems: Problems): ResolvedConfig {
  const docker = resolveDocker(config, problems);
  const common = resolveCommon(config, problems);
  if (problems.length > 0 || docker === undefined) throw new ConfigError(problems);
  return {
    type: 'docker',
    stdio: undefined,
    http: undefined,
    ws: undefined,
    docker,
    name: config.name ?? docker.image,
    ...common,
    secrets: secretValues(docker.env),
  };
}

function resolveWsConfig(config: WsConfig, problems: Problems): ResolvedConfig {
  const ws = resolveWs(config, problems);
  const common = resolveCommon(config, problems);
  if (problems.length > 0 || ws === undefined) throw new ConfigError(problems);
  return {
    type: 'ws',
    stdio: undefined,
    http: undefined,
    ws,
    docker: undefined,
    name: config.name ?? ws.url.host,
    ...common,
    secrets: httpSecrets(ws),
  };
}

function resolveHttpConfig(config: HttpConfig, problems: Problems): ResolvedConfig {
  const http = resolveHttp(config, problems);
  const common = resolveCommon(config, problems);
  if (problems.length > 0 || http === undefined) throw new ConfigError(problems);
  return {
    type: 'http',
    stdio: undefined,
    http,
    ws: undefined,
    docker: undefined,
    name: config.name ?? http.url.host,
    ...common,
    secrets: httpSecrets(http),
  };
}

function resolveStdioConfig(config: StdioConfig, problems: Problems): ResolvedConfig {
  if (typeof config.command !== 'string' || config.command.length === 0) {
    problems.push(`command: expected a non-empty string, got ${describe(config.command)}`);
  }
  if (
    config.args !== undefined &&
    (!Array.isArray(config.args) || !config.args.every((a) => typeof a === 'string'))
  ) {
    problems.push('args: expected an array of strings');
  }
  const env = config.env ?? {};
  if (checkObject(problems, 'env', config.env)) {
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string')
        problems.push(`env.${key}: expected a string, got ${describe(typeof value)}`);
    }
  }
  if (config.cwd !== undefined && typeof config.cwd !== 'string') problems.push('cwd: expected a string');
  if (config.inheritEnv !== undefined && typeof config.inheritEnv !== 'boolean')
    problems.push('inheritEnv: expected a boolean');
  if (config.stderr !== undefined && !STDERR_MODES.includes(config.stderr)) {
    problems.push(`stderr: expected one of ${STDERR_MODES.join(', ')}, got ${describe(config.stderr)}`);
  }
  const common = resolveCommon(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    type: 'stdio',
    stdio: {
      command: config.command,
      args: config.args ?? [],
      env,
      inheritEnv: config.inheritEnv ?? false,
      cwd: config.cwd,
      stderr: config.stderr ?? 'diagnostics',
    },
    http: undefined,
    ws: undefined,
    docker: undefined,
    name: config.name ?? config.command,
    ...common,
    secrets: secretValues(env),
  };
}
