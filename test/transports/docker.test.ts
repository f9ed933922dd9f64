// The Docker transport on a real Docker Engine (test/docker starts a private dockerd when none
// answers): SDK Clients through a container running test/fixtures/stdio-server.mjs, a container
// killed mid-run, close in every state leaving no container of ours behind, stderr and garbage,
// the lifting of `docker run -i` entries. Nothing is mocked.

import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTransport, type DockerConfig, ErrorCode, type LifelineTransport } from '../../src/index.js';
import { liftDockerRun } from '../../src/runtime/options/docker-run.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  type DockerSuite,
  describeDocker,
  dockerConfig,
  dockerSuite,
  ourContainers,
} from '../docker/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/raw-client.js';

const clientInfo = { name: 'lifeline-docker-test', version: '1.0.0' };
const keep = closeAfterEach();

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

describeDocker('the Docker transport on a real engine', () => {
  let suite: DockerSuite;
  beforeAll(async () => {
    suite = await dockerSuite();
  }, DOCKER_SETUP_TIMEOUT_MS);

  function transportFor(extra: Partial<DockerConfig> = {}): LifelineTransport {
    return keep(createTransport(dockerConfig(suite, extra)));
  }

  async function connect(kind: 'v1' | 'v2', extra: Partial<DockerConfig> = {}) {
    const transport = transportFor(extra);
    const client = keep(
      (kind === 'v1' ? new ClientV1(clientInfo) : new ClientV2(clientInfo)) as unknown as ToolClient,
    );
    await client.connect(transport);
    return { client, transport };
  }

  const ours = () => ourContainers(suite);

  for (const kind of ['v1', 'v2'] as const) {
    it(`${kind} Client: listTools, callTool, 1,000 calls with 64 in flight; close removes the container`, async () => {
      const { client, transport } = await connect(kind);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(['echo', 'sleep']),
      );
      let next = 0;
      const answers: string[] = [];
      const lane = async (): Promise<void> => {
        while (next < 1000) {
          const n = next++;
          answers[n] = textOf(await client.callTool({ name: 'echo', arguments: { message: `m${n}` } }));
        }
      };
      await Promise.all(Array.from({ length: 64 }, lane));
      expect(answers).toEqual(Array.from({ length: 1000 }, (_, n) => `Echo: m${n}`));
      expect(transport.stats).toMatchObject({ links: 1, failed: 0 });
      expect(await ours()).toHaveLength(1);
      await client.close();
      await transport.close();
      expect(await ours()).toEqual([]);
    });
  }

  it('docker kill mid-run: requests in flight fail at once, a new container starts, the session is re-established', async () => {
    const { client, transport } = await connect('v1');
    const [first] = await ours();
    const inFlight = Array.from({ length: 4 }, () =>
      client.callTool({ name: 'sleep', arguments: { ms: 30_000 } }).then(
        () => 'answered',
        (error: { code?: number }) => error.code,
      ),
    );
    await waitFor(() => transport.stats.written >= 6);
    const killedAt = performance.now();
    await suite.engine.docker.getContainer(first?.Id as string).kill();
    expect(await Promise.all(inFlight)).toEqual(Array(4).fill(-32090));
    expect(performance.now() - killedAt).toBeLessThan(3000);
    await waitFor(() => transport.stats.reestablished === 1, { timeoutMs: 15_000 });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe(
      'Echo: after',
    );
    expect(transport.stats.links).toBe(2);
    // The killed container is removed, the new one runs.
    await waitFor(async () => (await ours()).length === 1);
    expect((await ours())[0]?.Id).not.toBe(first?.Id);
  });

  it.each(['idle', 'connecting', 'open', 'reconnecting', 'failed'] as const)(
    'close in %s leaves no container of ours',
    async (state) => {
      const transport = transportFor({
        reconnect: { initialDelayMs: 60_000 },
        ...(state === 'failed' ? { image: 'lifeline-no-such-image:1' } : {}),
      });
      if (state === 'connecting') void transport.start().catch(() => undefined);
      else if (state !== 'idle') await transport.start().catch(() => undefined);
      if (state === 'reconnecting') {
        const [container] = await ours();
        await suite.engine.docker.getContainer(container?.Id as string).kill();
        await waitFor(() => transport.state === 'reconnecting');
      }
      expect(transport.state).toBe(state);
      if (state === 'failed') expect(transport.status.error?.code).toBe(ErrorCode.DockerImage);
      await transport.close();
      expect(transport.state).toBe('idle');
      expect(await ours()).toEqual([]);
    },
  );

  it('stderr lines reach the logger as diagnostics; garbage on stdout is warned about and calls go on', async () => {
    const log = recordingLogger();
    const { client } = await connect('v1', {
      env: { FIXTURE_MODE: 'stderr-chatter,garbage' },
      logger: log.logger,
    });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'x' } }))).toBe('Echo: x');
    await waitFor(() => log.messages('debug').some((line) => line.includes('fixture: got tools/call')));
    expect(
      log.calls
        .filter((call) => call.level === 'warn')
        .map((call) => (call.args[0] as { code?: string }).code),
    ).toEqual(expect.arrayContaining([ErrorCode.Parse, ErrorCode.InvalidEnvelope]));
  });

  it('fails a request whose answer is over limits.maxMessageBytes with -32091 at once; the container and the connection stay', async () => {
    const log = recordingLogger();
    const { client, transport } = await connect('v1', {
      logger: log.logger,
      limits: { maxMessageBytes: 1_000_000 },
    });
    const started = Date.now();
    const error = (await client.callTool({ name: 'big', arguments: { bytes: 2_000_000 } }).then(
      () => undefined,
      (reason: unknown) => reason,
    )) as { code?: number; data?: { code?: string } } | undefined;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error?.code).toBe(-32091);
    expect(error?.data).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expect(log.messages('warn').some((text) => text.includes('exceeds limits.maxMessageBytes'))).toBe(true);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe(
      'Echo: still here',
    );
    expect(transport.state).toBe('open');
    expect(transport.stats.links).toBe(1);
    expect(await ours()).toHaveLength(1);
  });

  it('a `docker run -i --rm` stdio entry is lifted into a managed container', async () => {
    const log = recordingLogger();
    // The lifted link reaches the engine through DOCKER_HOST, as the docker CLI would.
    process.env.DOCKER_HOST = `unix://${suite.engine.socketPath}`;
    const transport = keep(
      createTransport({
        command: 'docker',
        args: ['run', '-i', '--rm', '--network', 'none', '-e', 'FIXTURE_MODE', suite.image],
        env: { FIXTURE_MODE: 'stderr-chatter' },
        logger: log.logger,
        heartbeat: { intervalMs: 0 },
      } as never),
    );
    try {
      const client = keep(new ClientV1(clientInfo));
      await client.connect(transport);
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'lifted' } }))).toBe(
        'Echo: lifted',
      );
      expect(transport.pid).toBeUndefined();
      expect(await ours()).toHaveLength(1);
      await waitFor(() => log.messages('debug').some((line) => line.includes('fixture: got')));
    } finally {
      delete process.env.DOCKER_HOST;
    }
  });
});

