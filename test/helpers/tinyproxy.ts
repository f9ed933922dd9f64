/**
 * Debian's tinyproxy (a forward proxy deployed in front of real networks) as a test peer: started
 * on a free loopback port with a config of our own, every tunnel and request counted from its
 * log, stopped (by its pid) on `close()`. `tinyproxyPath` is undefined when it is not installed.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../peers/index.js';
import type { ForwardProxy } from './forward-proxy.js';

/** Where Debian installs it; undefined when it is not there. */
export const tinyproxyPath: string | undefined = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((path) =>
  existsSync(path),
);

/** Starts tinyproxy; resolves once it accepts connections. */
export async function startTinyproxy(): Promise<ForwardProxy> {
  if (tinyproxyPath === undefined) throw new Error('tinyproxy is not installed (apt-get install tinyproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-tinyproxy-'));
  const log = join(dir, 'tinyproxy.log');
  const port = await freePort();
  // No ConnectPort line: CONNECT to any port (Debian's default config allows 443 and 563 only).
  // Timeout 600: idle SSE streams stay open as long as the tests need.
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 600',
      'MaxClients 64',
      'Allow 127.0.0.1',
      'LogLevel Connect',
      `LogFile "${log}"`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(tinyproxyPath, ['-d', '-c', join(dir, 'tinyproxy.conf')], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilListening(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  /** Counts of `Request (file descriptor N): METHOD target` lines, by `host:port`. */
  const counts = (connect: boolean): Map<string, number> => {
    const table = new Map<string, number>();
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    for (const [, method, target] of text.matchAll(/Request \(file descriptor \d+\): (\S+) (\S+)/g)) {
      if ((method === 'CONNECT') !== connect || target === undefined) continue;
      const key = connect ? target : hostPort(target);
      table.set(key, (table.get(key) ?? 0) + 1);
    }
    return table;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get tunnels() {
      return counts(true);
    },
    get requests() {
      return counts(false);
    },
    refused: 0,
    bytesUp: 0,
    relayed(target) {
      return (counts(true).get(target) ?? 0) + (counts(false).get(target) ?? 0);
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function hostPort(absolute: string): string {
  const url = new URL(absolute);
  return `${url.hostname}:${url.port || 80}`;
}

async function untilListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`tinyproxy did not listen on ${port} within 5 s`);
}
