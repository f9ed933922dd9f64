// @ts-check
// A Docker Engine and an image for the soak's `docker` transport, found or made as the test suite does
// (test/docker/engine.ts and image.ts; ported here in plain JavaScript, the parts the soak needs):
// - an engine that answers is used as it is: DOCKER_HOST (unix://), /var/run/docker.sock, the test suite's
//   shared private engine (/tmp/lifeline-dockerd-<uid>/docker.sock) or the soak's own left running;
// - otherwise, as root with Debian's dockerd installed, a private daemon of the soak's own is started in
//   /tmp/lifeline-dockerd-<uid>-soak (no bridge, no iptables: the soak runs with `--network none`) and
//   stopped again at the end;
// - otherwise `{ skipped: reason }`.
// The image `lifeline-soak-server:<hash>` holds the node binary running the soak, the shared libraries
// `ldd` lists for it and the stdio fixture (which imports no package); it is imported with `docker import`
// once and then found by its content hash.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { STDIO_SERVER } from './servers.js';
import { isAlive, killQuietly, sleep } from './util.js';

export const IMAGE_NODE = '/usr/bin/node';
export const IMAGE_SERVER = '/app/stdio-server.mjs';
const START_TIMEOUT_MS = 60_000;
const uid = process.getuid?.() ?? -1;
const SOAK_ENGINE_DIR = `/tmp/lifeline-dockerd-${uid}-soak`;

/** True if an engine answers GET /_ping on this unix socket. @param {string} socketPath */
export function pingSocket(socketPath, timeoutMs = 2000) {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(
      { socketPath, path: '/_ping', method: 'GET', agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode === 200));
        res.once('error', () => resolve(false));
      },
    );
    req.once('timeout', () => req.destroy(new Error('ping timeout')));
    req.once('error', () => resolve(false));
    req.end();
  });
}

/**
 * The sockets to try, in order: DOCKER_HOST, the system's, the test suite's shared private engine, the
 * soak's own. (Other private engines are left alone: tests restart some of theirs on purpose.)
 */
function candidateSockets() {
  const sockets = [];
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) sockets.push(host.slice('unix://'.length));
  sockets.push(
    '/var/run/docker.sock',
    `/tmp/lifeline-dockerd-${uid}/docker.sock`,
    join(SOAK_ENGINE_DIR, 'docker.sock'),
  );
  return sockets;
}

function findDockerd() {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin']) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, 'dockerd'), constants.X_OK);
      return join(dir, 'dockerd');
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts the soak's private dockerd; resolves with a stop function once it answers. @param {string} dockerd */
async function startPrivateEngine(dockerd) {
  const dir = SOAK_ENGINE_DIR;
  const socketPath = join(dir, 'docker.sock');
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'exec'), { recursive: true, mode: 0o700 });
  rmSync(socketPath, { force: true });
  rmSync(join(dir, 'docker.pid'), { force: true });
  // An empty configuration: /etc/docker/daemon.json must not leak in.
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const args = [
    ...['--host', `unix://${socketPath}`, '--config-file', join(dir, 'daemon.json')],
    ...[
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
    ],
    ...['--iptables=false', '--ip-forward=false', '--bridge=none', '--shutdown-timeout', '1'],
  ];
  const child = spawn(dockerd, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin` },
  });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingSocket(socketPath))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`dockerd did not answer on ${socketPath}; see ${join(dir, 'dockerd.log')}`);
    await sleep(100);
  }
  const stop = async () => {
    const containerdPid = Number(readText(join(dir, 'exec', 'containerd', 'containerd.pid')));
    if (pid !== undefined) killQuietly(pid, 'SIGTERM');
    for (let i = 0; i < 200 && pid !== undefined && isAlive(pid); i += 1) await sleep(100);
    if (pid !== undefined) killQuietly(pid, 'SIGKILL');
    if (containerdPid > 0 && readText(`/proc/${containerdPid}/cmdline`).includes(dir))
      killQuietly(containerdPid, 'SIGTERM');
  };
  return { socketPath, stop };
}

/** @param {string} path */
function readText(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The engine to use: `{ socketPath, docker, startedHere, stop }`, or `{ skipped }`. Never throws.
 * @returns {Promise<{ socketPath: string, docker: import('dockerode'), startedHere: boolean, stop: () => Promise<void> } | { skipped: string }>}
 */
export async function findEngine() {
  /** @type {typeof import('dockerode')} */
  let Dockerode;
  try {
    Dockerode = (await import('dockerode')).default;
  } catch {
    return { skipped: 'dockerode is not installed' };
  }
  const tried = candidateSockets();
  for (const socketPath of tried) {
    if (await pingSocket(socketPath))
      return { socketPath, docker: new Dockerode({ socketPath }), startedHere: false, stop: async () => {} };
  }
  const none = `no Docker engine answers (${tried.join(', ')})`;
  const dockerd = findDockerd();
  if (dockerd === undefined) return { skipped: `${none}, and no dockerd is installed (Debian: docker.io)` };
  if (uid !== 0) return { skipped: `${none}, and dockerd needs root to start one` };
  try {
    const { socketPath, stop } = await startPrivateEngine(dockerd);
    return { socketPath, docker: new Dockerode({ socketPath }), startedHere: true, stop };
  } catch (error) {
    return { skipped: `${none}; starting a private one failed: ${String(error)}` };
  }
}

/** The shared libraries and the loader `ldd` lists for an executable. @param {string} executable */
function sharedLibraries(executable) {
  const libs = [];
  for (const line of execFileSync('ldd', [executable], { encoding: 'utf8' }).split('\n')) {
    const match = /=>\s*(\/\S+)\s*\(/.exec(line) ?? /^\s*(\/\S+)\s*\(/.exec(line);
    if (match?.[1] !== undefined) libs.push(match[1]);
  }
  return libs;
}

/**
 * The tag of the soak's image on this engine, importing it first when the engine lacks it.
 * @param {import('dockerode')} docker
 */
export async function ensureSoakImage(docker) {
  /** @type {Array<[string, string]>} in the image, on the host */
  const files = [
    [IMAGE_NODE, process.execPath],
    [IMAGE_SERVER, STDIO_SERVER],
  ];
  for (const lib of sharedLibraries(process.execPath)) files.push([lib, lib]);
  files.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const hash = createHash('sha256').update('lifeline-soak-image/1\n');
  for (const [inImage, host] of files) hash.update(`${inImage}\0`).update(readFileSync(host));
  const tag = `lifeline-soak-server:${hash.digest('hex').slice(0, 16)}`;
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (error) {
    if (/** @type {{ statusCode?: number }} */ (error).statusCode !== 404) throw error;
  }
  const stage = mkdtempSync(join(tmpdir(), 'lifeline-soak-rootfs-'));
  try {
    for (const [inImage, host] of files) {
      const target = join(stage, inImage);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(realpathSync(host), target);
      chmodSync(target, statSync(realpathSync(host)).mode & 0o7777);
    }
    mkdirSync(join(stage, 'tmp'), { mode: 0o1777 });
    const tar = spawn('tar', ['--create', '--numeric-owner', '--owner=0', '--group=0', '-C', stage, '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [repo, version] = tag.split(':');
    const progress = await docker.importImage(/** @type {import('node:stream').Readable} */ (tar.stdout), {
      repo,
      tag: version,
      changes: [`CMD ${JSON.stringify([IMAGE_NODE, IMAGE_SERVER])}`, 'WORKDIR /app'],
    });
    let text = '';
    for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (progress)) text += String(chunk);
    if (/"error"/.test(text)) throw new Error(`docker import: ${text.slice(0, 300)}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return tag;
}