describe('liftDockerRun', () => {
  it('lifts the flags that map and keeps the image and its arguments', () => {
    expect(
      liftDockerRun(
        [
          'run',
          '-i',
          '--rm',
          '--init',
          '-e',
          'TOKEN',
          '-e',
          'MODE=fast',
          '-v',
          '/data:/data:ro',
          '-p',
          '8080:80',
          '--network=none',
          '--cpus',
          '1.5',
          '-m',
          '512m',
          '--pull',
          'never',
          '--security-opt',
          'no-new-privileges',
          'mcp/fetch:1',
          '--verbose',
        ],
        { TOKEN: 'secret-value', OTHER: 'not passed' },
      ),
    ).toEqual({
      type: 'docker',
      image: 'mcp/fetch:1',
      args: ['--verbose'],
      env: { TOKEN: 'secret-value', MODE: 'fast' },
      volumes: ['/data:/data:ro'],
      ports: ['8080:80'],
      network: 'none',
      docker: { create: {}, init: true, cpus: 1.5, memoryBytes: 512 * 1024 * 1024, pull: 'never' },
    });
  });

  it.each([
    [['run', '--rm', 'img']],
    [['run', '-it', 'img']],
    [['run', '-i', '-t', 'img']],
    [['run', '-i', '--name', 'x', 'img']],
    [['run', '-i', '--pull', 'always', 'img']],
    [['exec', '-i', 'c']],
    [['run', '-i']],
  ])('leaves %j as a stdio link', (args) => {
    expect(liftDockerRun(args)).toBeUndefined();
  });

  it('an explicit type stdio is never lifted', () => {
    const transport = keep(createTransport({ type: 'stdio', command: 'docker', args: ['run', '-i', 'img'] }));
    expect(transport.pid).toBeUndefined();
    expect('pid' in transport).toBe(true);
  });
});
