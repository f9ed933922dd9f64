// The Docker benchmark's settings and names, its engine and image, and where CPU time goes.
//
// The engine and the image come from the test suite's own helpers (test/docker/engine.ts and
// image.ts, imported through ./ts-hooks.js): an engine that answers (DOCKER_HOST,
// /var/run/docker.sock) is used as it is; otherwise, as root with Debian's dockerd, a private
// daemon of the bench's own (/tmp/lifeline-dockerd-<uid>-bench, so test runs on the shared one
// do not disturb it), stopped again at the end when this run started it. The image is the test
// image (node, its libraries, the stdio fixture) with bench/echo-server.mjs added at
// /app/echo-server.mjs, imported once and then found by its content hash.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { performance } from 'node:perf_hooks';
import { errorText, sleep } from '../lib/stats.js';
import { SERVER } from '../stdio/setup.js';

/** @import { Log, Scenario } from '../lib/types.js' */
/** @import { DockerEngine } from '../../test/docker/engine.ts' */
/** @import Docker from 'dockerode' */

/**
 * The engine, the image and the docker CLI the Docker benchmark runs on.
 * @typedef {{
 *   engine: DockerEngine, image: string, node: string, cli: { version?: string, missing?: string },
 *   engineVersion: string, startedHere: boolean, setupMs: number,
 * }} DockerSetup
 */

/** The private engine's instance name (its folder is /tmp/lifeline-dockerd-<uid>-bench). */
const INSTANCE = 'bench';
/** Where the echo server sits in the image. */
export const ECHO_IN_IMAGE = '/app/echo-server.mjs';
/** Label on the containers the docker CLI and the raw attach client create (ours carry their own). */
export const BENCH_LABEL = 'io.mcp-lifeline.bench';

/** Start to open: each variant started, answered once and closed this many times (after one warm-up). */
export const DOCKER_STARTS = { starts: 10, warmup: 1, timeoutMs: 60_000 };

/** Round trips: 64 in flight (lib/mcp.js), every variant in turn per round. */
export const DOCKER_SCENARIOS = /** @type {Record<string, Scenario>} */ ({
  small: { label: 'Small messages', warmup: 5000, count: 30_000, rounds: 5, timeoutMs: 120_000 },
});

export const DOCKER_VARIANTS = ['ours', 'sdk', 'raw', 'raw-attach', 'ours-stdio'];
/** The variants that run the `docker` CLI (left out when there is none). */
export const CLI_VARIANTS = ['sdk', 'raw'];

/** Human names of the variants, for tables. */
export const DOCKER_VARIANT_NAMES = /** @type {Record<string, string>} */ ({
  ours: 'mcp-lifeline createTransport({type: "docker"})',
  sdk: 'SDK StdioClientTransport running `docker run -i --rm`',
  raw: 'raw: `docker run -i --rm` child process, NDJSON on its stdio',
  'raw-attach': 'raw: dockerode create + attach + start, its demuxStream, NDJSON',
  'ours-stdio': 'mcp-lifeline createTransport({command: node}): the same server, plain stdio',
});

/**
 * The engine, the image and the docker CLI, or `{ skipped }` saying why there is no engine.
 * Never throws: a failed engine start or image import is a skip with its reason.
 */
/**
 * @param {{ log: Log }} options
 * @returns {Promise<DockerSetup | { skipped: string }>}
 */
export async function prepareDocker({ log }) {
  const began = performance.now();
  register(new URL('./ts-hooks.js', import.meta.url));
  const { ensureDockerEngine, planDockerEngine } = await import('../../test/docker/engine.ts');
  const { ensureTestImage, IMAGE_NODE } = await import('../../test/docker/image.ts');
  const plan = await planDockerEngine({ instance: INSTANCE });
  if (plan.kind === 'none') return { skipped: plan.reason };
  /** @type {DockerEngine | undefined} */
  let engine;
  try {
    const outcome = await ensureDockerEngine({ instance: INSTANCE });
    if ('skipped' in outcome) return { skipped: outcome.skipped };
    engine = outcome;
    const ready = outcome;
    log(
      `  docker engine on ${engine.socketPath} (${plan.kind === 'start' ? 'started for this run' : 'already running'}) ` +
        `in ${(performance.now() - began).toFixed(0)} ms; importing the image if it is new ...`,
    );
    const image = await ensureTestImage(ready.docker, { files: { [ECHO_IN_IMAGE]: SERVER } });
    const version = await ready.docker.version();
    return {
      engine: ready,
      image,
      node: IMAGE_NODE,
      cli: dockerCli(ready.dockerHost),
      engineVersion: `${version.Version} (API ${version.ApiVersion})`,
      startedHere: plan.kind === 'start',
      setupMs: performance.now() - began,
    };
  } catch (error) {
    if (engine !== undefined && plan.kind === 'start') await engine.stop().catch(() => undefined);
    return { skipped: `the engine or the image could not be prepared: ${errorText(error)}` };
  }
}

