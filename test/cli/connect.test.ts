// `lifeline connect`, run as users run it (dist/cli/main.js in a child process) against real
// servers: the stdio fixture, the everything server, a v1 SDK Streamable HTTP server.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cliEnv, lifeline } from '../helpers/cli.js';
import { everythingServerPath, fixturePath, removeTempFiles, tempFile } from '../helpers/processes.js';
import { startEverything, startLegacyStateful, stopAll } from '../peers/index.js';

const fixture = fixturePath('stdio-server.mjs');
const missingKey = fixturePath('missing-key-server.mjs');

beforeAll(() => buildCli(), 180_000);
afterEach(() => stopAll());
afterAll(() => removeTempFiles());

/** Writes a config file into a fresh folder; returns its path. */
function configFile(content: unknown, name = 'mcp.json'): string {
  const path = join(dirname(tempFile('connect-config')), name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

describe('lifeline connect', () => {
  it('connects to a command after -- and prints the server and its tools', async () => {
    const run = await lifeline(['connect', '--', process.execPath, fixture]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^server {5}fixture 1\.0\.0$/m);
    expect(run.stdout).toMatch(/^protocol {3}2025-\d\d-\d\d \(legacy era\)$/m);
    expect(run.stdout).toMatch(/^transport {2}stdio \(/m);
    expect(run.stdout).toMatch(/^tools {6}5$/m);
    expect(run.stdout).toMatch(/^ {2}echo +Echoes the message back$/m);
    expect(run.stderr).toMatch(/connected to fixture 1\.0\.0/);
  });

  it('connects to a Streamable HTTP server by URL', async () => {
    const peer = await startLegacyStateful();
    const run = await lifeline(['connect', '--json', peer.url]);
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as {
      server: { transport: string; era: string; protocolVersion: string; name: string };
      tools: { name: string }[];
    };
    expect(output.server).toMatchObject({ transport: 'http', era: 'legacy' });
    expect(output.server.protocolVersion).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(output.tools.map((tool) => tool.name)).toContain('echo');
  });

  it('issue 14: reaches an HTTP+SSE-only server by URL through the fallback, as a config entry does', async () => {
    const peer = await startEverything('sse');
    // No retry to spare: the fallback is no failed attempt.
    const run = await lifeline(['connect', '--json', '--reconnect-max-attempts', '0', peer.url]);
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { server: { transport: string }; tools: { name: string }[] };
    expect(output.server.transport).toBe('http');
    expect(output.tools.map((tool) => tool.name)).toContain('echo');
    expect(run.stderr).not.toContain('404');
  });

  it('calls a tool with --call and --args and prints its text', async () => {
    const run = await lifeline([
      'connect',
      '--call',
      'echo',
      '--args',
      '{"message":"hi there"}',
      '--',
      process.execPath,
      fixture,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Echo: hi there\n');
  });

  it('prints the raw tool result with --json, and exits 1 on a tool error', async () => {
    const everything = ['--', process.execPath, everythingServerPath(), 'stdio'];
    const ok = await lifeline([
      'connect',
      '--json',
      '--call',
      'echo',
      '--args',
      '{"message":"x"}',
      ...everything,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ content: [{ type: 'text', text: 'Echo: x' }] });
    const failed = await lifeline(['connect', '--json', '--call', 'echo', '--args', '{}', ...everything]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ isError: true });
  });

  it('finds a server by name in the config file of the working directory, and in --config', async () => {
    const pidfile = tempFile('connect-pids');
    const path = configFile({
      mcpServers: {
        fixture: { command: process.execPath, args: [fixture], env: { FIXTURE_PIDFILE: pidfile } },
        remote: { url: 'https://example.invalid/mcp' },
      },
    });
    const home = dirname(path);
    const byCwd = await lifeline(['connect', '--call', 'echo', '--args', '{"message":"named"}', 'fixture'], {
      cwd: dirname(path),
      env: cliEnv({ HOME: home }),
    });
    expect(byCwd.code, byCwd.stderr).toBe(0);
    expect(byCwd.stdout).toBe('Echo: named\n');
    expect(existsSync(pidfile)).toBe(true);
    const byFlag = await lifeline(['connect', '--json', '--config', path, 'fixture']);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({
      server: { name: 'fixture', transport: 'stdio', target: 'fixture' },
    });
  });

  it('exits 2 naming the servers there for an unknown name', async () => {
    const path = configFile({
      mcpServers: { alpha: { command: 'a' }, beta: { url: 'http://127.0.0.1:1/mcp' } },
    });
    const run = await lifeline(['connect', '--config', path, 'gamma']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`unknown server "gamma" in ${path} (servers there: alpha, beta)`);
  });

  it('exits 2 listing where it looked when there is no config file', async () => {
    const empty = dirname(tempFile('connect-empty'));
    const run = await lifeline(['connect', 'anything'], { cwd: empty, env: cliEnv({ HOME: empty }) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no config file found');
    expect(run.stderr).toContain(join(empty, 'mcp.json'));
    expect(run.stderr).toContain(join(empty, '.vscode', 'mcp.json'));
  });

  it('exits 2 with every problem of an invalid config file, starting nothing', async () => {
    const pidfile = tempFile('connect-invalid');
    const path = configFile({
      mcpServers: {
        good: { command: process.execPath, args: [fixture], env: { FIXTURE_PIDFILE: pidfile } },
        bad: { url: 5 },
        worse: { command: 'x', headers: 'nope', type: 'carrier-pigeon' },
      },
      lifeline: { servers: { good: { reconnect: { maxAttempts: 'many' } } } },
    });
    const run = await lifeline(['connect', '--config', path, 'good']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`invalid configuration in ${path}`);
    const problems = run.stderr.split('\n').filter((line) => line.startsWith('  - '));
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(run.stderr).toContain('maxAttempts');
    expect(run.stderr).toContain('"bad"');
    expect(run.stderr).toContain('"worse"');
    expect(existsSync(pidfile)).toBe(false);
  });

  it('gives up on an unreachable URL after --timeout with exit 1 and the last error', async () => {
    const run = await lifeline([
      'connect',
      '--timeout',
      '1500',
      '--reconnect-delay',
      '200',
      'http://127.0.0.1:9/mcp',
    ]);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(6000);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^lifeline connect: http:\/\/127\.0\.0\.1:9\/mcp: POST .*ECONNREFUSED; retry 1 in [\d.]+ (ms|s)$/m,
    );
    expect(run.stderr).toMatch(/retry 2 in/);
    expect(run.stderr).toMatch(/timed out after 1500 ms .*\(last error: .*ECONNREFUSED/);
  });

  it('issue 14: says once why a stdio server died, with its last stderr lines (secrets redacted), and promises no retry', async () => {
    const secret = 'sk-live-0123456789abcdef';
    const run = await lifeline([
      'connect',
      '--env',
      `BOOM_TOKEN=${secret}`,
      '--',
      process.execPath,
      missingKey,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^lifeline connect: connecting to .* \(stdio\)…$/),
      expect.stringMatching(
        /^lifeline connect: could not connect to .*: Server process exited with code 1 \(stderr: checking token \[redacted\] \| boom: missing API_KEY\)$/,
      ),
    ]);
    expect(run.stderr).not.toContain(secret);
    expect(run.stderr).not.toMatch(/retry \d+ in/);
  });

  it('issue 14: logs on stderr with --verbose or --log-level, retries numbered as everywhere else', async () => {
    const verbose = await lifeline(['connect', '--verbose', '--', process.execPath, missingKey]);
    expect(verbose.code).toBe(1);
    // The server's stderr as it is written (debug), then the retry the transport plans.
    expect(verbose.stderr).toMatch(/ debug .*boom: missing API_KEY \{"source":"stderr"\}/);
    expect(verbose.stderr).toMatch(/ warn {2}.*reconnecting in \d+ ms \(retry 1\)/);
    const quiet = await lifeline(['connect', '--log-level', 'error', '--', process.execPath, missingKey]);
    expect(quiet.stderr).not.toMatch(/ (debug|info|warn) /);
    const both = await lifeline(['connect', '--verbose', '--log-level', 'info', '--', 'node']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --verbose or --log-level, not both');
  });

  it('exits 1 at once for a command that does not exist', async () => {
    const run = await lifeline(['connect', '--', '/nonexistent/mcp-server']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/could not connect .*command not found/);
  });

  it('closes and exits 130 on Ctrl-C', async () => {
    const run = await lifeline(['connect', 'http://127.0.0.1:9/mcp'], {
      signal: { name: 'SIGINT', when: /retry 1 in/ },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('interrupted: closing');
  });

  it('refuses mistakes with exit 2: no target, two targets, bad --args, --header on a command', async () => {
    const cases: [string[], string][] = [
      [['connect'], 'missing <target>'],
      [['connect', 'a', 'b'], 'one <target> at a time'],
      [['connect', '--call', 'echo', '--args', '[1]', 'http://127.0.0.1:9/'], '--args must be a JSON object'],
      [['connect', '--header', 'X-A: 1', '--', 'node'], '--header applies to URL targets'],
      [['connect', '--env', 'NOPE', '--', 'node'], '--env expects KEY=VALUE'],
      [['connect', 'ftp://example.com/'], 'unsupported URL scheme'],
    ];
    for (const [args, message] of cases) {
      const run = await lifeline(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });

  it('explains itself with --help', async () => {
    const run = await lifeline(['connect', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: lifeline connect/);
    for (const flag of [
      '--call',
      '--args',
      '--json',
      '--timeout',
      '--config',
      '--header',
      '--env',
      '--verbose',
      '--log-level',
    ])
      expect(run.stdout).toContain(flag);
  });
});
