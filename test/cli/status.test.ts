// `lifeline status` and `lifeline watch` as users run them (dist/cli/main.js in a child process,
// `watch` also under a pseudo-terminal): the servers of a config file, their states and
// round-trip times, a server killed under `watch`, and a config file with five mistakes that
// every command refuses with exit code 2 before starting anything.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cli, cliEnv, lifeline, repoRoot, type StatusRow, statusJson } from '../helpers/cli.js';
import { FIXTURE_SERVER } from '../helpers/fixture-harness.js';
import { reply, startMisbehavingServer } from '../helpers/http-misbehaving.js';
import { fixturePath, isAlive, killAll, readPids, waitFor } from '../helpers/processes.js';
import { startEverything, stopAll } from '../peers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-status-'));
const pidfiles: string[] = [];
afterAll(() => {
  for (const file of pidfiles) killAll(readPids(file).filter(isAlive));
});
beforeAll(() => buildCli(), 180_000);

/** A fixture server entry writing its pids to its own file. */
function fixtureServer(name: string): { entry: object; pids: () => number[] } {
  const pidfile = join(dir, `${name}.pids`);
  pidfiles.push(pidfile);
  return {
    entry: { command: process.execPath, args: [FIXTURE_SERVER], env: { FIXTURE_PIDFILE: pidfile } },
    pids: () => (existsSync(pidfile) ? readPids(pidfile) : []),
  };
}

function writeConfig(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

const policy = {
  lifeline: {
    defaults: { reconnect: { initialDelayMs: 100, maxDelayMs: 400 }, timeouts: { closeMs: 300 } },
  },
};

describe('lifeline status', () => {
  it('prints every server of the file with its state and round-trip time, exit code 0 when all are open', async () => {
    const [alpha, beta] = [fixtureServer('alpha'), fixtureServer('beta')];
    const config = writeConfig('two.json', {
      mcpServers: { alpha: alpha.entry, beta: beta.entry },
      ...policy,
    });
    const { run, rows } = await statusJson(config);
    expect(run.code, run.stderr).toBe(0);
    expect(rows.map((row) => [row.name, row.state])).toEqual([
      ['alpha', 'open'],
      ['beta', 'open'],
    ]);
    for (const row of rows) {
      expect(row.roundTripMs).toBeGreaterThanOrEqual(0);
      expect(row.server).toMatch(/^fixture \d/);
    }
    expect(run.stderr).toContain('2 server(s)');
    // Nothing keeps running.
    await waitFor(() => [...alpha.pids(), ...beta.pids()].every((pid) => !isAlive(pid)));

    const text = await lifeline(['status', '--config', config]);
    expect(text.code).toBe(0);
    const [header, ...lines] = text.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^SERVER\s+TYPE\s+STATE\s+RETRY\s+NEXT RETRY\s+RTT\s+LAST ERROR$/);
    expect(lines.map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['alpha', 'stdio', 'open'],
      ['beta', 'stdio', 'open'],
    ]);
  }, 30_000);

  it('exits 1 and names the error when a server cannot be reached; a token never shows', async () => {
    const alpha = fixtureServer('alpha-2');
    // A server that refuses with 401 and echoes the Authorization header back in its body.
    const echoing = await startMisbehavingServer((request, response) =>
      reply(response, 401, 'text/plain', `denied: ${request.headers.authorization ?? ''}`),
    );
    try {
      const config = writeConfig('one-down.json', {
        mcpServers: {
          alpha: alpha.entry,
          gone: { url: 'http://127.0.0.1:9/mcp' },
          denied: {
            url: echoing.url('/mcp'),
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own interpolation syntax
            headers: { Authorization: 'Bearer ${env:LIFELINE_TEST_TOKEN}' },
          },
        },
        lifeline: { ...policy.lifeline, servers: { gone: { reconnect: { maxAttempts: 0 } } } },
      });
      const token = 'tok-7f3a9c1e5b2d';
      const run = await lifeline(['status', '--config', config, '--json', '--verbose'], {
        env: cliEnv({ LIFELINE_TEST_TOKEN: token }),
        timeoutMs: 30_000,
      });
      expect(run.code).toBe(1);
      const rows = JSON.parse(run.stdout) as StatusRow[];
      expect(rows.map((row) => [row.name, row.state])).toEqual([
        ['alpha', 'open'],
        ['gone', 'failed'],
        ['denied', 'failed'],
      ]);
      expect(rows[1]?.error?.code).toMatch(/^LIFELINE_ERR_/);
      expect(rows[2]?.error?.message).toMatch(/401/);
      expect(rows[2]?.error?.message).toContain('[redacted]');
      expect(run.stdout + run.stderr).not.toContain(token);
    } finally {
      await echoing.close();
    }
  }, 30_000);
});

