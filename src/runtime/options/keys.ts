/**
 * Which keys each configuration object may hold, and the one check that names every other
 * key. `createTransport()`, `createSupervisor()` and config files (src/config) all report a
 * misspelled key through {@link unknownKey}, so a typo reads the same wherever it was written.
 */

import type { OAuthOptions } from '../../auth/types.js';
import type { ControlOptions } from '../../observe/control/options.js';
import type { JournalOptions } from '../../observe/journal/options.js';
import { closest } from './did-you-mean.js';
import type {
  CommonConfig,
  DockerConfig,
  DockerEngineFields,
  HttpConfig,
  StdioConfig,
  WsConfig,
} from './types.js';

/**
 * The keys of `T`, typed so that a key added to `T` must be added to the list (and a key
 * removed from `T` removed from it): the lists cannot drift from the interfaces.
 */
export function keysOf<T>(keys: { readonly [K in keyof T]-?: true }): readonly string[] {
  return Object.keys(keys);
}

/** The policy keys a transport, a supervisor's `defaults` and a file's `lifeline` block take. */
export type PolicyConfig = Pick<CommonConfig, 'reconnect' | 'timeouts' | 'heartbeat' | 'queue' | 'limits'>;

/** Every policy object and its keys, in the order the docs list them. */
export const POLICY_KEYS: { readonly [K in keyof PolicyConfig]-?: readonly string[] } = {
  reconnect: keysOf<NonNullable<CommonConfig['reconnect']>>({
    initialDelayMs: true,
    multiplier: true,
    jitter: true,
    maxDelayMs: true,
    maxAttempts: true,
  }),
  timeouts: keysOf<NonNullable<CommonConfig['timeouts']>>({
    connectMs: true,
    closeMs: true,
    requestMs: true,
  }),
  heartbeat: keysOf<NonNullable<CommonConfig['heartbeat']>>({ intervalMs: true, timeoutMs: true }),
  queue: keysOf<NonNullable<CommonConfig['queue']>>({ maxMessages: true, maxBytes: true }),
  limits: keysOf<NonNullable<CommonConfig['limits']>>({ maxMessageBytes: true }),
};

/** The policy objects' names: `reconnect`, `timeouts`, `heartbeat`, `queue`, `limits`. */
export const POLICY_NAMES = Object.keys(POLICY_KEYS) as readonly (keyof PolicyConfig)[];

const COMMON = {
  reconnect: true,
  timeouts: true,
  heartbeat: true,
  queue: true,
  limits: true,
  inspect: true,
  logger: true,
  clock: true,
  seed: true,
  name: true,
  journal: true,
  control: true,
} as const;

/** The keys of `journal` (a transport's, a supervisor's, a config file's `lifeline.journal`). */
export const JOURNAL_KEYS = keysOf<JournalOptions>({ entries: true, file: true, maxBytes: true, keep: true });

/** The keys of `control` when it is an object. */
export const CONTROL_KEYS = keysOf<ControlOptions>({ name: true });

/** The top-level keys of each transport's configuration (`sse` takes `http`'s). */
export const TRANSPORT_KEYS = {
  stdio: keysOf<StdioConfig>({
    type: true,
    command: true,
    args: true,
    env: true,
    inheritEnv: true,
    cwd: true,
    stderr: true,
    ...COMMON,
  }),
  http: keysOf<HttpConfig>({
    type: true,
    url: true,
    headers: true,
    allowInsecure: true,
    redirect: true,
    authProvider: true,
    oauth: true,
    ...COMMON,
  }),
  ws: keysOf<WsConfig>({
    type: true,
    url: true,
    headers: true,
    allowInsecure: true,
    authProvider: true,
    oauth: true,
    ...COMMON,
  }),
  docker: keysOf<DockerConfig>({
    type: true,
    image: true,
    args: true,
    env: true,
    volumes: true,
    ports: true,
    network: true,
    stderr: true,
    docker: true,
    ...COMMON,
  }),
} as const;

/** The keys of a Docker configuration's `docker` object (the engine and the container's limits). */
export const DOCKER_ENGINE_KEYS = keysOf<DockerEngineFields>({
  socketPath: true,
  host: true,
  cpus: true,
  memoryBytes: true,
  init: true,
  noNewPrivileges: true,
  pull: true,
  create: true,
});

/** The keys of a remote transport's `oauth` object. */
export const OAUTH_KEYS = keysOf<OAuthOptions>({ resource: true, refreshScope: true, signIn: true });

/** Options of {@link unknownKey}. */
export interface UnknownKeyOptions {
  /**
   * Objects one level down whose keys are also suggested, as `parent.key`: `maxAttempts`
   * written at the top means `reconnect.maxAttempts`. Default: none.
   */
  nested?: Readonly<Record<string, readonly string[]>>;
  /** Whether to list the known keys when nothing is close. Default true; off for long lists. */
  list?: boolean;
}

/**
 * What to say about a key that is not in `known`: `unknown key; did you mean "initialDelayMs"?`
 * for a near miss, else `unknown key; expected one of …`. The caller puts the key's path in
 * front.
 */
export function unknownKey(key: string, known: readonly string[], options: UnknownKeyOptions = {}): string {
  let near = closest(key, known);
  for (const [parent, keys] of Object.entries(options.nested ?? {})) {
    if (near !== undefined) break;
    const inner = closest(key, keys);
    if (inner !== undefined) near = `${parent}.${inner}`;
  }
  if (near !== undefined) return `unknown key; did you mean ${JSON.stringify(near)}?`;
  return options.list === false ? 'unknown key' : `unknown key; expected one of ${known.join(', ')}`;
}

/**
 * Pushes one problem per key of `value` that is not in `known`, as `where.key: unknown key; …`
 * (`key: …` when `where` is empty). A misspelled key is reported whatever its value: reporting
 * `reconect: undefined` only once it holds an object would let a typo pass every test and fail
 * in production.
 */
export function checkKeys(
  value: object,
  known: readonly string[],
  where: string,
  problems: string[],
  options?: UnknownKeyOptions,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      problems.push(`${where === '' ? key : `${where}.${key}`}: ${unknownKey(key, known, options)}`);
  }
}
