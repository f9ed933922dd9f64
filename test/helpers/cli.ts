// The `lifeline` CLI as users run it: the built dist/cli/main.js in a child process. `buildCli()`
// compiles it once for every test file that asks (a lock keeps two files from writing dist/ at
// the same time, and a build newer than every source is reused).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
export const cli = resolve(repoRoot, 'dist', 'cli', 'main.js');

/** How a CLI run ended. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Options of {@link lifeline}. */
export interface RunOptions {
  /** Kill the run (and fail) past this. Default 20 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Send this signal once stderr matches `when` (so the CLI's handlers are in place). */
  signal?: { name: NodeJS.Signals; when: RegExp };
}

let runtimeDir: string | undefined;

/**
 * A private runtime folder for this test file's CLI runs: bridges publish their control sockets
 * there, and `status` / `watch` see only the agents this file started, never another file's.
 */
function testRuntimeDir(): string {
  runtimeDir ??= mkdtempSync(join(tmpdir(), 'lifeline-runtime-'));
  return runtimeDir;
}

/** The environment of a CLI run: no colors, a runtime folder of the test file's own. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    XDG_RUNTIME_DIR: testRuntimeDir(),
    ...extra,
  };
  delete env.FORCE_COLOR;
  return env;
}

/** Runs `node dist/cli/main.js ...args` with stdin closed; kills it (and fails) past the timeout. */
export function lifeline(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    let signalled = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const signal = options.signal;
      if (signal !== undefined && !signalled && signal.when.test(stderr)) {
        signalled = true;
        child.kill(signal.name);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`lifeline ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, exitSignal) => {
      clearTimeout(timer);
      resolveRun({ code, signal: exitSignal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function newest(dir: string, suffix: string, pick: (a: number, b: number) => number, start: number): number {
  let result = start;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix))
      result = pick(result, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return result;
}

function isBuildFresh(): boolean {
  try {
    const sources = newest(resolve(repoRoot, 'src'), '.ts', Math.max, 0);
    const outputs = newest(resolve(repoRoot, 'dist'), '.js', Math.min, Number.POSITIVE_INFINITY);
    return outputs > sources;
  } catch {
    return false;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Compiles src/ to dist/ (tsconfig.build.json) unless dist/ is newer; one build at a time. */
export function buildCli(): void {
  const lock = join(tmpdir(), `lifeline-cli-build-${Buffer.from(repoRoot).toString('hex').slice(-24)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the longest build is left over from a killed run.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 180_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`buildCli: ${lock} stayed locked`);
      Atomics.wait(sleeper, 0, 0, 200);
    }
  }
  try {
    if (isBuildFresh()) return;
    const tsc = resolve(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (build.status !== 0)
      throw new Error(`tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

/** A row of `lifeline status --json`. */
export interface StatusRow {
  name: string;
  type: string;
  state: string;
  roundTripMs: number | null;
  server: string | null;
  error: { code: string; message: string } | null;
}

/** Runs `lifeline status --config FILE --json`; its exit code and rows. */
export async function statusJson(
  config: string,
  timeoutMs = 30_000,
): Promise<{ run: Run; rows: StatusRow[] }> {
  const run = await lifeline(['status', '--config', config, '--json'], { timeoutMs });
  const rows = run.stdout.trim() === '' ? [] : (JSON.parse(run.stdout) as StatusRow[]);
  return { run, rows };
}
