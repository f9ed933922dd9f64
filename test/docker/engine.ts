// A Docker Engine for the tests: an engine that already answers (DOCKER_HOST, /var/run/docker.sock) is
// used as it is; otherwise, if Debian's `dockerd` is installed and we are root, a private daemon is
// started on its own socket under /tmp/lifeline-dockerd-<uid>[-<instance>]/ (no bridge, no iptables: only
// `--network none` and `host` work) and shared by every test file and worker that asks for the same
// instance. It runs detached from the test processes (its own session, output in dockerd.log there), so it
// never holds vitest open. The run's global teardown (test/global-setup.ts) stops every engine the run
// started; LIFELINE_KEEP_DOCKERD=1 keeps them up for the next run (by hand then:
// `kill $(cat /tmp/lifeline-dockerd-$(id -u)/docker.pid)`; its containerd exits with it).
// Without an engine the answer is `{ skipped: reason }`, or an error when CI=true or
// LIFELINE_REQUIRE_DOCKER=1 (there the Docker tests must run).

import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import Dockerode from 'dockerode';
import { isAlive, killQuietly, waitFor } from '../helpers/processes.js';
import { withFileLock } from './lock.js';

/** A Docker Engine the tests may use. */
export interface DockerEngine {
  /** The engine's unix socket. */
  readonly socketPath: string;
  /** `unix://<socketPath>`, for a `docker` CLI or a child's DOCKER_HOST. */
  readonly dockerHost: string;
  readonly docker: Dockerode;
  /** True for a private dockerd these tests start (and may stop or restart); false for an engine found running. */
  readonly owned: boolean;
  /** The private engine's folder (socket, pidfile, data-root, exec-root, dockerd.log); undefined if not owned. */
  readonly dir: string | undefined;
  /** The private engine's log file; undefined if not owned. */
  readonly logFile: string | undefined;
  /**
   * Stops the private dockerd (SIGTERM, running containers get `--shutdown-timeout` 1 s, then SIGKILL) and
   * waits until it and its containerd are gone. Every test using this instance loses it: never call it on
   * the shared instance while other files may run. A no-op for an engine that is not owned.
   */
  stop(): Promise<void>;
  /**
   * Stops the private dockerd and starts it again on the same socket, data-root and exec-root (images
   * survive; containers die). Use a dedicated `instance` for this. Throws for an engine that is not owned.
   */
  restart(): Promise<void>;
}

export type EngineOutcome = DockerEngine | { skipped: string };

export interface EngineOptions {
  /**
   * Which private engine: 'shared' (default) is the one every Docker test uses; any other name gets its own
   * daemon (folder /tmp/lifeline-dockerd-<uid>-<name>), e.g. for a test that restarts the engine. Ignored
   * when an engine is already running (DOCKER_HOST, /var/run/docker.sock).
   */
  instance?: string;
}

/** How long a starting dockerd may take to answer /_ping. */
const START_TIMEOUT_MS = 60_000;
/** How long dockerd may take to exit after SIGTERM before it is SIGKILLed. */
const STOP_TIMEOUT_MS = 20_000;
/** How long one /_ping may take. */
const PING_TIMEOUT_MS = 2_000;
/** dockerd.log is truncated at a start when it grew past this. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;
const DEFAULT_SOCKET = '/var/run/docker.sock';

/** True where a missing engine is an error, not a skip. */
export function dockerRequired(): boolean {
  const ci = process.env.CI;
  return (
    (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') ||
    process.env.LIFELINE_REQUIRE_DOCKER === '1'
  );
}

/** True if a Docker Engine answers GET /_ping with 200 on this unix socket. */
export function pingSocket(socketPath: string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolvePing) => {
    const req = request(
      { socketPath, path: '/_ping', method: 'GET', agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.once('end', () => resolvePing(res.statusCode === 200));
        res.once('error', () => resolvePing(false));
      },
    );
    req.once('timeout', () => req.destroy(new Error('ping timeout')));
    req.once('error', () => resolvePing(false));
    req.end();
  });
}

