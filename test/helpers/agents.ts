// For tests whose agents are real processes (the control socket, lifeline inspect): a private
// runtime folder for their sockets, and cleanups run after each test, newest first, then every
// fixture pid written to a registered pid file killed.

import { mkdirSync } from 'node:fs';
import { afterAll, afterEach } from 'vitest';
import { isAlive, killAll, readPids, removeTempFiles, tempFile } from './processes.js';

/** A fresh XDG_RUNTIME_DIR, 0700 as systemd makes it. */
export function privateRuntimeDir(): string {
  const dir = tempFile('agent-runtime');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

export interface AgentCleanup {
  /** Runs after the test, newest first. */
  later(cleanup: () => Promise<unknown> | unknown): void;
  /** A pid file for fixtures (FIXTURE_PIDFILE); its survivors are killed after the test. */
  pidfile(prefix: string): string;
}

/** Registers the hooks of the calling test file. */
export function useAgentCleanup(): AgentCleanup {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const pidfiles: string[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const file of pidfiles.splice(0)) killAll(readPids(file).filter(isAlive));
  });
  afterAll(() => removeTempFiles());
  return {
    later: (cleanup) => {
      cleanups.push(cleanup);
    },
    pidfile: (prefix) => {
      const file = tempFile(prefix);
      pidfiles.push(file);
      return file;
    },
  };
}
