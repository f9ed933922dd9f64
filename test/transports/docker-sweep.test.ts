// Issue 16, point 2: the orphan sweep ran once per process, so a long-lived agent never swept what a
// sibling process left after its own start. Now a link start sweeps again once the interval passed.
// First without Docker, against real sibling processes: who counts as gone (a pid alive, killed,
// reused), and when a sweep is due on an injected clock. Then on a real Docker engine, where one is
// present (the suite is skipped with a printed notice otherwise, and fails under CI=true): a sibling
// process opens a container and is SIGKILLed after this process swept; a link started within the
// interval leaves it (the cost stays bounded), one started after it removes it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import { OWNER_LABEL, ownerId } from '../../src/transports/docker/engine.js';
import {
  configureOrphanSweep,
  isOrphanOf,
  orphanSweepOptions,
  SweepSchedule,
} from '../../src/transports/docker/sweep.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  describeDocker,
  dockerConfig,
  dockerSuite,
  ourContainers,
} from '../docker/index.js';
import { DIST, spawnOwner } from '../docker/owner-process.js';
import { killQuietly } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/raw-client.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) killQuietly(child.pid as number);
});
afterAll(() => configureOrphanSweep({}));

/** A sibling process that lives until it is killed. */
function sibling(): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited };
}

/** Kills a sibling and waits until it is reaped (a zombie still shows in /proc). */
async function kill(process: { child: ChildProcess; exited: Promise<void> }): Promise<void> {
  process.child.kill('SIGKILL');
  await process.exited;
}

describe('who is an orphan', () => {
  it('a container of a live process is not; of one killed, of a reused pid or of nothing, it is', async () => {
    const live = sibling();
    const label = ownerId(live.child.pid as number) as string;
    expect(label).toBe(`${hostname()}/${live.child.pid}/${label.split('/')[2]}`);
    expect(isOrphanOf(label, ownerId)).toBe(false);
    expect(isOrphanOf(ownerId() as string, ownerId)).toBe(false);
    // The same pid with another start time: the pid was reused, the owner is gone.
    expect(isOrphanOf(`${hostname()}/${live.child.pid}/1`, ownerId)).toBe(true);
    expect(isOrphanOf(`${hostname()}/not-a-pid/1`, ownerId)).toBe(true);
    // Another host's containers are not ours to judge.
    expect(isOrphanOf(`elsewhere.example/${live.child.pid}/1`, ownerId)).toBe(false);
    await kill(live);
    expect(isOrphanOf(label, ownerId)).toBe(true);
  });
});

describe('when a sweep is due', () => {
  it('at the first start, then again once the interval passed: what a sibling left later is found', async () => {
    let now = 1_000_000;
    const schedule = new SweepSchedule(() => ({ intervalMs: 60_000, now: () => now }));
    const first = sibling();
    const second = sibling();
    const labels = [first, second].map(({ child }) => ownerId(child.pid as number) as string);
    const found: string[][] = [];
    const sweep = async (): Promise<void> => {
      found.push(labels.filter((label) => isOrphanOf(label, ownerId)));
    };

    await schedule.due(sweep);
    expect(found).toEqual([[]]);
    // A sibling dies after this process swept.
    await kill(first);
    now += 59_999;
    await schedule.due(sweep);
    expect(found).toHaveLength(1); // within the interval: no second listing
    now += 1;
    await schedule.due(sweep);
    expect(found).toEqual([[], [labels[0]]]);

    // Many starts at once share one sweep.
    now += 60_000;
    await kill(second);
    await Promise.all([schedule.due(sweep), schedule.due(sweep), schedule.due(sweep)]);
    expect(found).toEqual([[], [labels[0]], labels]);
  });

  it('a failed sweep is due again at the next start; a clock that went back counts as due', async () => {
    let now = 5_000_000;
    const schedule = new SweepSchedule(() => ({ intervalMs: 60_000, now: () => now }));
    let runs = 0;
    const failing = async (): Promise<void> => {
      runs += 1;
      throw new Error('engine gone');
    };
    await expect(schedule.due(failing)).rejects.toThrow('engine gone');
    const ok = async (): Promise<void> => {
      runs += 1;
    };
    await schedule.due(ok);
    expect(runs).toBe(2);
    now -= 1000;
    await schedule.due(ok);
    expect(runs).toBe(3);
  });

  it('defaults to one sweep a minute on the wall clock; configureOrphanSweep({}) restores that', () => {
    configureOrphanSweep({ intervalMs: 5 });
    expect(orphanSweepOptions().intervalMs).toBe(5);
    configureOrphanSweep({});
    expect(orphanSweepOptions()).toEqual({ intervalMs: 60_000, now: Date.now });
  });
});

describeDocker('the orphan sweep of a long-lived process, on a real Docker engine', () => {
  const transports: LifelineTransport[] = [];
  afterEach(async () => {
    await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
  });

  it(
    'sweeps again at a link start once the interval passed: the container a sibling left after this process swept',
    async () => {
      expect(existsSync(fileURLToPath(DIST)), `${fileURLToPath(DIST)} is missing: run npm run build`).toBe(
        true,
      );
      const suite = await dockerSuite();
      let offset = 0;
      configureOrphanSweep({ intervalMs: 60_000, now: () => Date.now() + offset });
      const log = recordingLogger();
      const open = async (): Promise<LifelineTransport> => {
        const transport = createTransport(dockerConfig(suite, { logger: log.logger }));
        transports.push(transport);
        await transport.start();
        return transport;
      };
      const removed = (id: string): boolean =>
        log.calls.some((call) =>
          call.args.some(
            (arg) =>
              typeof arg === 'string' && arg.includes('Removed orphaned container') && arg.includes(id),
          ),
        );

      // This process has swept (now, or within the last interval).
      offset += 60_001;
      await open();

      // A sibling opens a container and dies without cleaning up.
      const owner = spawnOwner(suite, 'the sibling');
      children.push(owner.child);
      await owner.opened;
      const pid = owner.child.pid as number;
      const left = (await ourContainers(suite)).filter(
        (info) => info.Labels[OWNER_LABEL]?.split('/')[1] === String(pid),
      );
      expect(left).toHaveLength(1);
      const orphan = String(left[0]?.Id).slice(0, 12);
      owner.child.kill('SIGKILL');
      await owner.exited;

      // A link started within the interval lists nothing: the orphan stays for now.
      await open();
      expect((await ourContainers(suite)).map((info) => info.Id.slice(0, 12))).toContain(orphan);
      expect(removed(orphan)).toBe(false);

      // Once the interval has passed, the next link start sweeps it.
      offset += 60_001;
      await open();
      expect((await ourContainers(suite)).map((info) => info.Id.slice(0, 12))).not.toContain(orphan);
      expect(removed(orphan), JSON.stringify(log.calls)).toBe(true);
    },
    DOCKER_SETUP_TIMEOUT_MS,
  );
});
