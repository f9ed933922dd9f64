/**
 * The Docker Engine API client, as far as the Docker link uses it. The client is dockerode, an
 * optional peer dependency: it is imported when the first Docker link starts, so a program that
 * never runs a container installs none of its build chain (`ssh2`, `cpu-features`, gRPC). The
 * types here are the part of dockerode we call, written out so that our declarations never name
 * the package.
 */

import { createRequire } from 'node:module';
import { ErrorCode, LinkError } from '../../errors.js';

/** A container summary, as listed. */
export interface DockerContainerInfo {
  Id: string;
  Image: string;
  Labels?: Record<string, string>;
}

/** The body of the engine's container-create request (`POST /containers/create`). */
export interface DockerCreateBody {
  Image: string;
  Cmd?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  HostConfig?: Record<string, unknown>;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  [field: string]: unknown;
}

/** One container. */
export interface DockerContainer {
  readonly id: string;
  attach(options: {
    stream: boolean;
    stdin: boolean;
    stdout: boolean;
    stderr: boolean;
    hijack: boolean;
  }): Promise<NodeJS.ReadWriteStream>;
  // What start, stop and remove resolve with is not used.
  start(): Promise<void>;
  wait(options: { condition: 'next-exit' }): Promise<{ StatusCode?: number }>;
  stop(options: { t: number }): Promise<void>;
  remove(options: { force: boolean }): Promise<void>;
}

/** A pull's progress event. */
export interface DockerProgressEvent {
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
}

/** The client of one engine. */
export interface DockerClient {
  listContainers(options: { all: boolean; filters: { label: string[] } }): Promise<DockerContainerInfo[]>;
  getContainer(id: string): DockerContainer;
  getImage(name: string): { inspect(): Promise<unknown> };
  pull(image: string): Promise<NodeJS.ReadableStream>;
  createContainer(body: DockerCreateBody): Promise<DockerContainer>;
  modem: {
    followProgress(
      stream: NodeJS.ReadableStream,
      onFinished: (error: unknown) => void,
      onProgress: (event: DockerProgressEvent) => void,
    ): void;
  };
}

/** Where the client connects: a unix socket, or a TCP host and port. */
export type DockerTarget = { socketPath: string } | { host: string; port: number };

/** The package to install for the Docker transport, as the error names it. */
const PACKAGE = 'dockerode';

/**
 * True when dockerode can be loaded from here. A `docker run -i` entry is lifted into a managed
 * container only then; without it the entry keeps running the docker CLI, as it always did.
 */
export function isDockerClientInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(PACKAGE);
    return true;
  } catch {
    return false;
  }
}

let loading: Promise<(target: DockerTarget) => DockerClient> | undefined;

/**
 * A client for an engine, dockerode imported on first use. Rejects with a permanent
 * `LIFELINE_ERR_DOCKER_MISSING` link error, naming the command to run, when it is not installed.
 */
export async function connectDocker(target: DockerTarget): Promise<DockerClient> {
  loading ??= import('dockerode').then(
    ({ default: Dockerode }) =>
      (where: DockerTarget): DockerClient =>
        new Dockerode('socketPath' in where ? where : { ...where, protocol: 'http' }),
    (error: unknown) => {
      loading = undefined;
      throw missingError(error);
    },
  );
  return (await loading)(target);
}

function missingError(cause: unknown): unknown {
  const { code, message } = cause as { code?: unknown; message?: unknown };
  // Only dockerode itself missing: a broken install of one of its own dependencies is reported as it is.
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string' || !message.includes(`'${PACKAGE}'`))
    return cause;
  return new LinkError(
    ErrorCode.DockerMissing,
    `The Docker transport needs the ${PACKAGE} package, which is not installed: run \`npm install ${PACKAGE}\` in your project (\`npm install -g ${PACKAGE}\` for a global mcp-lifeline)`,
    { cause, retryable: false },
  );
}
