// The Docker test infrastructure itself, with dockerode alone (no transport of ours): the engine answers,
// the imported test image runs the stdio fixture, a container attached over a hijacked connection answers
// an MCP initialize, and a private engine restarts and keeps working.

import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engineDir } from './engine.js';
import { ensureTestImage, moduleClosure } from './image.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  type DockerSuite,
  describeDocker,
  dockerSuite,
  IMAGE_CMD,
  IMAGE_NODE,
} from './index.js';

/** Label on every container these tests create, so afterAll finds leftovers. */
const LABEL = 'lifeline-test';

const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'engine-test', version: '0' },
  },
})}\n`;

/** A started container, attached: its demuxed stdout lines and stderr text. */
interface Attached {
  container: Dockerode.Container;
  stream: NodeJS.ReadWriteStream;
  lines: string[];
  stderr: () => string;
  /** Resolves with the next stdout line. */
  nextLine(timeoutMs?: number): Promise<string>;
  /** How the attached stream ended ('end', 'close', or 'error: ...'), once it did. */
  ended: Promise<string>;
  timings: Record<string, number>;
}

interface StartOptions {
  /** The command (default: the image's CMD). */
  cmd?: string[];
  /**
   * StdinOnce (default false). Only with true does the engine close the container's stdin when the attached
   * client half-closes (what `docker run -i` sets); with false the server never sees EOF.
   */
  stdinOnce?: boolean;
  /** HostConfig.Init: docker-init as PID 1, forwarding SIGTERM to node (default false). */
  init?: boolean;
}

async function startAttached(
  docker: Dockerode,
  image: string,
  options: StartOptions = {},
): Promise<Attached> {
  const { cmd, stdinOnce = false, init = false } = options;
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round((now - t) * 10) / 10;
    t = now;
  };
  const container = await docker.createContainer({
    Image: image,
    ...(cmd === undefined ? {} : { Cmd: cmd }),
    OpenStdin: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    StdinOnce: stdinOnce,
    Tty: false,
    Labels: { [LABEL]: '1' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false, Init: init },
  });
  lap('create');
  const stream = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as NodeJS.ReadWriteStream;
  lap('attach');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  let errText = '';
  stderr.on('data', (chunk: Buffer) => {
    errText += chunk.toString('utf8');
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let partial = '';
  stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n')) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(line);
      else lines.push(line);
    }
  });
  const ended = new Promise<string>((resolveEnd) => {
    stream.once('end', () => resolveEnd('end'));
    stream.once('close', () => resolveEnd('close'));
    stream.once('error', (err: Error) => resolveEnd(`error: ${err.message}`));
  });
  await container.start();
  lap('start');
  return {
    container,
    stream,
    lines,
    stderr: () => errText,
    ended,
    timings,
    nextLine(timeoutMs = 10_000) {
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no stdout line within ${timeoutMs}ms; stderr: ${errText}`)),
          timeoutMs,
        );
        waiters.push((line) => {
          clearTimeout(timer);
          resolveLine(line);
        });
      });
    },
  };
}

/** Starts a container, sends initialize, returns the answer and the timings (start → first answer). */
async function initializeRoundTrip(
  docker: Dockerode,
  image: string,
  options: StartOptions = {},
): Promise<{ answer: Record<string, unknown>; timings: Record<string, number>; attached: Attached }> {
  const before = performance.now();
  const attached = await startAttached(docker, image, options);
  const started = performance.now();
  attached.stream.write(INITIALIZE);
  const line = await attached.nextLine();
  const now = performance.now();
  attached.timings.startToAnswer = Math.round((now - started + (attached.timings.start ?? 0)) * 10) / 10;
  attached.timings.total = Math.round((now - before) * 10) / 10;
  return { answer: JSON.parse(line) as Record<string, unknown>, timings: attached.timings, attached };
}

