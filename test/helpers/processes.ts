// Process helpers for tests that spawn real child processes (fixtures, wrappers, the everything server).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/** What /proc/<pid>/stat says of a process. */
export interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain spaces
 * or parentheses, so fields are located after the LAST ')'. Returns undefined when unavailable
 * (not Linux, process gone, or permission denied).
 */
export function readProcStat(pid: number | string): ProcStat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = raw.lastIndexOf(')');
  if (close === -1) return undefined;
  // After ')': state ppid pgrp session ...
  const fields = raw
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  if (state === undefined || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return undefined;
  return { state, ppid, pgrp };
}

function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Signal-0 probe: true if the target exists (EPERM counts as alive), false on ESRCH. */
function probe(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw err;
  }
}

/** True if the process exists and is not a zombie (zombies are reported dead when /proc is available). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`isAlive: invalid pid ${pid}`);
  if (!probe(pid)) return false;
  const stat = readProcStat(pid);
  if (stat !== undefined && isDeadState(stat.state)) return false;
  return true;
}

/**
 * True if any non-zombie process belongs to process group `pgid`.
 * On Linux the /proc scan is the truth (kill(-pgid, 0) succeeds while only zombies remain);
 * elsewhere falls back to kill(-pgid, 0).
 */
export function groupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 0) throw new RangeError(`groupAlive: invalid pgid ${pgid}`);
  let entries: string[] | undefined;
  try {
    entries = readdirSync('/proc');
  } catch {
    entries = undefined;
  }
  if (entries === undefined || !existsSync('/proc/self/stat')) return probe(-pgid);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(entry);
    if (stat !== undefined && stat.pgrp === pgid && !isDeadState(stat.state)) return true;
  }
  return false;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  message?: string;
}

/**
 * Polls `predicate` until it returns true; throws `Error(message)` on timeout. A predicate that throws
 * counts as "not yet" (the last error is attached as `cause` of the timeout error).
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 20, message }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise<void>((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
  const text = message ?? `waitFor: condition not met within ${timeoutMs}ms`;
  throw lastError === undefined ? new Error(text) : new Error(text, { cause: lastError });
}

/** Pids written (one per line) to a FIXTURE_PIDFILE; [] if the file does not exist yet. */
export function readPids(file: string): number[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  return raw
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number)
    .filter((pid) => pid > 0);
}

/** Absolute path of test/fixtures/<name>. */
export function fixturePath(name: string): string {
  return join(repoRoot, 'test', 'fixtures', name);
}

/** Absolute path of the everything server's entry point; start it with `node <path> stdio`. */
export function everythingServerPath(): string {
  const path = join(
    repoRoot,
    'node_modules',
    '@modelcontextprotocol',
    'server-everything',
    'dist',
    'index.js',
  );
  if (!existsSync(path)) {
    throw new Error(
      `everythingServerPath: ${path} not found (is @modelcontextprotocol/server-everything installed?)`,
    );
  }
  return path;
}

const tempDirs: string[] = [];

/** A fresh, not-yet-existing file path inside a new mkdtemp directory under os.tmpdir(). */
export function tempFile(prefix = 'lifeline'): string {
  const safe = prefix.replace(/[^\w.-]/g, '_');
  const dir = mkdtempSync(join(tmpdir(), `${safe}-`));
  tempDirs.push(dir);
  return join(dir, safe);
}

/** Removes every directory created by tempFile() in this process (call from afterAll if you like). */
export function removeTempFiles(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Sends `signal` to a pid (or to a group with a negative pid), ignoring ESRCH (already gone). */
export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  // 0 and -1 would signal our own group / every process we may signal: never do that by accident.
  if (!Number.isInteger(pid) || pid === 0 || pid === -1)
    throw new RangeError(`killQuietly: refusing pid ${pid}`);
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') throw err;
  }
}

/** Sends `signal` to every pid (e.g. from readPids) — cleanup for afterEach. */
export function killAll(pids: Iterable<number>, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) killQuietly(pid, signal);
}