/**
 * The `docker` CLI on PATH (`{ version }`), or `{ missing }`: the CLI variants are left out then.
 * @param {string} dockerHost
 * @returns {{ version?: string, missing?: string }}
 */
function dockerCli(dockerHost) {
  const run = spawnSync('docker', ['version', '--format', '{{.Client.Version}}'], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.error !== undefined) return { missing: `no docker CLI (${run.error.message})` };
  if (run.status !== 0) return { missing: `docker version failed: ${run.stderr.trim().slice(0, 200)}` };
  return { version: run.stdout.trim() };
}

/** The arguments of `docker run` for the echo server: what an `mcpServers` entry runs. */
export const dockerRunArgs = (/** @type {DockerSetup} */ setup) => [
  'run',
  '-i',
  '--rm',
  '--network',
  'none',
  '--label',
  `${BENCH_LABEL}=${process.pid}`,
  setup.image,
  setup.node,
  ECHO_IN_IMAGE,
];

// --- CPU: the server inside its container, and the engine's own processes ---

const commOf = (/** @type {number | string} */ pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * The host pid of the first process of the container carrying `label`, once the engine knows it.
 * @param {Docker} docker
 * @param {string} label
 */
async function firstPidIn(docker, label) {
  // Behind `docker run`, the server can answer before the engine has recorded the container as
  // running (its pid still 0): ask again for a while.
  for (let tries = 0; tries < 40; tries += 1) {
    const [info] = await docker.listContainers({ all: true, filters: { label: [label] } });
    const pid = info === undefined ? 0 : (await docker.getContainer(info.Id).inspect()).State.Pid;
    if (pid > 0) return pid;
    await sleep(25);
  }
  return Number.NaN;
}

/**
 * The host pid of the node process in the container carrying `label`: the container's first
 * process, or its child when that is docker-init (`--init`). NaN when unknown.
 */
/**
 * @param {Docker} docker
 * @param {string} label
 */
export async function serverPidIn(docker, label) {
  const first = await firstPidIn(docker, label);
  if (!(first > 0) || commOf(first) === 'node') return first;
  try {
    const children = readFileSync(`/proc/${first}/task/${first}/children`, 'utf8').trim().split(' ');
    return children.map(Number).find((pid) => commOf(pid) === 'node') ?? first;
  } catch {
    return first;
  }
}

const ENGINE_COMMANDS = new Set(['dockerd', 'containerd', 'containerd-shim']);

/**
 * The engine's processes: dockerd, its containerd and the containers' shims. For a private
 * engine, those whose command line names its folder; for any other, every process of those names.
 */
export function enginePids(/** @type {DockerEngine} */ engine) {
  /** @type {number[]} */
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (!ENGINE_COMMANDS.has(commOf(entry).replace(/-runc.*$/, ''))) continue;
    if (engine.dir !== undefined) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes(engine.dir)) continue;
    }
    pids.push(Number(entry));
  }
  return pids;
}

/** Clock ticks (USER_HZ, 100 on Linux) in ns. */
const TICK_NS = 1e7;

/**
 * The CPU time of every thread of a process so far, in ns, at 10 ms resolution: utime + stime
 * of /proc/<pid>/stat. (lib.js processCpuNs reads the main thread's schedstat, which is all of
 * node's work but almost none of a Go program's: dockerd, containerd, the shims, the CLI.)
 */
function processTicksNs(/** @type {number} */ pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_NS;
  } catch {
    return 0;
  }
}

/** The CPU time the processes `pids` have used so far, in ns (those gone count 0). */
export const cpuNsOf = (/** @type {number[]} */ pids) =>
  pids.reduce((sum, pid) => sum + processTicksNs(pid), 0);
