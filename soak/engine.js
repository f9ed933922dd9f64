// @ts-check
// The one Docker Engine of the soak and the leak check, and the image their containers run, from the
// test suite's own helpers (test/docker/engine.ts and image.ts, loaded as they are through
// bench/docker/ts-hooks.js), so the engine start and the image build exist once in the repo:
// - an engine that answers (DOCKER_HOST, /var/run/docker.sock, or this suite's own left running) is used
//   as it is;
// - otherwise, as root with Debian's dockerd, a private daemon (/tmp/lifeline-dockerd-<uid>-soak) is
//   started, once per process however many sections ask for it, and stopped by releaseEngine() at the
//   end when this process started it;
// - otherwise `{ skipped: reason }`.
// The image is the test image: node, its shared libraries and test/fixtures/stdio-server.mjs (the stdio
// fixture the soak's stdio target runs too), its CMD that server.

import { register } from 'node:module';

/** The private engine's instance name, shared by the soak and the leak check. */
const INSTANCE = 'soak';

/**
 * @typedef {object} SoakEngine
 * @property {string} socketPath the engine's unix socket
 * @property {import('dockerode')} docker a client of it
 * @property {string} image the test image's tag
 * @property {string} description the engine in one line, for the log and the notes under a table
 */

/** @typedef {SoakEngine | { skipped: string, required: boolean }} EngineOutcome */

/** @type {Promise<{ outcome: EngineOutcome, stop: () => Promise<void> }> | undefined} */
let opening;

/** A helper of test/docker/ by name, as a URL (a literal `.ts` specifier would not type-check). */
const tsModule = (/** @type {string} */ name) => new URL(`../test/docker/${name}.ts`, import.meta.url).href;

/**
 * The engine and the image, started or found on the first call and the same for every later one; or
 * `{ skipped, required }` saying why there is none (`required`: CI=true or LIFELINE_REQUIRE_DOCKER=1,
 * where that is an error). Never throws.
 * @returns {Promise<EngineOutcome>}
 */
export async function openEngine() {
  opening ??= open();
  return (await opening).outcome;
}

/** Stops the engine if this process started it (once every section is done with it). */
export async function releaseEngine() {
  const opened = opening;
  opening = undefined;
  if (opened !== undefined) await (await opened).stop();
}

/** @returns {Promise<{ outcome: EngineOutcome, stop: () => Promise<void> }>} */
async function open() {
  const none = async () => {};
  register(new URL('../bench/docker/ts-hooks.js', import.meta.url));
  // The .ts files load through the hooks; their types come from the same files under NodeNext.
  /** @type {typeof import('../test/docker/engine.js')} */
  const { ensureDockerEngine, planDockerEngine, dockerRequired } = await import(tsModule('engine'));
  /** @type {typeof import('../test/docker/image.js')} */
  const { ensureTestImage } = await import(tsModule('image'));
  const required = dockerRequired();
  const skip = (/** @type {string} */ skipped) => ({ outcome: { skipped, required }, stop: none });
  const plan = await planDockerEngine({ instance: INSTANCE });
  if (plan.kind === 'none') return skip(plan.reason);
  const began = Date.now();
  let engine;
  try {
    const found = await ensureDockerEngine({ instance: INSTANCE });
    if ('skipped' in found) return skip(found.skipped);
    engine = found;
  } catch (error) {
    return skip(`the engine could not be started: ${message(error)}`);
  }
  const stop = plan.kind === 'start' ? () => engine.stop() : none;
  try {
    const image = await ensureTestImage(engine.docker);
    const version = await engine.docker.version();
    const how = plan.kind === 'start' ? 'started for this run' : 'already running';
    return {
      outcome: {
        socketPath: engine.socketPath,
        docker: engine.docker,
        image,
        description: `Docker ${version.Version} on ${engine.socketPath} (${how}, ready in ${Date.now() - began} ms)`,
      },
      stop,
    };
  } catch (error) {
    return {
      outcome: { skipped: `the test image could not be prepared: ${message(error)}`, required },
      stop,
    };
  }
}

/** @param {unknown} error */
function message(error) {
  return error instanceof Error ? error.message : String(error);
}
