// Docker for the tests that need it, and only for them (no globalSetup: a run without Docker tests pays
// nothing). Importing this module costs a few pings to learn whether an engine is or can be there;
// `describeDocker` is `describe` then, else `describe.skip` with a visible notice (an error instead when
// CI=true or LIFELINE_REQUIRE_DOCKER=1). `dockerSuite()` starts the engine and imports the test image on
// first use, once per worker:
//
//   describeDocker('the Docker transport', () => {
//     let suite: DockerSuite;
//     beforeAll(async () => { suite = await dockerSuite(); }, DOCKER_SETUP_TIMEOUT_MS);
//     it('...', async () => { ... suite.engine.docker ... suite.image ... });
//   });

import type Dockerode from 'dockerode';
import { describe, type SuiteAPI } from 'vitest';
import type { DockerConfig } from '../../src/index.js';
import { OWNER_LABEL } from '../../src/transports/docker/engine.js';
import {
  type DockerEngine,
  dockerRequired,
  type EngineOptions,
  ensureDockerEngine,
  planDockerEngine,
} from './engine.js';
import { ensureTestImage } from './image.js';

export { type DockerEngine, type EngineOptions, engineDir } from './engine.js';
export { ensureTestImage, IMAGE_CMD, IMAGE_NODE, IMAGE_SERVER, type TestImageOptions } from './image.js';

export interface DockerSuite {
  engine: DockerEngine;
  /** The test image's tag, `lifeline-test-server:<hash>`; its CMD runs test/fixtures/stdio-server.mjs. */
  image: string;
}

/** For beforeAll: starting an engine and importing the image the first time (a few seconds here). */
export const DOCKER_SETUP_TIMEOUT_MS = 300_000;

const plan = await planDockerEngine();

/** Why the Docker tests are skipped in this process; undefined when they run. */
export const dockerSkipReason: string | undefined = plan.kind === 'none' ? plan.reason : undefined;

if (dockerSkipReason !== undefined) {
  if (dockerRequired())
    throw new Error(`Docker tests must run here (CI), but there is no engine: ${dockerSkipReason}`);
  console.warn(`Docker tests skipped: ${dockerSkipReason}`);
}

/** `describe` when Docker is available, skipped otherwise (with the notice above). */
export const describeDocker: ReturnType<SuiteAPI['skipIf']> = describe.skipIf(dockerSkipReason !== undefined);

const suites = new Map<string, Promise<DockerSuite>>();

/**
 * The engine (started if need be) and the test image in it, once per worker and instance. The default
 * instance is shared by every Docker test; pass `{ instance: 'name' }` for a private daemon of your own
 * (for restart tests: restarting the shared one would break other files running at the same time).
 */
export function dockerSuite(options: EngineOptions = {}): Promise<DockerSuite> {
  const key = options.instance ?? 'shared';
  let suite = suites.get(key);
  if (suite === undefined) {
    suite = (async () => {
      const engine = await ensureDockerEngine(options);
      if ('skipped' in engine) throw new Error(`Docker is not available: ${engine.skipped}`);
      return { engine, image: await ensureTestImage(engine.docker) };
    })();
    // A failed start may be retried by the next caller.
    suite.catch(() => suites.delete(key));
    suites.set(key, suite);
  }
  return suite;
}

/**
 * A Docker transport configuration for the test image on the suite's engine: no network, the image
 * never pulled, fast reconnects, no heartbeat; `extra` overrides (its `docker` merged).
 */
export function dockerConfig(suite: DockerSuite, extra: Partial<DockerConfig> = {}): DockerConfig {
  return {
    type: 'docker',
    image: suite.image,
    network: 'none',
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    heartbeat: { intervalMs: 0 },
    ...extra,
    docker: { socketPath: suite.engine.socketPath, pull: 'never', ...extra.docker },
  } as DockerConfig;
}

/** The containers of mcp-lifeline on the suite's engine (any state). */
export function ourContainers(suite: DockerSuite): Promise<Dockerode.ContainerInfo[]> {
  return suite.engine.docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
}
