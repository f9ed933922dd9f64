/**
 * Reading the small text files a configuration names (the config file itself, an `envFile`),
 * with a reason fit for a problem line when that fails.
 */

import { readFileSync } from 'node:fs';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
};

/** The file's text (UTF-8), or why it could not be read. */
export function readText(path: string): { text: string } | { reason: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code !== undefined && Object.hasOwn(REASONS, code) ? REASONS[code] : undefined;
    return { reason: reason ?? code ?? String(error) };
  }
}
