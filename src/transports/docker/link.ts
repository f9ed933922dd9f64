/**
 * The Docker link: one container per link, owned for its whole life. The image is made
 * present, the container created (stdin open, no TTY, hardened, labelled ours), attached
 * (one hijacked stream, demultiplexed: stdout through the NDJSON codec, stderr as
 * diagnostics), then started. Its exit is a `link.down`. Close ends its stdin and gives it
 * `closeMs` to exit on its own, then stops it (SIGTERM, SIGKILL after `closeMs`) and removes
 * it; a link stopped any other way (a failure, a connect timeout, mid-start) removes its
 * container too, and the next close waits until every container of the connection is gone.
 */

import type { Duplex } from 'node:stream';
import { fromCallback } from 'xstate';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkCloseEvent, LinkSink, ReleasingLinkLogic } from '../../link/contract.js';
import { faultRule } from '../failures/table.js';
import { LinkLife } from '../life.js';
import { createLineSplitter } from '../lines.js';
import { createStdinWriter, createStdoutDecoder } from '../pipe.js';
import type { DockerContainer, DockerCreateBody } from './client.js';
import { createDemuxer } from './demux.js';
import { CONNECTION_LABEL, type EngineAddress, engineFor, OWNER_LABEL, ownerId } from './engine.js';

/** Options of the Docker link (the resolved `docker` part of the configuration). */
export interface DockerLinkOptions {
  image: string;
  args: readonly string[] | undefined;
  env: Readonly<Record<string, string>>;
  volumes: readonly string[];
  ports: readonly { host: string; container: string }[];
  network: string | undefined;
  stderr: 'diagnostics' | 'ignore';
  engine: EngineAddress;
  cpus: number | undefined;
  memoryBytes: number | undefined;
  init: boolean;
  noNewPrivileges: boolean;
  pull: 'missing' | 'never';
  create: Readonly<Record<string, unknown>>;
  maxMessageBytes: number;
  /** The connection's name, for the label. */
  name: string;
  /** The timers of the close's grace period (a simulated clock in tests). Default: real time. */
  clock?: LinkClock | undefined;
}

/** Timers, as XState's clock has them. */
export interface LinkClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const realClock: LinkClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** How long a broken attach stream waits for the container's exit code to report instead. */
const EXIT_GRACE_MS = 500;

/** The body of the engine's container-create request. */
export function createBody(options: DockerLinkOptions, connection: string): DockerCreateBody {
  const { HostConfig: extraHost = {}, ...extra } = options.create as { HostConfig?: Record<string, unknown> };
  const hostConfig: Record<string, unknown> = {
    Init: options.init,
    SecurityOpt: options.noNewPrivileges ? ['no-new-privileges'] : [],
    Binds: [...options.volumes],
    AutoRemove: false,
  };
  if (options.network !== undefined) hostConfig.NetworkMode = options.network;
  if (options.cpus !== undefined) hostConfig.NanoCpus = Math.round(options.cpus * 1e9);
  if (options.memoryBytes !== undefined) hostConfig.Memory = options.memoryBytes;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const { host, container } of options.ports) {
    const colon = host.lastIndexOf(':');
    const hostPort = host.slice(colon + 1);
    bindings[`${container}/tcp`] = [
      colon < 0 ? { HostPort: hostPort } : { HostIp: host.slice(0, colon), HostPort: hostPort },
    ];
    exposed[`${container}/tcp`] = {};
  }
  if (options.ports.length > 0) hostConfig.PortBindings = bindings;
  const body: DockerCreateBody = {
    Image: options.image,
    Env: Object.entries(options.env).map(([name, value]) => `${name}=${value}`),
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Labels: { [OWNER_LABEL]: ownerId() ?? `unknown/${process.pid}/0`, [CONNECTION_LABEL]: connection },
    ExposedPorts: exposed,
  };
  if (options.args !== undefined) body.Cmd = [...options.args];
  // The user's labels add to ours, never replace them: the orphan sweep finds containers by them.
  const labels = { ...(extra as { Labels?: Record<string, string> }).Labels, ...body.Labels };
  return { ...body, ...extra, Labels: labels, HostConfig: { ...hostConfig, ...extraHost } };
}

