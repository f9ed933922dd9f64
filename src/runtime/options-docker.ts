/**
 * The Docker transport's configuration (`image`, `args`, `env`, `volumes`, `ports`, `network`,
 * `docker`) and its checks. Lifting `docker run -i …` entries into it: docker-run.ts.
 */

import type { DockerLinkOptions } from '../transports/docker/link.js';
import { checkKeys, DOCKER_ENGINE_KEYS } from './options-keys.js';

/** How to reach the engine, and what to add to the container. */
export interface DockerEngineFields {
  /** The engine's unix socket. Default: `DOCKER_HOST` when set, else `/var/run/docker.sock`. */
  socketPath?: string;
  /** An engine over TCP, e.g. `tcp://10.0.0.2:2375` (default: `DOCKER_HOST`). */
  host?: string;
  /** CPUs the container may use (`--cpus`), e.g. `1.5`. Default: no limit. */
  cpus?: number;
  /** Memory the container may use, in bytes (`--memory`). Default: no limit. */
  memoryBytes?: number;
  /** Run an init process as PID 1 (`--init`): signals reach the server, zombies are reaped. Default true. */
  init?: boolean;
  /** `no-new-privileges` (setuid binaries cannot raise privileges). Default true. */
  noNewPrivileges?: boolean;
  /** Pull a missing image: `missing` (default) or `never`. */
  pull?: 'missing' | 'never';
  /** Extra fields for the engine's container-create body (`HostConfig` merged), applied last. */
  create?: Readonly<Record<string, unknown>>;
}

/** A server in a container, run by the transport (create, attach, start; stop and remove). */
export interface DockerConfigFields {
  type: 'docker';
  /** The image, e.g. `mcp/fetch:latest`. */
  image: string;
  /** The command after the image (the container's `Cmd`). Default: the image's own. */
  args?: readonly string[];
  /** Environment variables. Values are secrets: they go in by environment, never on a command line or in a label. */
  env?: Readonly<Record<string, string>>;
  /** Bind mounts, `host:container` or `host:container:ro`. */
  volumes?: readonly string[];
  /** Published ports, `host:container` (TCP). */
  ports?: readonly string[];
  /** The network (`none`, `host`, a network name). Default: the engine's default. */
  network?: string;
  /** The server's stderr: `diagnostics` (default: each line to the logger at debug) or `ignore`. */
  stderr?: 'diagnostics' | 'ignore';
  docker?: DockerEngineFields;
}

/** The resolved Docker part of a configuration: the Docker link's options but the runtime's own. */
export type ResolvedDocker = Omit<DockerLinkOptions, 'maxMessageBytes' | 'name'>;

const VOLUME = /^[^:]+:\/[^:]*(:(ro|rw))?$/;
const PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(\/tcp)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isObject(value: unknown): value is DockerEngineFields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Checks the Docker fields; pushes one line per problem. */
export function resolveDocker(config: DockerConfigFields, problems: string[]): ResolvedDocker | undefined {
  if (typeof config.image !== 'string' || config.image.trim() === '' || /\s/.test(config.image))
    problems.push('image: expected an image name such as "mcp/fetch:latest"');
  if (config.args !== undefined && !isStrings(config.args))
    problems.push('args: expected an array of strings');
  const env = config.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env)) problems.push('env: expected an object');
  else
    for (const [name, value] of Object.entries(env)) {
      if (!ENV_NAME.test(name)) problems.push(`env.${name}: not a valid variable name`);
      else if (typeof value !== 'string') problems.push(`env.${name}: expected a string`);
    }
  const volumes = config.volumes ?? [];
  if (!isStrings(volumes)) problems.push('volumes: expected an array of "host:container[:ro]" strings');
  else
    for (const volume of volumes)
      if (!VOLUME.test(volume))
        problems.push(`volumes: "${volume}" is not "host:container[:ro]" with an absolute container path`);
  const ports: { host: string; container: string }[] = [];
  if (config.ports !== undefined && !isStrings(config.ports))
    problems.push('ports: expected an array of "host:container" strings');
  else
    for (const port of config.ports ?? []) {
      const match = PORT.exec(port);
      if (match === null) problems.push(`ports: "${port}" is not "host:container" (TCP)`);
      else
        ports.push({
          host: match[1] === undefined ? (match[2] as string) : `${match[1]}:${match[2]}`,
          container: match[3] as string,
        });
    }
  if (config.network !== undefined && (typeof config.network !== 'string' || config.network === ''))
    problems.push('network: expected a network name');
  if (config.stderr !== undefined && config.stderr !== 'diagnostics' && config.stderr !== 'ignore')
    problems.push('stderr: expected diagnostics or ignore');
  const docker = isObject(config.docker) ? config.docker : {};
  if (config.docker !== undefined && !isObject(config.docker)) problems.push('docker: expected an object');
  else checkKeys(docker, DOCKER_ENGINE_KEYS, 'docker', problems);
  if (docker.cpus !== undefined && !(typeof docker.cpus === 'number' && docker.cpus > 0))
    problems.push('docker.cpus: expected a number > 0');
  if (
    docker.memoryBytes !== undefined &&
    !(Number.isInteger(docker.memoryBytes) && docker.memoryBytes >= 6 * 1024 * 1024)
  )
    problems.push('docker.memoryBytes: expected a whole number of bytes >= 6 MiB (the engine minimum)');
  if (docker.pull !== undefined && docker.pull !== 'missing' && docker.pull !== 'never')
    problems.push('docker.pull: expected "missing" or "never"');
  for (const key of ['init', 'noNewPrivileges'] as const)
    if (docker[key] !== undefined && typeof docker[key] !== 'boolean')
      problems.push(`docker.${key}: expected a boolean`);
  if (problems.length > 0) return undefined;
  const engine: { socketPath?: string; host?: string } = {};
  if (docker.socketPath !== undefined) engine.socketPath = docker.socketPath;
  if (docker.host !== undefined) engine.host = docker.host;
  return {
    image: config.image,
    args: config.args,
    env,
    volumes,
    ports,
    network: config.network,
    stderr: config.stderr ?? 'diagnostics',
    engine,
    cpus: docker.cpus,
    memoryBytes: docker.memoryBytes,
    init: docker.init ?? true,
    noNewPrivileges: docker.noNewPrivileges ?? true,
    pull: docker.pull ?? 'missing',
    create: docker.create ?? {},
  };
}
