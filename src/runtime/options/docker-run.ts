/**
 * Lifting `docker run -i --rm …` into a managed Docker link. Many `mcpServers` entries run a
 * server as `{ "command": "docker", "args": ["run", "-i", "--rm", …, image, …] }`; run that way
 * the container outlives a client that dies (SDK #547). When every flag has a clean meaning in
 * the Docker transport's configuration, the entry becomes a Docker link, which owns the
 * container's whole life. Anything else (a TTY, a name, a flag we do not know) leaves the entry
 * as it is: a plain stdio link running the docker CLI.
 */

import type { DockerConfigFields } from './types.js';

/** What a flag does to the configuration; `value` is its argument when it takes one. */
type Lift = (config: Lifted, value: string) => boolean;

interface Lifted extends Omit<DockerConfigFields, 'docker'> {
  env: Record<string, string>;
  volumes: string[];
  ports: string[];
  docker: NonNullable<DockerConfigFields['docker']> & { create: Record<string, unknown> };
  interactive: boolean;
  /** Where `-e NAME` finds its value: the entry's env, then this process's. */
  source: Readonly<Record<string, string>>;
}

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Flags without an argument. */
const SWITCHES: Readonly<Record<string, (config: Lifted) => boolean>> = {
  '-i': (config) => {
    config.interactive = true;
    return true;
  },
  '--rm': () => true,
  '--init': (config) => {
    config.docker.init = true;
    return true;
  },
};

/** Flags with an argument (`--flag value` or `--flag=value`). */
const OPTIONS: Readonly<Record<string, Lift>> = {
  '-e': (config, value) => {
    const eq = value.indexOf('=');
    if (eq > 0) config.env[value.slice(0, eq)] = value.slice(eq + 1);
    else {
      // As the docker CLI does: a name without a value passes this variable on, if it is set.
      const passed = config.source[value] ?? process.env[value];
      if (passed !== undefined) config.env[value] = passed;
    }
    return true;
  },
  '-v': (config, value) => Boolean(config.volumes.push(value)),
  '-p': (config, value) => Boolean(config.ports.push(value)),
  '--network': (config, value) => {
    config.network = value;
    return true;
  },
  '--cpus': (config, value) => {
    config.docker.cpus = Number(value);
    return Number.isFinite(config.docker.cpus);
  },
  '-m': (config, value) => {
    const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(value);
    if (match === null) return false;
    config.docker.memoryBytes = Math.round(
      Number(match[1]) * (MEMORY_UNITS[(match[2] as string).toLowerCase()] ?? 1),
    );
    return true;
  },
  '--pull': (config, value) => {
    if (value !== 'never' && value !== 'missing') return false;
    config.docker.pull = value;
    return true;
  },
  '--security-opt': (_config, value) => value === 'no-new-privileges' || value === 'no-new-privileges:true',
  '-w': (config, value) => {
    config.docker.create.WorkingDir = value;
    return true;
  },
  '-u': (config, value) => {
    config.docker.create.User = value;
    return true;
  },
  '--entrypoint': (config, value) => {
    config.docker.create.Entrypoint = [value];
    return true;
  },
};

/** Long spellings of the flags above. */
const ALIASES: Readonly<Record<string, string>> = {
  '--interactive': '-i',
  '--env': '-e',
  '--volume': '-v',
  '--publish': '-p',
  '--net': '--network',
  '--memory': '-m',
  '--workdir': '-w',
  '--user': '-u',
};

/**
 * The Docker configuration for `docker run …` arguments, or undefined when they do not lift
 * cleanly (not `run`, no `-i`, a TTY, or any flag outside the table in docs/configuration.md).
 * `env` is the stdio entry's environment: `-e NAME` takes its value from there (or from this
 * process), as the docker CLI would.
 */
export function liftDockerRun(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): DockerConfigFields | undefined {
  if (args[0] !== 'run') return undefined;
  const config: Lifted = {
    type: 'docker',
    image: '',
    env: {},
    source: env,
    volumes: [],
    ports: [],
    interactive: false,
    docker: { create: {} },
  };
  let i = 1;
  for (; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      i += 1;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const raw = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = ALIASES[raw] ?? raw;
    const toggle = SWITCHES[flag];
    if (toggle !== undefined && eq < 0) {
      if (!toggle(config)) return undefined;
      continue;
    }
    const lift = OPTIONS[flag];
    if (lift === undefined) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || !lift(config, value)) return undefined;
  }
  const image = args[i];
  if (!config.interactive || image === undefined) return undefined;
  const { interactive: _interactive, source: _source, ...lifted } = config;
  const rest = args.slice(i + 1);
  const result: DockerConfigFields = { ...lifted, image };
  if (rest.length > 0) result.args = rest;
  return result;
}