/** The socket of DOCKER_HOST when it names a unix socket. */
function dockerHostSocket(): { socket: string } | { unsupported: string } | undefined {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === '') return undefined;
  if (host.startsWith('unix://')) return { socket: host.slice('unix://'.length) };
  return { unsupported: host };
}

/** The `dockerd` executable on PATH or in the sbin folders (root's PATH may lack them); undefined if none. */
export function findDockerd(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/usr/local/bin',
  ];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'dockerd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function uid(): number {
  return process.getuid?.() ?? -1;
}

/** The folder of a private engine instance. Short on purpose: unix socket paths are limited to 107 bytes. */
export function engineDir(instance = 'shared'): string {
  if (!/^[a-z0-9-]+$/.test(instance))
    throw new Error(`engineDir: bad instance name ${JSON.stringify(instance)}`);
  return `/tmp/lifeline-dockerd-${uid()}${instance === 'shared' ? '' : `-${instance}`}`;
}

/** The folder for lock files of the Docker test infrastructure. */
export function lockDir(): string {
  return `/tmp/lifeline-dockerd-${uid()}-locks`;
}

/** What ensureDockerEngine would do, without starting anything. */
export type EnginePlan =
  | { kind: 'running'; socketPath: string; owned: boolean; dir: string | undefined }
  | { kind: 'start'; dockerd: string; dir: string }
  | { kind: 'none'; reason: string };

/** Finds a running engine, or whether a private one can be started. Costs a few pings at most. */
export async function planDockerEngine(options: EngineOptions = {}): Promise<EnginePlan> {
  const notes: string[] = [];
  const fromEnv = dockerHostSocket();
  if (fromEnv !== undefined && 'unsupported' in fromEnv) {
    notes.push(`DOCKER_HOST=${fromEnv.unsupported} is not a unix:// socket`);
  } else if (fromEnv !== undefined) {
    if (await pingSocket(fromEnv.socket))
      return { kind: 'running', socketPath: fromEnv.socket, owned: false, dir: undefined };
    notes.push(`DOCKER_HOST=unix://${fromEnv.socket} does not answer`);
  }
  if (await pingSocket(DEFAULT_SOCKET))
    return { kind: 'running', socketPath: DEFAULT_SOCKET, owned: false, dir: undefined };
  notes.push(existsSync(DEFAULT_SOCKET) ? `${DEFAULT_SOCKET} does not answer` : `no ${DEFAULT_SOCKET}`);
  const dir = engineDir(options.instance);
  if (await pingSocket(join(dir, 'docker.sock'))) {
    return { kind: 'running', socketPath: join(dir, 'docker.sock'), owned: true, dir };
  }
  const dockerd = findDockerd();
  if (dockerd === undefined) notes.push('no dockerd installed (Debian package docker.io)');
  else if (uid() !== 0) notes.push(`dockerd needs root (uid is ${uid()})`);
  else return { kind: 'start', dockerd, dir };
  return { kind: 'none', reason: notes.join('; ') };
}

/**
 * A Docker Engine for the tests (see the file comment), `{ skipped }` if there is none and none can be
 * started; throws instead of skipping when dockerRequired().
 */
export async function ensureDockerEngine(options: EngineOptions = {}): Promise<EngineOutcome> {
  const plan = await planDockerEngine(options);
  if (plan.kind === 'none') {
    if (dockerRequired())
      throw new Error(`Docker tests must run here (CI), but there is no engine: ${plan.reason}`);
    return { skipped: plan.reason };
  }
  if (plan.kind === 'running' && !plan.owned) return externalEngine(plan.socketPath);
  const dockerd = findDockerd();
  if (dockerd === undefined) throw new Error('ensureDockerEngine: dockerd disappeared');
  const engine = new PrivateEngine(dockerd, plan.dir ?? engineDir(options.instance));
  await engine.start();
  return engine;
}

function externalEngine(socketPath: string): DockerEngine {
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    docker: new Dockerode({ socketPath }),
    owned: false,
    dir: undefined,
    logFile: undefined,
    stop: async () => {},
    restart: async () => {
      throw new Error(`restart(): the engine on ${socketPath} was not started by the tests`);
    },
  };
}

/** The pid in a pidfile if that process is alive; undefined otherwise. */
function livePid(pidfile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidfile, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(text)) return undefined;
  const pid = Number(text);
  return pid > 0 && isAlive(pid) ? pid : undefined;
}

