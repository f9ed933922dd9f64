/**
 * The Docker Engine as the Docker link sees it: one client per engine address, the errors its
 * API gives turned into typed link errors, the image made present (pulled with progress when a
 * registry is reachable), and containers marked ours by labels so that those of a process that
 * died (SIGKILL, a crash) are swept at the next link start (again once an interval has passed:
 * sweep.ts).
 */

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import pRetry, { AbortError } from 'p-retry';
import { ErrorCode, LinkError } from '../../errors.js';
import type { Diagnostic } from '../../link/contract.js';
import { engineFault, waitsForNextLink } from '../failures/table.js';
import { connectDocker, type DockerClient, type DockerProgressEvent, type DockerTarget } from './client.js';
import { isOrphanOf, SweepSchedule } from './sweep.js';

/** The label every container of ours carries: `<host>/<pid>/<process start>`. */
export const OWNER_LABEL = 'io.mcp-lifeline.owner';
/** The connection a container serves: its name and the link's number. */
export const CONNECTION_LABEL = 'io.mcp-lifeline.connection';

/** How to reach the engine: a unix socket, or `tcp://host:port` (default `DOCKER_HOST`). */
export interface EngineAddress {
  socketPath?: string;
  host?: string;
}

const clients = new Map<string, Engine>();

/** Where an address points now: `host` (tcp), else `socketPath`, else `DOCKER_HOST`, else the default socket. */
function target(address: EngineAddress): DockerTarget {
  const host = address.host ?? (address.socketPath === undefined ? process.env.DOCKER_HOST : undefined);
  if (host !== undefined && !host.startsWith('unix://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return { socketPath: address.socketPath ?? host?.slice('unix://'.length) ?? '/var/run/docker.sock' };
}

/** The client for an engine, shared by every link of the process that reaches the same one. */
export function engineFor(address: EngineAddress): Engine {
  const where = target(address);
  const key = 'socketPath' in where ? where.socketPath : `${where.host}:${where.port}`;
  let engine = clients.get(key);
  if (engine === undefined) {
    engine = new Engine(where, key);
    clients.set(key, engine);
  }
  return engine;
}

/** This process, as the owner label names it: a pid alone could be reused after a reboot. */
export function ownerId(pid = process.pid): string | undefined {
  const start = processStart(pid);
  return start === undefined ? undefined : `${hostname()}/${pid}/${start}`;
}

/** The start time of a process in clock ticks since boot (Linux), or `0` where /proc is absent. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command, which sits in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && process.platform === 'linux') return undefined;
    try {
      process.kill(pid, 0);
      return '0';
    } catch {
      return undefined;
    }
  }
}

export class Engine {
  readonly #target: DockerTarget;
  readonly #where: string;
  #client: Promise<DockerClient> | undefined;
  readonly #sweeps = new SweepSchedule();

  constructor(where: DockerTarget, name: string) {
    this.#target = where;
    this.#where = name;
  }

  /**
   * The API client, made at the first call: dockerode is loaded only when a Docker link starts.
   * Rejects with `LIFELINE_ERR_DOCKER_MISSING` when dockerode is not installed.
   */
  client(): Promise<DockerClient> {
    this.#client ??= connectDocker(this.#target).catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    return this.#client;
  }

  /** Where the engine is, for messages. */
  get where(): string {
    return this.#where;
  }

  /** The typed error for a failed engine call. */
  error(cause: unknown, what: string): LinkError {
    return engineError(cause, what, this.#where);
  }

  /**
   * Removes the containers of ours whose owning process is gone: at the first link start, then
   * at a link start once the sweep interval has passed (sweep.ts), so what a sibling process
   * leaves later is swept too. A failure is reported, never fatal: the sweep is housekeeping
   * (the next link start tries again).
   */
  sweep(report: (diagnostic: Diagnostic) => void): Promise<void> {
    return this.#sweeps
      .due(() => this.#sweep(report))
      .catch((error: unknown) => {
        report({
          source: 'docker',
          level: 'warn',
          message: `Orphan sweep failed: ${(error as Error).message}`,
        });
      });
  }

  async #sweep(report: (diagnostic: Diagnostic) => void): Promise<void> {
    const docker = await this.client();
    const containers = await docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
    for (const info of containers) {
      const owner = info.Labels?.[OWNER_LABEL] ?? '';
      if (!isOrphanOf(owner, ownerId)) continue;
      const pid = Number(owner.split('/')[1]);
      await docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined);
      report({
        source: 'docker',
        level: 'info',
        message: `Removed orphaned container ${info.Id.slice(0, 12)} (${info.Image}) of process ${pid}, which is gone`,
      });
    }
  }

  /**
   * Makes the image present: inspected locally, pulled when missing (`pull: 'missing'`). A
   * pull reports its progress; transient registry failures are retried.
   */
  async ensureImage(
    image: string,
    pull: 'missing' | 'never',
    report: (diagnostic: Diagnostic) => void,
  ): Promise<void> {
    const docker = await this.client();
    try {
      await docker.getImage(image).inspect();
      return;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404)
        throw this.error(error, `Inspecting image ${image}`);
    }
    if (pull === 'never')
      throw imageError(`Image ${image} is not present on the engine, and docker.pull is "never"`);
    await pRetry(() => this.#pull(docker, image, report), {
      retries: 2,
      minTimeout: 500,
      onFailedAttempt: ({ error, attemptNumber }) =>
        report({
          source: 'docker',
          level: 'warn',
          message: `Pull of ${image} failed (attempt ${attemptNumber}): ${error.message}`,
        }),
    });
  }

  async #pull(docker: DockerClient, image: string, report: (diagnostic: Diagnostic) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(image);
    } catch (error) {
      throw pullFailure(error, image, this.#where);
    }
    let last = '';
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: unknown) => (error ? reject(pullFailure(error, image, this.#where)) : resolve()),
        (event: DockerProgressEvent) => {
          const line = [event.id, event.status, event.progress].filter(Boolean).join(' ');
          if (event.status !== undefined && event.status !== last) {
            last = event.status;
            report({ source: 'docker', level: 'info', message: `Pulling ${image}: ${line}` });
          }
        },
      );
    });
  }
}

