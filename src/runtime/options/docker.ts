/**
 * The Docker transport's configuration (`image`, `args`, `env`, `volumes`, `ports`, `network`,
 * `docker`) and its checks. Lifting `docker run -i …` entries into it: docker-run.ts.
 */

import { checkKeys, DOCKER_ENGINE_KEYS } from './keys.js';
import type { DockerConfigFields, DockerEngineFields, ResolvedDocker } from './types.js';

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