describe('lifeline status, issue 14', () => {
  afterEach(() => stopAll());

  it('shows an HTTP+SSE-only server open, exit code 0: the fallback is no failure', async () => {
    const peer = await startEverything('sse');
    // No retry to spare, as a reminder that the fallback is not a failed attempt.
    const config = writeConfig('sse-only.json', {
      mcpServers: { legacy: { url: peer.url } },
      lifeline: { defaults: { reconnect: { maxAttempts: 0 } } },
    });
    const { run, rows } = await statusJson(config);
    expect(run.code, run.stderr).toBe(0);
    expect(rows).toEqual([
      expect.objectContaining({
        name: 'legacy',
        state: 'open',
        error: null,
        server: expect.stringMatching(/everything/),
      }),
    ]);
    expect(rows[0]?.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(run.stderr).not.toMatch(/reconnecting|LIFELINE_ERR/);
  }, 30_000);

  it('names why a stdio server died: its last stderr lines in LAST ERROR', async () => {
    const config = writeConfig('missing-key.json', {
      mcpServers: { broken: { command: process.execPath, args: [fixturePath('missing-key-server.mjs')] } },
      ...policy,
    });
    const run = await lifeline(['status', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^broken\s+stdio\s+\w+\s+1\s.*LIFELINE_ERR_PROCESS_EXIT: Server process exited with code 1 \(stderr: boom: missing API_KEY\)$/m,
    );
  }, 30_000);
});

describe('a config file with five mistakes', () => {
  it('gets five clear messages and exit code 2 from every command that reads it; nothing starts', async () => {
    const witness = fixtureServer('witness');
    const config = writeConfig('five-mistakes.json', {
      mcpServers: {
        witness: witness.entry,
        nothing: { args: ['--port', '1'] },
        badargs: { command: 'node', args: 'server.js' },
        ftp: { url: 'ftp://example.com/mcp' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own interpolation syntax
        secret: { command: 'node', env: { API_KEY: '${env:LIFELINE_TEST_SURELY_UNSET}' } },
      },
      lifeline: { defaults: { reconnect: { maxAttempts: 'many' } } },
    });
    const commands = [
      ['status', '--config', config],
      ['watch', '--config', config, '--duration', '500'],
      ['connect', 'witness', '--config', config],
      ['bridge', 'witness', '--config', config],
    ];
    for (const args of commands) {
      const run = await lifeline(args);
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(2);
      expect(run.stdout).toBe('');
      const problems = run.stderr.split('\n').filter((line) => line.startsWith('  - '));
      expect(problems, run.stderr).toHaveLength(5);
      expect(problems.join('\n')).toMatch(/"nothing"/);
      expect(problems.join('\n')).toMatch(/"badargs".*args/);
      expect(problems.join('\n')).toMatch(/"ftp".*url/);
      expect(problems.join('\n')).toMatch(/"secret".*LIFELINE_TEST_SURELY_UNSET/);
      expect(problems.join('\n')).toMatch(/maxAttempts/);
      expect(run.stderr).toContain(config);
    }
    expect(witness.pids()).toEqual([]);
  }, 60_000);
});

const ESC = String.fromCharCode(27);

/** Runs `lifeline watch` in the background, collecting its output; `stop()` sends SIGINT. */
function watchInBackground(args: string[], options: { pty?: boolean } = {}) {
  const command = [process.execPath, cli, 'watch', ...args];
  const quoted = command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  // util-linux `script` gives the child a pseudo-terminal: `watch` then redraws in place.
  const child = options.pty
    ? spawn('script', ['-qfec', `stty cols 160; exec ${quoted}`, '/dev/null'], {
        cwd: repoRoot,
        env: cliEnv({ FORCE_COLOR: '0' }),
      })
    : spawn(command[0] as string, command.slice(1), { cwd: repoRoot, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => stdout,
    errors: () => stderr,
    exited,
    stop: () => child.kill('SIGINT'),
  };
}

describe('lifeline watch', () => {
  it('prints one JSON line per change: a killed server goes to reconnecting and back to open', async () => {
    const [alpha, beta] = [fixtureServer('w-alpha'), fixtureServer('w-beta')];
    const config = writeConfig('watch.json', {
      mcpServers: { alpha: alpha.entry, beta: beta.entry },
      ...policy,
    });
    const watch = watchInBackground(['--config', config, '--json', '--interval', '200']);
    const lines = () =>
      watch
        .output()
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as { name: string; state: string; roundTripMs: number | null });
    await waitFor(
      () => lines().some((l) => l.name === 'beta' && l.state === 'open' && l.roundTripMs !== null),
      {
        timeoutMs: 15_000,
        message: `beta never open with a round-trip time:\n${watch.output()}${watch.errors()}`,
      },
    );
    process.kill(beta.pids()[0] as number, 'SIGKILL');
    await waitFor(
      () =>
        beta.pids().length === 2 &&
        lines()
          .filter((l) => l.name === 'beta')
          .at(-1)?.state === 'open',
      {
        timeoutMs: 15_000,
        message: `beta never came back:\n${watch.output()}`,
      },
    );
    watch.stop();
    expect(await watch.exited).toBe(0);
    const betaStates = lines()
      .filter((l) => l.name === 'beta')
      .map((l) => l.state);
    expect(betaStates).toContain('reconnecting');
    expect(
      lines()
        .filter((l) => l.name === 'alpha')
        .map((l) => l.state),
    ).not.toContain('reconnecting');
    expect(watch.errors()).toContain('closing every connection');
    await waitFor(() => [...alpha.pids(), ...beta.pids()].every((pid) => !isAlive(pid)));
  }, 40_000);

  it('redraws the table in place on a terminal', async () => {
    const alpha = fixtureServer('pty-alpha');
    const config = writeConfig('pty.json', { mcpServers: { alpha: alpha.entry }, ...policy });
    const watch = watchInBackground(['--config', config, '--duration', '2500', '--interval', '300'], {
      pty: true,
    });
    expect(await watch.exited).toBe(0);
    const screen = watch.output();
    expect(screen).toContain('lifeline watch · 1 server(s)');
    expect(screen).toMatch(/SERVER\s+TYPE\s+STATE/);
    expect(screen).toMatch(/alpha\s+stdio\s+open/);
    // Redrawn in place: back up over the previous drawing (CSI n F), clear below (CSI 0 J).
    expect(screen).toMatch(new RegExp(`${ESC}\\[\\d+F${ESC}\\[0J`));
    expect(screen).toContain(`${ESC}[?25h`);
    await waitFor(() => alpha.pids().every((pid) => !isAlive(pid)));
  }, 30_000);
});