/**
 * The typed error of a failed engine call, as the failure table's Docker rows say: the engine
 * not there (transient: it may be restarting; nothing was created), permission denied on its
 * socket (permanent), a 4xx (the engine refused what we asked: permanent) or a 5xx (transient).
 */
function engineError(cause: unknown, what: string, where: string): LinkError {
  if (cause instanceof LinkError) return cause;
  const code = (cause as { code?: unknown }).code;
  const rule = engineFault(cause);
  if (rule !== undefined && rule.fault === `engine ${String(code)}`) {
    const message = rule.retryable
      ? `${what}: the Docker Engine at ${where} is not reachable (${code}); will retry`
      : `${what}: permission denied on the Docker Engine socket ${where}`;
    return new LinkError(ErrorCode.DockerEngine, message, {
      cause,
      retryable: rule.retryable,
      undelivered: waitsForNextLink(rule),
    });
  }
  const status = (cause as { statusCode?: unknown }).statusCode;
  const detail =
    (cause as { json?: { message?: string } }).json?.message ?? (cause as Error).message ?? String(cause);
  return new LinkError(
    ErrorCode.Docker,
    `${what} failed${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${detail}`,
    { cause, retryable: rule?.retryable ?? true },
  );
}

function imageError(message: string, cause?: unknown): LinkError {
  return new LinkError(ErrorCode.DockerImage, message, { cause, retryable: false });
}

/** Registry answers that no retry can change. */
const HOPELESS =
  /no such host|connection refused|network is unreachable|dial tcp|lookup |not found|manifest unknown|denied|unauthorized|invalid reference/i;

function pullFailure(cause: unknown, image: string, where: string): Error {
  const failure = engineError(cause, `Pulling ${image}`, where);
  if (failure.code === ErrorCode.DockerEngine) return new AbortError(failure);
  const detail = failure.message;
  if (HOPELESS.test(detail))
    return new AbortError(
      imageError(
        `Image ${image} is not present on the engine and cannot be pulled (${detail.replace(/^Pulling [^:]+ failed[^:]*: /, '')})`,
        cause,
      ),
    );
  return failure;
}
