// The Docker benchmark's clients, behind the interface of lib.js drive() (start, send,
// onResponse, onFailure, close), all against bench/echo-server.mjs: in a container for ours, the
// SDK's StdioClientTransport running `docker run -i --rm`, and the two raw baselines; over plain
// stdio for ours-stdio. Ours and the SDK are the stdio benchmark's clients (bench/stdio/clients.js),
// given a Docker configuration or the docker CLI as the command.
//
// `ready(client, setup)` starts a client and waits for its server's first answer (request id
// 0; the driver's ids start at 1), timing both; after it, `client.pid` is the server's node
// process (inside the container for the Docker variants), whose CPU drive() reads.

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { OWNER_LABEL, ownerId } from '../../dist/transports/docker/engine.js';
import { exitOf, livePids } from '../lib/children.js';
import { CLOSE_TIMEOUT_MS, clientFields, request } from '../lib/clients.js';
import { withTimeout } from '../lib/stats.js';
import { oursClient, sdkClient } from '../stdio/clients.js';
import {
  BENCH_LABEL,
  cpuNsOf,
  DOCKER_STARTS,
  dockerRunArgs,
  ECHO_IN_IMAGE,
  enginePids,
  serverPidIn,
} from './setup.js';

/** @import { ChildProcessByStdio } from 'node:child_process' */
/** @import { Readable, Writable } from 'node:stream' */
/** @import { BenchClient, JsonRpc } from '../lib/types.js' */
/** @import { DockerSetup } from './setup.js' */

/** One request as an NDJSON line. */
const line = (/** @type {number} */ id, /** @type {unknown} */ params) =>
  `${JSON.stringify(request(id, params))}\n`;

/**
 * Calls `onMessage` with every JSON line read from `readable`.
 * @param {Readable} readable
 * @param {(message: JsonRpc) => void} onMessage
 */
