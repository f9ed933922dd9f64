// @ts-check
/**
 * The commit a benchmark or soak measured, and whether src/ had uncommitted changes (read-only git
 * calls), for the header of their reports.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** @returns {{ commit: string, srcDirty: boolean | undefined }} */
export function sourceRevision() {
  const git = (/** @type {string[]} */ ...args) =>
    execFileSync('git', ['--no-optional-locks', ...args], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      srcDirty: git('status', '--porcelain', '--', 'src') !== '',
    };
  } catch {
    return { commit: 'unknown', srcDirty: undefined };
  }
}

/** The same as one phrase: `abc1234`, `abc1234 + uncommitted src changes`, or `unknown`. */
export function describeRevision() {
  const { commit, srcDirty } = sourceRevision();
  return srcDirty === true ? `${commit} + uncommitted src changes` : commit;
}
