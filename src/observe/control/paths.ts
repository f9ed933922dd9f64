/**
 * Where control sockets live and what they are called. The folder is the user's own:
 * `$XDG_RUNTIME_DIR/lifeline` (a per-user tmpfs the session manager creates 0700), else
 * `control` in the per-user temporary folder of `env-paths` (`/tmp/<user>/lifeline` on Linux),
 * created 0700. A folder that is not a real directory owned by this user, or that others can
 * enter, is refused: anyone who could enter it could talk to an agent's sockets.
 * A socket is named `<pid>.<name>.sock`, so a lister learns both without connecting.
 */

import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import envPaths from 'env-paths';
import { ControlError } from '../../errors.js';

/** The folder control sockets live in (not created). */
export function controlDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime !== '') return join(runtime, 'lifeline');
  return join(envPaths('lifeline', { suffix: '' }).temp, 'control');
}

/** Whether `path` is a real directory owned by this user that nobody else may enter. */
function checkPrivate(path: string): string | undefined {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return 'is not a directory';
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return 'belongs to another user';
  if ((stat.mode & 0o077) !== 0) return `is open to others (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Creates the control folder (0700) when missing and checks it and its parent under the temp
 * folder are this user's own.
 *
 * @throws {ControlError} when the folder cannot be made private.
 */
export function ensureControlDir(dir: string): string {
  // Windows has named pipes, not Unix sockets in a folder whose mode keeps others out.
  if (process.platform === 'win32')
    throw new ControlError('the control socket is not available on Windows yet');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ControlError(`cannot create the control folder ${dir}: ${(error as Error).message}`);
  }
  const problem = checkPrivate(dir);
  if (problem !== undefined)
    throw new ControlError(`the control folder ${dir} ${problem}; refusing to use it`);
  if (process.env.XDG_RUNTIME_DIR === undefined || !dir.startsWith(process.env.XDG_RUNTIME_DIR)) {
    // Under a shared temp folder the parent (`/tmp/<user>`) must be ours too, or its owner could swap ours.
    const parent = dirname(dir);
    const stat = lstatSync(parent);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid())
      throw new ControlError(
        `the control folder's parent ${parent} belongs to another user; refusing to use it`,
      );
  }
  return dir;
}

/** A name as a socket file carries it: letters, digits, `-` and `_`, at most 40 characters. */
export function socketLabel(name: string): string {
  const label = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return (label === '' ? 'lifeline' : label).slice(0, 40);
}

/** The socket file's name for a process. */
export function socketFileName(pid: number, name: string): string {
  return `${pid}.${socketLabel(name)}.sock`;
}

/** The pid and name a socket file's name carries, or undefined for any other file. */
export function parseSocketFileName(file: string): { pid: number; name: string } | undefined {
  const match = /^(\d+)\.([A-Za-z0-9_-]+)\.sock$/.exec(file);
  if (match === null) return undefined;
  return { pid: Number(match[1]), name: match[2] as string };
}

/** The default name: the main script's, without its extension (`agent` for `node agent.js`). */
export function defaultControlName(argv: readonly string[] = process.argv): string {
  const script = argv[1];
  if (script === undefined) return 'node';
  const base = script.split(/[\\/]/).pop() ?? 'node';
  return socketLabel(base.replace(/\.[cm]?[jt]s$/, ''));
}