function readMessages(readable, onMessage) {
  let text = '';
  readable.setEncoding('utf8');
  readable.on('data', (/** @type {string} */ chunk) => {
    text += chunk;
    let newline = text.indexOf('\n');
    if (newline === -1) return;
    let start = 0;
    while (newline !== -1) {
      if (newline > start) onMessage(JSON.parse(text.slice(start, newline)));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    text = text.slice(start);
  });
}

/**
 * Raw: `docker run -i --rm` as a child process, JSON lines on its stdin and stdout.
 * @param {DockerSetup} setup
 * @returns {BenchClient}
 */
function rawCliClient(setup) {
  /** @type {ChildProcessByStdio<Writable, Readable, null> | undefined} */
  let child;
  /** @type {BenchClient} */
  const client = {
    ...clientFields('raw', undefined),
    async start() {
      const started = spawn('docker', dockerRunArgs(setup), {
        env: { ...process.env, DOCKER_HOST: setup.engine.dockerHost },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      child = started;
      started.stdin.on('error', (error) => client.errors.push(error.message));
      readMessages(started.stdout, (message) => client.onResponse?.(Number(message.id), message));
      await new Promise((resolve, reject) => {
        started.once('spawn', resolve);
        started.once('error', reject);
      });
      if (started.pid !== undefined) livePids.add(started.pid);
      client.cliPid = started.pid;
    },
    send(id, params) {
      child?.stdin.write(line(id, params));
    },
    async close() {
      if (child === undefined) return;
      const exited = exitOf(child);
      child.stdin.end();
      try {
        await withTimeout(exited, CLOSE_TIMEOUT_MS, 'raw: exit');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      if (child.pid !== undefined) livePids.delete(child.pid);
    },
  };
  return client;
}

/**
 * Raw: what the engine API itself offers, with no policy around it: create (stdin open and
 * closed after the first attach ends, as `docker run -i`), attach (one hijacked stream), start;
 * stdout demultiplexed by dockerode, JSON lines. Close: end stdin, wait for the exit, remove.
 */
/**
 * @param {DockerSetup} setup
 * @returns {BenchClient}
 */
function rawAttachClient(setup) {
  const docker = setup.engine.docker;
  /** @type {import('dockerode').Container | undefined} */
  let container;
  /** @type {NodeJS.ReadWriteStream | undefined} */
  let stream;
  /** @type {Record<string, number>} */
  const steps = {};
  /** @type {BenchClient} */
  const client = {
    ...clientFields('raw-attach', undefined),
    /** How long each engine call of the last start took (ms). */
    steps,
    async start() {
      let t = performance.now();
      const lap = (/** @type {string} */ name) => {
        const now = performance.now();
        steps[name] = now - t;
        t = now;
      };
      const created = await docker.createContainer({
        Image: setup.image,
        Cmd: [setup.node, ECHO_IN_IMAGE],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Labels: { [BENCH_LABEL]: String(process.pid) },
        HostConfig: { NetworkMode: 'none' },
      });
      container = created;
      lap('create');
      const attached = await created.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      });
      stream = attached;
      lap('attach');
      const stdout = new PassThrough();
      docker.modem.demuxStream(attached, stdout, process.stderr);
      readMessages(stdout, (message) => client.onResponse?.(Number(message.id), message));
      attached.on('error', (/** @type {Error} */ error) => client.errors.push(error.message));
      await created.start();
      lap('start');
    },
    send(id, params) {
      stream?.write(line(id, params));
    },
    async close() {
      if (container === undefined) return;
      const started = container;
      const exited = started.wait();
      stream?.end();
      await withTimeout(exited, CLOSE_TIMEOUT_MS, 'raw-attach: container exit').catch(() => started.kill());
      await started.remove({ force: true });
    },
  };
  return client;
}

/** Ours on a Docker configuration: the echo server in the image, no network, never pulled. */
const oursDocker = (/** @type {DockerSetup} */ setup) =>
  oursClient({
    // oursClient's stdio `command` is not an option of a Docker link.
    command: undefined,
    type: 'docker',
    image: setup.image,
    args: [setup.node, ECHO_IN_IMAGE],
    network: 'none',
    docker: { socketPath: setup.engine.socketPath, pull: 'never' },
  });

/**
 * The SDK's StdioClientTransport as an `mcpServers` entry runs a Docker server.
 * @param {DockerSetup} setup
 */
function sdkDocker(setup) {
  const client = sdkClient({
    command: 'docker',
    args: dockerRunArgs(setup),
    env: { DOCKER_HOST: setup.engine.dockerHost },
  });
  const start = client.start;
  client.start = async () => {
    await start();
    // transportClient took the CLI's pid as the server's; the server is in the container.
    client.cliPid = client.pid;
  };
  const close = client.close;
  client.close = () => {
    client.pid = client.cliPid;
    return close();
  };
  return client;
}

/** @type {Record<string, (setup: DockerSetup) => BenchClient>} */
export const DOCKER_FACTORIES = {
  ours: oursDocker,
  sdk: sdkDocker,
  raw: rawCliClient,
  'raw-attach': rawAttachClient,
  'ours-stdio': () => oursClient(),
};

/** The label that finds a variant's running container. */
const labelOf = (/** @type {string} */ variant) =>
  variant === 'ours' ? `${OWNER_LABEL}=${ownerId()}` : `${BENCH_LABEL}=${process.pid}`;

/**
 * Starts `client` (of `variant`) and waits for the answer to one request; sets `client.timings`
 * (`openMs`: start() resolved, `answerMs`: the answer arrived, both from the call to start()),
 * `client.pid` (the server's node process), and, for the Docker variants, starts metering the
 * CPU of the engine's processes and of the docker CLI (`client.dockerCpu()` reads it). `open`
 * is the client's own start (for a caller that made `client.start` this function).
 */
/**
 * @param {BenchClient} client
 * @param {string} variant
 * @param {DockerSetup} setup
 * @param {unknown} params
 * @param {() => Promise<void>} [open]
 */
export async function ready(client, variant, setup, params, open = client.start) {
  const began = performance.now();
  await withTimeout(open(), DOCKER_STARTS.timeoutMs, `${variant}: start`);
  const openMs = performance.now() - began;
  /** @type {Promise<void>} */
  const answered = new Promise((resolve) => {
    client.onResponse = () => resolve();
  });
  client.send(0, params);
  await withTimeout(answered, DOCKER_STARTS.timeoutMs, `${variant}: first answer`);
  client.onResponse = undefined;
  client.timings = { openMs, answerMs: performance.now() - began };
  if (variant === 'ours-stdio') return;
  client.pid = await serverPidIn(setup.engine.docker, labelOf(variant));
  const engine = enginePids(setup.engine);
  const cli = client.cliPid === undefined ? [] : [client.cliPid];
  const from = { engine: cpuNsOf(engine), cli: cpuNsOf(cli) };
  client.dockerCpu = () => ({ engineNs: cpuNsOf(engine) - from.engine, cliNs: cpuNsOf(cli) - from.cli });
}

/**
 * For the end of the run: containers of this process still on the engine, any state.
 * @param {DockerSetup} setup
 */
export async function containersLeft(setup) {
  const list = (/** @type {string} */ label) =>
    setup.engine.docker.listContainers({ all: true, filters: { label: [label] } });
  const [ours, others] = await Promise.all([
    list(`${OWNER_LABEL}=${ownerId()}`),
    list(`${BENCH_LABEL}=${process.pid}`),
  ]);
  return ours.length + others.length;
}
