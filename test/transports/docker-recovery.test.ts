// The Docker transport recovering on a real engine: containers orphaned by a SIGKILLed owner are swept by
// the next process to start a link, and a restart of the engine itself is a transient outage (the link
// reconnects when the engine answers again, the session is re-established). Each test has a private
// dockerd (`instance`): the sweep runs once per process and engine, and a restart must not hit other files.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { expect, it } from 'vitest';
import { createTransport, type DockerConfig, type LifelineTransport } from '../../src/index.js';
import { OWNER_LABEL, ownerId } from '../../src/transports/docker/engine.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  type DockerSuite,
  describeDocker,
  dockerConfig,
  dockerSuite,
  ourContainers,
} from '../docker/index.js';
import { DIST, spawnOwner } from '../docker/owner-process.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { killQuietly, waitFor } from '../helpers/processes.js';
import { record, recordingLogger } from '../helpers/raw-client.js';

const clientInfo = { name: 'lifeline-docker-recovery-test', version: '1.0.0' };
const keep = closeAfterEach();

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

function transportFor(suite: DockerSuite, extra: Partial<DockerConfig> = {}): LifelineTransport {
  return keep(createTransport(dockerConfig(suite, extra)));
}

const ours = ourContainers;

describeDocker('the Docker transport recovering on a real engine', () => {
  it(
    'the containers of a SIGKILLed process are swept by the next process that starts a link',
    async () => {
      expect(existsSync(fileURLToPath(DIST)), `${fileURLToPath(DIST)} is missing: run npm run build`).toBe(
        true,
      );
      const suite = await dockerSuite({ instance: 'sweep' });
      const owner = spawnOwner(suite);
      try {
        await owner.opened;
        const pid = owner.child.pid as number;
        const before = await ours(suite);
        const orphans = before.filter((info) => info.Labels[OWNER_LABEL]?.split('/')[1] === String(pid));
        expect(orphans).toHaveLength(1);
        const orphan = orphans[0]?.Id as string;
        owner.child.kill('SIGKILL');
        // Reaped: until then /proc still shows the (zombie) owner.
        await owner.exited;
        expect((await ours(suite)).map((info) => info.Id)).toContain(orphan);

        const log = recordingLogger();
        const transport = transportFor(suite, { logger: log.logger });
        await transport.start();
        expect(transport.state).toBe('open');
        const after = await ours(suite);
        expect(after.map((info) => info.Id)).not.toContain(orphan);
        // Only the new container is left (on a private engine; a shared external one may hold others' too).
        const mine = after.filter((info) => info.Labels[OWNER_LABEL] === ownerId());
        expect(mine).toHaveLength(1);
        if (suite.engine.owned) expect(after).toEqual(mine);
        expect(
          log.calls.some(
            (call) =>
              call.level === 'info' &&
              call.args.some(
                (arg) =>
                  typeof arg === 'string' &&
                  arg.includes('Removed orphaned container') &&
                  arg.includes(orphan.slice(0, 12)),
              ),
          ),
          JSON.stringify(log.calls),
        ).toBe(true);
        await transport.close();
        expect((await ours(suite)).map((info) => info.Id)).not.toContain(mine[0]?.Id);
      } finally {
        if (owner.child.exitCode === null && owner.child.signalCode === null)
          killQuietly(owner.child.pid as number);
      }
    },
    DOCKER_SETUP_TIMEOUT_MS,
  );

  it(
    'an engine restart is an outage: reconnecting (never failed), then a new container and the session re-established',
    async (context) => {
      // Its own instance: test/docker/engine.test.ts restarts (and empties) the 'restart' one, maybe meanwhile.
      const suite = await dockerSuite({ instance: 'link-restart' });
      if (!suite.engine.owned) context.skip('an engine the tests did not start cannot be restarted');
      const log = recordingLogger();
      const transport = transportFor(suite, {
        reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
        logger: log.logger,
      });
      const statuses = record(transport);
      const client = keep(new ClientV1(clientInfo));
      await client.connect(transport);
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'before' } }))).toBe(
        'Echo: before',
      );
      const [first] = await ours(suite);

      await suite.engine.restart();
      await waitFor(() => statuses.some((status) => status.state === 'reconnecting'), { timeoutMs: 10_000 });
      await waitFor(() => transport.stats.reestablished >= 1 && transport.state === 'open', {
        timeoutMs: 30_000,
      });
      expect(statuses.map((status) => status.state)).not.toContain('failed');
      expect(transport.stats.failed).toBe(0);
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe(
        'Echo: after',
      );
      const running = (await ours(suite)).filter((info) => info.State === 'running');
      expect(running).toHaveLength(1);
      const current = running[0]?.Id as string;
      expect(current).not.toBe(first?.Id);

      await client.close();
      await transport.close();
      // Nothing is left: not the live container, nor one created while the engine was shutting down
      // whose removal then met an unreachable engine (removed once the engine answered again).
      expect(await ours(suite)).toEqual([]);
    },
    DOCKER_SETUP_TIMEOUT_MS,
  );
});
