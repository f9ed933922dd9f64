/**
 * Private JSON files that are never half written: the token store's only way to touch the disk.
 *
 * A write goes to a temporary file beside the target (created with mode 0600, so a secret is
 * never readable by others, not even for a moment), is flushed with `fsync`, then renamed over
 * the target. `rename` within one folder is atomic on POSIX and on NTFS, so a reader (or a
 * process killed mid-write) sees either the old file or the new one, never a truncated one.
 */

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of every file the store writes: read and write for the owner only. */
export const FILE_MODE = 0o600;
/** Mode of every folder the store creates: the owner only. */
export const DIR_MODE = 0o700;

const TMP_SUFFIX = '.tmp';

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Creates `path` (and its missing parents) with mode 0700, and narrows it to 0700 when it
 * already exists with a wider mode: the folder holds tokens. POSIX only; Windows ignores modes
 * and relies on the per-user profile folder's ACL.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  if (process.platform === 'win32') return;
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, DIR_MODE);
}

/** Writes `value` as JSON to `path` atomically (temporary file, fsync, rename), mode 0600. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`,
  );
  // 'wx': a fresh file, never one someone placed there (a symlink planted to capture a token).
  const handle = await open(tmp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** Flushes a folder's entries, so a rename survives a power cut. Best effort (not on Windows). */
async function syncDir(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
  }
}

/**
 * Reads a JSON object from `path`: `undefined` when the file is missing, or when it is not a
 * JSON object (a file edited by hand, a disk that lost data: treated as absent, so the user
 * signs in again instead of being stuck).
 */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes `path`; a missing file is not an error. Returns whether it existed. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** The names in a folder; none when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * Removes temporary files older than `olderThanMs` that a process killed between write and
 * rename left behind in `dir`.
 */
export async function sweepTemporaryFiles(dir: string, now: number, olderThanMs = 60_000): Promise<void> {
  for (const name of await listDir(dir)) {
    if (!name.endsWith(TMP_SUFFIX)) continue;
    try {
      const { mtimeMs } = await stat(join(dir, name));
      if (now - mtimeMs > olderThanMs) await rm(join(dir, name), { force: true });
    } catch {
      // Renamed or removed by its writer meanwhile.
    }
  }
}