/** True if `pid` runs with `needle` on its command line (guards against a recycled pid in a stale pidfile). */
function cmdlineIncludes(pid: number, needle: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(needle);
  } catch {
    return false;
  }
}

/** The variable naming the test run (set by test/global-setup.ts, inherited by the workers). */
export const TEST_RUN_ENV = 'LIFELINE_TEST_RUN';

/** A private engine whose dockerd is running now: its folder, the daemon's pid, and the run that started it. */
export interface RunningEngine {
  dir: string;
  pid: number;
  /** The value of LIFELINE_TEST_RUN in the process that started it; '' if none or unknown. */
  startedByRun: string;
}

/**
 * The private engines (every instance, /tmp/lifeline-dockerd-<uid>[-<name>]) whose dockerd runs now. A pid
 * counts only if its command line names the engine's folder: pidfiles outlive killed daemons, pids get reused.
 */
export function runningPrivateEngines(): RunningEngine[] {
  const prefix = engineDir().split('/').pop() ?? '';
  let names: string[];
  try {
    names = readdirSync('/tmp');
  } catch {
    return [];
  }
  const engines: RunningEngine[] = [];
  for (const name of names) {
    if (name !== prefix && !(name.startsWith(`${prefix}-`) && name !== `${prefix}-locks`)) continue;
    const dir = join('/tmp', name);
    const pid = livePid(join(dir, 'docker.pid'));
    if (pid === undefined || !cmdlineIncludes(pid, dir)) continue;
    let startedByRun = '';
    try {
      startedByRun = readFileSync(join(dir, 'started-by-run'), 'utf8').trim();
    } catch {
      // Started before runs were recorded.
    }
    engines.push({ dir, pid, startedByRun });
  }
  return engines;
}

/** Stops the private engine in `dir` (dockerd, then its containerd if it stayed), as `DockerEngine.stop()`. */
export function stopPrivateEngine(dir: string): Promise<void> {
  const dockerd = findDockerd();
  if (dockerd === undefined) throw new Error('stopPrivateEngine: no dockerd installed');
  return new PrivateEngine(dockerd, dir).stop();
}

class PrivateEngine implements DockerEngine {
  readonly owned = true;
  readonly dir: string;
  readonly socketPath: string;
  readonly dockerHost: string;
  readonly logFile: string;
  readonly docker: Dockerode;
  readonly #dockerd: string;
  readonly #pidfile: string;
  readonly #containerdPidfile: string;

  constructor(dockerd: string, dir: string) {
    this.#dockerd = dockerd;
    this.dir = dir;
    this.socketPath = join(dir, 'docker.sock');
    this.dockerHost = `unix://${this.socketPath}`;
    this.logFile = join(dir, 'dockerd.log');
    this.#pidfile = join(dir, 'docker.pid');
    this.#containerdPidfile = join(dir, 'exec', 'containerd', 'containerd.pid');
    this.docker = new Dockerode({ socketPath: this.socketPath });
  }