async function killAndRemove(attached: Attached): Promise<Record<string, number>> {
  const t0 = performance.now();
  await attached.container.kill();
  const t1 = performance.now();
  const how = await attached.ended;
  const t2 = performance.now();
  await attached.container.remove();
  const t3 = performance.now();
  expect(how).toMatch(/^(end|close)$/);
  return {
    kill: Math.round(t1 - t0),
    streamEnded: Math.round(t2 - t1),
    remove: Math.round(t3 - t2),
  };
}

async function removeLabelled(docker: Dockerode): Promise<void> {
  const leftovers = await docker.listContainers({ all: true, filters: { label: [LABEL] } });
  await Promise.all(leftovers.map((info) => docker.getContainer(info.Id).remove({ force: true })));
}

it('the image closure follows imports and package dependencies (no Docker needed)', () => {
  const plain = moduleClosure([new URL('../fixtures/stdio-server.mjs', import.meta.url).pathname]);
  expect(plain.packages).toEqual([]);
  expect(plain.files).toHaveLength(1);
  const sdk = moduleClosure([new URL('../fixtures/dual-era-server.mjs', import.meta.url).pathname]);
  const names = sdk.packages.map((dir) => dir.slice(dir.indexOf('/node_modules/') + '/node_modules/'.length));
  expect(names).toEqual(
    expect.arrayContaining(['@modelcontextprotocol/server', '@modelcontextprotocol/core', 'zod']),
  );
  const http = moduleClosure([new URL('../fixtures/http-v2-server.mjs', import.meta.url).pathname]);
  expect(http.files.map((file) => file.split('/').pop())).toEqual(
    expect.arrayContaining(['http-v2-server.mjs', 'http-common.mjs']),
  );
});

