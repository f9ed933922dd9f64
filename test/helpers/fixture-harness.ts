/**
 * A per-file harness for transport tests against the fixture server: transports opened through
 * it are closed after each test, and every pid a fixture wrote to its pid file is killed.
 */

import { afterAll, afterEach } from 'vitest';
import type { StdioConfig } from '../../src/runtime/options/resolve.js';
import { createTransport, type LifelineTransport } from '../../src/runtime/transport.js';
import { fixturePath, isAlive, killAll, readPids, removeTempFiles, tempFile } from './processes.js';

export const FIXTURE_SERVER = fixturePath('stdio-server.mjs');

type Extra = Omit<StdioConfig, 'command' | 'env'>;

export interface FixtureHarness {
  /** A pid file fixtures append their pids to; survivors are killed after the test. */
  pidfile(): string;
  /** The fixture server (or, with `args`, another script), with small deadlines. */
  fixture(env?: Record<string, string>, extra?: Extra): StdioConfig;
  /** Creates a transport that is closed after the test. */
  open(config: StdioConfig): LifelineTransport;
}

/** Registers the cleanup hooks of the calling test file and returns its helpers. */
export function useFixtureHarness(name: string): FixtureHarness {
  const transports: LifelineTransport[] = [];
  const pidfiles: string[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
    for (const file of pidfiles.splice(0)) killAll(readPids(file).filter(isAlive));
  });
  afterAll(removeTempFiles);
  return {
    pidfile() {
      const file = tempFile(`${name}-pids`);
      pidfiles.push(file);
      return file;
    },
    fixture(env = {}, extra = {}) {
      return {
        command: process.execPath,
        args: [FIXTURE_SERVER],
        env,
        stderr: 'ignore',
        timeouts: { closeMs: 200 },
        reconnect: { initialDelayMs: 50, jitter: 0 },
        heartbeat: { intervalMs: 0 },
        ...extra,
      };
    },
    open(config) {
      const transport = createTransport(config);
      transports.push(transport);
      return transport;
    },
  };
}