  #lockPath(): string {
    return join(lockDir(), `${this.dir.split('/').pop() ?? 'engine'}.lock`);
  }

  /** Starts the daemon unless it (or another worker's start of it) already answers. */
  async start(): Promise<void> {
    if (await pingSocket(this.socketPath)) return;
    await withFileLock(this.#lockPath(), START_TIMEOUT_MS + STOP_TIMEOUT_MS, () => this.#startLocked());
  }

  async #startLocked(): Promise<void> {
    if (await pingSocket(this.socketPath)) return;
    const running = livePid(this.#pidfile);
    if (running !== undefined && cmdlineIncludes(running, this.socketPath)) {
      // A daemon of ours that is still starting (or hung): give it the start timeout, then replace it.
      try {
        await this.#waitReady(undefined);
        return;
      } catch {
        await this.#kill();
      }
    }
    mkdirSync(join(this.dir, 'data'), { recursive: true, mode: 0o700 });
    mkdirSync(join(this.dir, 'exec'), { recursive: true, mode: 0o700 });
    // A pidfile naming some other live process would make dockerd refuse to start; a socket file left by a
    // killed daemon is stale too (nobody answered on it above).
    for (const stale of [this.#pidfile, this.socketPath]) {
      try {
        unlinkSync(stale);
      } catch {
        // Not there.
      }
    }
    // An empty config file: /etc/docker/daemon.json (hosts, bridges, registries) must not leak in.
    // Which test run started it: that run's global teardown stops it (test/global-setup.ts).
    writeFileSync(join(this.dir, 'started-by-run'), `${process.env[TEST_RUN_ENV] ?? ''}\n`);
    const config = join(this.dir, 'daemon.json');
    writeFileSync(config, '{}\n');
    try {
      if (statSync(this.logFile).size > MAX_LOG_BYTES) truncateSync(this.logFile, 0);
    } catch {
      // No log yet.
    }
    const log = openSync(this.logFile, 'a');
    writeSync(log, `\n==== ${new Date().toISOString()} started by pid ${process.pid}\n`);
    const args = [
      '--host',
      `unix://${this.socketPath}`,
      '--config-file',
      config,
      '--data-root',
      join(this.dir, 'data'),
      '--exec-root',
      join(this.dir, 'exec'),
      '--pidfile',
      this.#pidfile,
      '--iptables=false',
      '--ip-forward=false',
      '--bridge=none',
      // PID 1 of a container ignores SIGTERM unless it handles it (node does not): do not wait 15 s for it.
      '--shutdown-timeout',
      '1',
    ];
    const sbin = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
    // detached: its own session, so no signal aimed at the test's process group reaches it; unref and no
    // pipes, so it holds no test process open.
    const child = spawn(this.#dockerd, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: [process.env.PATH ?? '', ...sbin].join(delimiter) },
    });
    closeSync(log);
    let exit: string | undefined;
    child.once('exit', (code, signal) => {
      exit = `exited with code ${code}, signal ${signal}`;
    });
    child.once('error', (err) => {
      exit = `could not be spawned: ${err.message}`;
    });
    child.unref();
    await this.#waitReady(() => exit);
  }

  async #waitReady(exited: (() => string | undefined) | undefined): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (await pingSocket(this.socketPath)) return;
      const exit = exited?.();
      if (exit !== undefined) {
        // dockerd refuses to run twice on one pidfile: the other one may be answering by now.
        if (await pingSocket(this.socketPath)) return;
        throw new Error(
          `dockerd ${exit} before answering on ${this.socketPath}; log tail:\n${this.#logTail()}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `dockerd: no answer on ${this.socketPath} after ${START_TIMEOUT_MS}ms; log tail:\n${this.#logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  #logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-4_000);
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM the daemon (and, if it leaves it behind, its containerd), SIGKILL after the stop timeout. */
  async #kill(): Promise<void> {
    const dockerd = livePid(this.#pidfile);
    const containerd = livePid(this.#containerdPidfile);
    const ours = (pid: number | undefined): pid is number =>
      pid !== undefined && cmdlineIncludes(pid, this.dir);
    if (ours(dockerd)) {
      killQuietly(dockerd, 'SIGTERM');
      try {
        await waitFor(() => !isAlive(dockerd), { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 50 });
      } catch {
        killQuietly(dockerd, 'SIGKILL');
      }
    }
    if (ours(containerd) && isAlive(containerd)) {
      killQuietly(containerd, 'SIGTERM');
      try {
        await waitFor(() => !isAlive(containerd), { timeoutMs: 5_000, intervalMs: 50 });
      } catch {
        killQuietly(containerd, 'SIGKILL');
      }
    }
    await waitFor(async () => !(await pingSocket(this.socketPath, 500)), {
      timeoutMs: 5_000,
      message: `dockerd on ${this.socketPath} still answers after being killed`,
    });
  }

  async stop(): Promise<void> {
    await withFileLock(this.#lockPath(), START_TIMEOUT_MS + STOP_TIMEOUT_MS, () => this.#kill());
  }

  async restart(): Promise<void> {
    await withFileLock(this.#lockPath(), 2 * (START_TIMEOUT_MS + STOP_TIMEOUT_MS), async () => {
      await this.#kill();
      await this.#startLocked();
    });
  }
}
