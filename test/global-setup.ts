// Once per `npm test` run, in vitest's main process: the Docker test engines this run started are stopped
// when it ends. Test workers start a private dockerd on first use (test/docker/engine.ts) and leave it
// detached, so that every file and worker shares one; nothing in a worker knows when the run is over. The
// run gets an id in LIFELINE_TEST_RUN, which the workers inherit and write beside the engine they start,
// so that two runs at once never stop each other's engine. An engine already running when the run began
// (left by a run that was killed, or kept with LIFELINE_KEEP_DOCKERD=1) is reused, said so, and left.

import { randomUUID } from 'node:crypto';
import { runningPrivateEngines, stopPrivateEngine, TEST_RUN_ENV } from './docker/engine.js';

export function setup(): void {
  const run = randomUUID();
  process.env[TEST_RUN_ENV] = run;
  for (const { dir, pid } of runningPrivateEngines()) {
    console.warn(
      `Reusing the Docker test engine already running in ${dir} (pid ${pid}); this run leaves it running. ` +
        `Stop it with: kill ${pid}`,
    );
  }
}

export async function teardown(): Promise<void> {
  const run = process.env[TEST_RUN_ENV];
  if (run === undefined || process.env.LIFELINE_KEEP_DOCKERD === '1') return;
  const started = runningPrivateEngines().filter((engine) => engine.startedByRun === run);
  await Promise.all(
    started.map(async ({ dir, pid }) => {
      console.log(`Stopping the Docker test engine this run started in ${dir} (pid ${pid})`);
      await stopPrivateEngine(dir);
    }),
  );
}
