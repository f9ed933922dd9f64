// @ts-check
// The leak check's Docker Engine and image, from the test suite's own helpers (test/docker/engine.ts
// and image.ts, loaded through bench/docker/ts-hooks.js): an engine that answers (DOCKER_HOST,
// /var/run/docker.sock) is used as it is; otherwise, as root with Debian's dockerd, a private
// daemon of the leak check's own (/tmp/lifeline-dockerd-<uid>-leak), stopped again at the end when
// this run started it. The image is the test image (node, its libraries, the stdio fixture).
//
// Containers are counted by the label the Docker transport puts on every container it creates,
// `io.mcp-lifeline.owner=<host>/<pid>/<process start>`: it names this process exactly, so a
// container another process left on a shared engine never counts. (A label of our own cannot be
// added: `docker.create.Labels` replaces the transport's labels rather than adding to them.)

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { register } from 'node:module';
import { hostname } from 'node:os';

/** The private engine's instance name (its folder is /tmp/lifeline-dockerd-<uid>-leak). */
const INSTANCE = 'leak';
/** The label every container of the Docker transport carries (src/transports/docker/engine.ts). */
const OWNER_LABEL = 'io.mcp-lifeline.owner';

/**
 * @typedef {object} LeakDocker
 * @property {string} socketPath the engine's unix socket
 * @property {string} image the test image's tag
 * @property {string} engine a line describing the engine, for the log
 * @property {() => Promise<number>} countContainers this process's containers, running or not
 * @property {() => Promise<void>} stop stops the engine when this run started it
 */

/** A helper of test/docker/ by name, as a URL (a literal `.ts` specifier would not type-check). */
const tsModule = (/** @type {string} */ name) => new URL(`../test/docker/${name}.ts`, import.meta.url).href;

/** This process as the Docker transport's owner label names it (Linux: /proc/self/stat field 22). */
function ownerId() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return `${hostname()}/${process.pid}/${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

/**
 * The engine and the image, or `{ skipped }` saying why there is none. Where the Docker tests must
 * run (CI=true, LIFELINE_REQUIRE_DOCKER=1) a missing engine throws instead, as in the test suite.
 * @param {{ log: (line: string) => void }} options
 * @returns {Promise<LeakDocker | { skipped: string }>}
 */
export async function prepareDocker({ log }) {
  register(new URL('../bench/docker/ts-hooks.js', import.meta.url));
  // The .ts files load through the hooks; their types come from the same files under NodeNext.
  /** @type {typeof import('../test/docker/engine.js')} */
  const { ensureDockerEngine, planDockerEngine, dockerRequired } = await import(tsModule('engine'));
  /** @type {typeof import('../test/docker/image.js')} */
  const { ensureTestImage } = await import(tsModule('image'));
  const plan = await planDockerEngine({ instance: INSTANCE });
  if (plan.kind === 'none') {
    if (dockerRequired()) throw new Error(`the leak check must run on Docker here, but: ${plan.reason}`);
    return { skipped: plan.reason };
  }
  const began = Date.now();
  const outcome = await ensureDockerEngine({ instance: INSTANCE });
  if ('skipped' in outcome) return { skipped: outcome.skipped };
  const engine = outcome;
  try {
    const image = await ensureTestImage(engine.docker);
    const version = await engine.docker.version();
    // No keep-alive: the count's own socket must be closed before the descriptors are sampled.
    const Dockerode = (await import('dockerode')).default;
    const counter = new Dockerode(
      /** @type {import('dockerode').DockerOptions} */ ({
        socketPath: engine.socketPath,
        agent: new http.Agent({ keepAlive: false }),
      }),
    );
    const owner = ownerId();
    return {
      socketPath: engine.socketPath,
      image,
      engine:
        `Docker ${version.Version} on ${engine.socketPath} ` +
        `(${plan.kind === 'start' ? 'started for this run' : 'already running'}, ready in ${Date.now() - began} ms)`,
      countContainers: async () =>
        (await counter.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${owner}`] } })).length,
      stop: async () => {
        if (plan.kind === 'start') await engine.stop();
      },
    };
  } catch (error) {
    if (plan.kind === 'start') await engine.stop().catch(() => undefined);
    if (dockerRequired()) throw error;
    log(
      `  docker: the image could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
    );
    return { skipped: `the test image could not be prepared: ${String(error)}` };
  }
}
