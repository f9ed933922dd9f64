// A separate process that owns a Docker transport's container, for the tests of the orphan sweep: it
// opens a transport on the suite's engine (through the built library, as a user's process would),
// prints `open`, and stays alive until it is killed; SIGKILLed, it leaves its container behind.

import { type ChildProcess, spawn } from 'node:child_process';
import type { DockerSuite } from './index.js';

/** The built library (`npm run build`; `npm install` builds it through `prepare`): the process imports it. */
export const DIST = new URL('../../dist/index.js', import.meta.url);

/** A running owner: `opened` once its transport is open, `exited` once it is reaped. */
export interface OwnerProcess {
  child: ChildProcess;
  opened: Promise<void>;
  exited: Promise<void>;
}

/**
 * Starts a process that opens a Docker transport and stays alive until killed. The caller kills it
 * (afterEach or finally). `name` says who it is in the error when it exits before opening.
 */
export function spawnOwner(suite: DockerSuite, name = 'the owner process'): OwnerProcess {
  const script = `
    import { createTransport } from ${JSON.stringify(DIST.href)};
    const transport = createTransport({
      type: 'docker',
      image: ${JSON.stringify(suite.image)},
      network: 'none',
      heartbeat: { intervalMs: 0 },
      docker: { socketPath: ${JSON.stringify(suite.engine.socketPath)}, pull: 'never' },
    });
    await transport.start();
    process.stdout.write('open\\n');
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('open\n')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before opening:\n${stderr}`)),
    );
  });
  return { child, opened, exited };
}