describeDocker('Docker test infrastructure (dockerode only)', () => {
  let suite: DockerSuite;

  beforeAll(async () => {
    const t0 = performance.now();
    suite = await dockerSuite();
    console.info(
      `docker: engine ${suite.engine.dockerHost} (owned ${suite.engine.owned}), image ${suite.image}, ` +
        `ready in ${Math.round(performance.now() - t0)} ms`,
    );
  }, DOCKER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (suite !== undefined) await removeLabelled(suite.engine.docker);
  });

  it('a container from the test image answers initialize over a hijacked attach', async () => {
    const docker = suite.engine.docker;
    const { answer, timings, attached } = await initializeRoundTrip(docker, suite.image, {
      cmd: [...IMAGE_CMD],
    });
    expect(answer).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'fixture' } } });
    // Nothing but our line reached the server's stdin (no attach options leaking in as a first line).
    expect(attached.stderr()).not.toMatch(/malformed/);
    expect(attached.stderr()).toMatch(/fixture ready/);
    // The engine reports the kill as a `die` event with the exit code.
    const events = await docker.getEvents({
      filters: { container: [attached.container.id], event: ['die'] },
    });
    const died = new Promise<Record<string, unknown>>((resolveDie) => {
      events.once('data', (chunk: Buffer) =>
        resolveDie(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>),
      );
    });
    const teardown = await killAndRemove(attached);
    const die = await died;
    (events as unknown as { destroy(): void }).destroy();
    expect(die).toMatchObject({ status: 'die', Actor: { Attributes: { exitCode: '137' } } });
    console.info(`docker round trip (ms): ${JSON.stringify({ ...timings, ...teardown })}`);
  });

  it('the image CMD runs the fixture when the container names no command', async () => {
    const { answer, timings, attached } = await initializeRoundTrip(suite.engine.docker, suite.image);
    expect(answer).toMatchObject({ id: 1, result: { protocolVersion: '2025-06-18' } });
    await killAndRemove(attached);
    console.info(`docker round trip, image CMD (ms): ${JSON.stringify(timings)}`);
  });

  it(
    'an image with an SDK-based fixture carries exactly the packages it imports',
    async () => {
      const image = await ensureTestImage(suite.engine.docker, { fixtures: ['dual-era-server.mjs'] });
      expect(image).not.toBe(suite.image);
      const { answer, attached } = await initializeRoundTrip(suite.engine.docker, image, {
        cmd: [IMAGE_NODE, '/app/dual-era-server.mjs'],
      });
      expect(answer).toMatchObject({ id: 1, result: { serverInfo: { name: 'dual-era-fixture' } } });
      await killAndRemove(attached);
    },
    DOCKER_SETUP_TIMEOUT_MS,
  );

  it('with StdinOnce, half-closing the attach ends the fixture and the stream', async () => {
    const attached = await startAttached(suite.engine.docker, suite.image, { stdinOnce: true });
    attached.stream.write(INITIALIZE);
    await attached.nextLine();
    const t0 = performance.now();
    attached.stream.end();
    const result = await attached.container.wait();
    const exitedMs = Math.round(performance.now() - t0);
    expect(result).toMatchObject({ StatusCode: 0 });
    expect(await attached.ended).toMatch(/^(end|close)$/);
    expect(attached.stderr()).toMatch(/stdin ended/);
    await attached.container.remove();
    console.info(`docker: stdin end -> container exit ${exitedMs} ms`);
  });

  it('without StdinOnce, half-closing the attach leaves the fixture running', async () => {
    const attached = await startAttached(suite.engine.docker, suite.image, { stdinOnce: false });
    attached.stream.write(INITIALIZE);
    await attached.nextLine();
    attached.stream.end();
    await new Promise((r) => setTimeout(r, 500));
    const info = await attached.container.inspect();
    expect(info.State.Running).toBe(true);
    expect(attached.stderr()).not.toMatch(/stdin ended/);
    await killAndRemove(attached);
  });

  it('a container stop: node as PID 1 ignores SIGTERM, docker-init (Init) forwards it', async () => {
    const timed = async (init: boolean): Promise<number> => {
      const attached = await startAttached(suite.engine.docker, suite.image, { init });
      attached.stream.write(INITIALIZE);
      await attached.nextLine();
      const t0 = performance.now();
      await attached.container.stop({ t: 2 });
      const ms = Math.round(performance.now() - t0);
      await attached.ended;
      await attached.container.remove();
      return ms;
    };
    const bare = await timed(false);
    const withInit = await timed(true);
    expect(bare).toBeGreaterThanOrEqual(1_900); // waited the full 2 s, then SIGKILL
    expect(withInit).toBeLessThan(1_500);
    console.info(`docker stop -t 2: node as PID 1 ${bare} ms, with Init ${withInit} ms`);
  });

  it('a private engine restarts and runs containers again (images kept, open streams end)', async () => {
    const dedicated = await dockerSuite({ instance: 'restart' });
    if (!dedicated.engine.owned) return; // An engine the tests did not start cannot be restarted.
    expect(dedicated.engine.dir).toBe(engineDir('restart'));
    const docker = dedicated.engine.docker;
    // Init: the engine's shutdown stops containers with SIGTERM; node as PID 1 would ignore it and make the
    // engine wait the container's StopTimeout (10 s by default) before SIGKILL.
    const first = await initializeRoundTrip(docker, dedicated.image, { init: true });
    expect(first.answer).toMatchObject({ id: 1 });
    const t0 = performance.now();
    await dedicated.engine.restart();
    const restartMs = Math.round(performance.now() - t0);
    // The open link is gone with the engine (live-restore is off).
    const how = await first.attached.ended;
    expect(how).toMatch(/^(end|close|error)/);
    const second = await initializeRoundTrip(docker, dedicated.image);
    expect(second.answer).toMatchObject({ id: 1, result: { serverInfo: { name: 'fixture' } } });
    await killAndRemove(second.attached);
    await removeLabelled(docker);
    console.info(
      `docker restart: ${restartMs} ms (open attach: ${how}); first container after restart (ms): ${JSON.stringify(second.timings)}`,
    );
  }, 120_000);
});
