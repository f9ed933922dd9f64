// A cross-process lock for the Docker test infrastructure: several vitest workers may want the same private
// engine or the same test image at once, and only one of them may start the daemon or import the image.
// The lock is a file created with O_EXCL holding the owner's pid; a lock whose owner is dead is stale and
// taken over. The daemon's own pidfile check backs this up: two dockerd on one pidfile never both run.

import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive } from '../helpers/processes.js';

/** How long an empty lock file (its owner crashed between create and write) is tolerated. */
const EMPTY_LOCK_GRACE_MS = 5_000;

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** True if the lock file at `path` belongs to nobody alive (and may be removed). */
function isStale(path: string): boolean {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8').trim();
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false; // released meanwhile: just try again
    throw err;
  }
  if (!/^\d+$/.test(text)) return ageMs > EMPTY_LOCK_GRACE_MS;
  const pid = Number(text);
  return pid !== process.pid && !isAlive(pid);
}

/**
 * Runs `fn` while holding the lock file `path` (created with its directory if needed). Waits up to
 * `timeoutMs` for another process to release it.
 */
export async function withFileLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    }
    if (isStale(path)) {
      try {
        unlinkSync(path);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`withFileLock: ${path} still held by pid ${readFileSync(path, 'utf8').trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    try {
      // Only our own lock: a stale-lock takeover by someone else must not be undone.
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}