/** Creates the link actor logic for a server in a container. Each start of the actor is one container. */
export function createDockerLink(options: DockerLinkOptions, sink: LinkSink): ReleasingLinkLogic {
  const engine = engineFor(options.engine);
  /** Removals under way, of this connection's containers: a close waits for them. */
  const removals = new Set<Promise<void>>();
  /** Containers whose removal met an unreachable engine: removed again once it answers. */
  const unremoved = new Set<DockerContainer>();
  const remove = (container: DockerContainer): Promise<void> => {
    unremoved.delete(container);
    const removal = container
      .remove({ force: true })
      .catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode === 404) return;
        const failure = engine.error(error, `Removing container ${container.id.slice(0, 12)}`);
        if (failure.code === ErrorCode.DockerEngine && failure.retryable) unremoved.add(container);
        sink.diagnostic({ source: 'docker', level: 'warn', message: failure.message, error: failure });
      })
      .finally(() => removals.delete(removal));
    removals.add(removal);
    return removal;
  };
  const removeLeftovers = (): void => {
    for (const container of [...unremoved]) void remove(container);
  };
  let links = 0;
  const clock = options.clock ?? realClock;

  const logic = fromCallback<LinkCloseEvent, { attempt: number }>(({ sendBack, receive }) => {
    const life = new LinkLife(sendBack);
    const report = (diagnostic: Parameters<LinkSink['diagnostic']>[0]): void => sink.diagnostic(diagnostic);
    let container: DockerContainer | undefined;
    let stream: Duplex | undefined;
    let exitTimer: NodeJS.Timeout | undefined;
    /** Resolves true once the container exits (false when the engine cannot say). */
    let exit: Promise<boolean> | undefined;
    links += 1;
    const connection = `${options.name}#${links}`;

    const down = (error: LinkError): void => {
      clearTimeout(exitTimer);
      life.down(error);
    };

    const attached = (attach: Duplex, created: DockerContainer): void => {
      stream = attach;
      const decoder = createStdoutDecoder(sink, options.maxMessageBytes, 'stdout');
      const stderrLines =
        options.stderr === 'diagnostics'
          ? createLineSplitter((line) => sink.diagnostic({ source: 'stderr', level: 'debug', message: line }))
          : undefined;
      attach.on(
        'data',
        createDemuxer({
          stdout: (chunk) => {
            sink.activity();
            decoder.feed(chunk);
          },
          stderr: (chunk) => stderrLines?.(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
          invalid: (type) =>
            report({
              source: 'docker',
              level: 'warn',
              message: `The attach stream of ${created.id.slice(0, 12)} carries an unknown stream type ${type}; the rest of it is ignored`,
            }),
        }),
      );
      attach.on('error', () => {});
      // The stream ends when the container does: its exit code, from `wait`, tells more.
      attach.on('close', () => {
        exitTimer ??= setTimeout(
          () =>
            down(
              new LinkError(ErrorCode.ProcessExit, `The container's attach stream closed`, {
                retryable: faultRule('docker', 'attach stream closed').retryable,
              }),
            ),
          EXIT_GRACE_MS,
        );
      });
    };

    const start = async (): Promise<void> => {
      await engine.sweep(report);
      await engine.ensureImage(options.image, options.pull, report);
      // The engine answers again: what it could not remove before goes now.
      removeLeftovers();
      if (!life.live) return;
      const docker = await engine.client();
      const created = await docker.createContainer(createBody(options, connection));
      container = created;
      if (!life.live) return;
      const attach = (await created.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })) as Duplex;
      attached(attach, created);
      const exited = created.wait({ condition: 'next-exit' });
      exit = exited.then(
        () => true,
        () => false,
      );
      await created.start();
      void exited.then(
        (result: { StatusCode?: number }) =>
          down(
            new LinkError(
              ErrorCode.ProcessExit,
              `The container exited with code ${result.StatusCode ?? 'unknown'}`,
              { retryable: faultRule('docker', 'container exit').retryable },
            ),
          ),
        (error: unknown) => down(engine.error(error, 'Waiting for the container')),
      );
      if (!life.live) return;
      const writer = createStdinWriter(attach, () =>
        life.live
          ? undefined
          : new LinkError(ErrorCode.Write, 'The container is not accepting input', { retryable: true }),
      );
      sendBack({ type: 'link.up', link: { send: writer.send } });
    };

    const started = start().catch((error: unknown) =>
      down(engine.error(error, `Starting a container of ${options.image}`)),
    );

    receive((event) => {
      if (event.type !== 'link.close' || life.closing) return;
      life.closing = true;
      void (async () => {
        await started;
        stream?.end();
        if (container !== undefined) {
          // As stdio's close: a server that exits when its stdin ends is given `closeMs` to do so
          // cleanly; only one still running after that is stopped (SIGTERM, SIGKILL after `t`).
          const clean = exit !== undefined && (await within(exit, event.closeMs, clock));
          if (!clean)
            await container.stop({ t: Math.max(1, Math.ceil(event.closeMs / 1000)) }).catch(() => undefined);
          await remove(container);
        }
        await Promise.all(removals);
        if (!life.finished) {
          life.finished = true;
          sendBack({ type: 'link.closed' });
        }
      })();
    });

    return () => {
      life.finished = true;
      clearTimeout(exitTimer);
      stream?.destroy();
      // Stopped mid-start: the container may not exist yet; remove it once it does.
      void started.then(() => {
        if (container !== undefined) void remove(container);
      });
    };
  });
  return Object.assign(logic, {
    /** Every container this connection created is removed (or its removal failed and was reported). */
    released: async (): Promise<void> => {
      removeLeftovers();
      while (removals.size > 0) await Promise.all(removals);
    },
  });
}

/** Whether `done` resolves true within `ms` of `clock`. */
function within(done: Promise<boolean>, ms: number, clock: LinkClock): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), ms);
    void done.then((value) => {
      clock.clearTimeout(timer);
      resolve(value);
    });
  });
}
