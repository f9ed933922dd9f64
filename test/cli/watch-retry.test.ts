// Issue 16, point 2: `lifeline watch` kept a server whose first connect failed as it was, for good.
// Two real servers are down when `watch` starts: a stdio server that exits 1 until its backend is up
// (the SDK client's handshake dies with it, and the SDK closes the transport) and a Streamable HTTP
// server whose port nobody listens on yet. `watch` (dist/cli/main.js in a child process) shows both
// as retrying with a next retry time, never as idle, and picks both up once they are started.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cli, cliEnv, repoRoot } from '../helpers/cli.js';
import { fixturePath, isAlive, killAll, readPids, waitFor } from '../helpers/processes.js';
import { ChildPeer, freePort, stopAll } from '../peers/peer.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-watch-retry-'));
const pidfile = join(dir, 'pids');
const gate = join(dir, 'backend-up');
const children: ReturnType<typeof spawn>[] = [];

beforeAll(() => buildCli(), 180_000);
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await stopAll();
});
afterAll(() => {
  if (existsSync(pidfile)) killAll(readPids(pidfile).filter(isAlive));
});

interface Line {
  name: string;
  state: string;
  attempt: number;
  nextRetryAt: string | null;
  roundTripMs: number | null;
  server: string | null;
}

describe('lifeline watch, a server down at start', () => {
  it('keeps retrying it by its policy, shows it as reconnecting, and picks it up once it is started', async () => {
    const port = await freePort();
    // The v1 SDK's stateful Streamable HTTP server, started later on the port named in the file.
    const http = new ChildPeer(
      {
        name: 'http-legacy-server (late)',
        path: '/mcp',
        args: () => ['--import', fixturePath('http-watchdog.mjs'), fixturePath('http-legacy-server.mjs')],
        readyText: (p) => `listening on http://127.0.0.1:${p} `,
      },
      port,
    );
    const config = join(dir, 'late.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          stdio: {
            command: process.execPath,
            args: [fixturePath('gated-server.mjs')],
            env: { FIXTURE_GATE: gate, FIXTURE_PIDFILE: pidfile },
          },
          http: { url: http.url },
        },
        lifeline: {
          defaults: { reconnect: { initialDelayMs: 100, maxDelayMs: 300 }, timeouts: { closeMs: 300 } },
        },
      }),
    );

    const child = spawn(process.execPath, [cli, 'watch', '--config', config, '--json', '--interval', '200'], {
      cwd: repoRoot,
      env: cliEnv(),
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines = (name: string): Line[] =>
      stdout
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Line)
        .filter((line) => line.name === name);

    // The stdio server's handshake failed (the process exited under `initialize`) more than once:
    // `watch` went on trying after the SDK client gave up and closed the transport.
    await waitFor(() => lines('stdio').some((l) => l.state === 'reconnecting' && l.attempt >= 3), {
      timeoutMs: 10_000,
      message: `the stdio server was not retried:\n${stdout}${stderr}`,
    });
    expect(lines('http').some((l) => l.state === 'reconnecting')).toBe(true);

    // The backends come up.
    writeFileSync(gate, '');
    await http.start();
    const ready = (name: string): boolean =>
      lines(name).some((l) => l.state === 'open' && l.server !== null && l.roundTripMs !== null);
    await waitFor(() => ready('stdio') && ready('http'), {
      timeoutMs: 15_000,
      message: `not both picked up:\n${stdout}${stderr}`,
    });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const name of ['stdio', 'http']) {
      const states = lines(name).map((l) => l.state);
      // Shown as retrying all along: never `idle`, never `failed`.
      expect(states, name).not.toContain('idle');
      expect(states, name).not.toContain('failed');
      for (const line of lines(name).filter((l) => l.state === 'reconnecting'))
        expect(line.nextRetryAt, name).not.toBeNull();
    }
    expect(lines('stdio').find((l) => l.server !== null)?.server).toMatch(/^fixture /);
    expect(lines('http').find((l) => l.server !== null)?.server).toMatch(/http-legacy-fixture/);
    await waitFor(() => readPids(pidfile).every((pid) => !isAlive(pid)));
  }, 45_000);
});
