// Temporary directories of real files for the config tests, removed after each test.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { ConfigFileError } from '../../src/config/index.js';

/** The example files, shared with docs/configuration.md. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

/** The text of a file in test/fixtures/config. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/**
 * Registers the clean-up; returns `make`, which creates a directory holding `files` (paths
 * relative to it, folders created as needed) and returns its path.
 */
export function useTempDirs(): (files?: Readonly<Record<string, string>>) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (files = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-config-'));
    made.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
}

/** The ConfigFileError `run` throws (none, or another error: the test fails). */
export function configFileError(run: () => unknown): ConfigFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigFileError) return error;
    throw error;
  }
  throw new Error('expected a ConfigFileError');
}
