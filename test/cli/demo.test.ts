// The `lifeline` CLI, run as users run it: the built dist/cli/main.js in a child process.

import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectionMachine } from '../../src/machines/connection.js';
import { toMermaid } from '../../src/machines/diagram.js';
import { buildCli, lifeline, repoRoot } from '../helpers/cli.js';

// Build once, so the tests run the CLI from the current sources.
beforeAll(() => buildCli(), 180_000);

describe('lifeline demo', () => {
  it('survives a server crash and exits 0 on its own', async () => {
    const run = await lifeline(['demo']);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).toBe(0);
    expect(run.ms).toBeLessThan(20_000);
    expect(run.stdout).toMatch(/^\+\d+\.\d{3}s {2}idle → connecting$/m);
    expect(run.stdout).toMatch(/connecting → open \(pid \d+\)/);
    expect(run.stdout).toMatch(
      /open → reconnecting: Server process was killed by SIGKILL; retry 1 in \d+ ms/,
    );
    expect(run.stdout).toMatch(/reconnecting → connecting \(retry 1\)/);
    expect(run.stdout).toMatch(/tools\/list: echo, add/);
    expect(run.stdout).toMatch(/add\(2, 3\) = 5/);
    expect(run.stdout).toMatch(
      /3\/3 in-flight calls failed fast in \d+ ms: MCP error -32090: Connection lost/,
    );
    expect(run.stdout).toMatch(
      /recovered in .+: echo on the same client = "Echo: back again" \(new pid \d+, was \d+\)/,
    );
    expect(run.stdout).toMatch(/closing → idle/);
    expect(run.stdout).toMatch(/final state: idle/);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('prints transitions as JSON lines with --json', async () => {
    const run = await lifeline(['demo', '--json']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { state?: unknown; pid?: unknown });
    for (const event of events) expect(typeof event.state).toBe('string');
    const states = events.map((event) => event.state);
    expect(states).toEqual(expect.arrayContaining(['connecting', 'open', 'reconnecting', 'closing', 'idle']));
    expect(states.at(-1)).toBe('idle');
    // Progress still shows, on stderr.
    expect(run.stderr).toMatch(/recovered in/);
  });

  it('explains itself with --help', async () => {
    const run = await lifeline(['demo', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--keep-running');
  });
});

describe('lifeline', () => {
  it('--help lists the commands and exits 0', async () => {
    for (const args of [['--help'], ['help']]) {
      const run = await lifeline(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: lifeline <command>/);
      expect(run.stdout).toMatch(/^ {2}demo /m);
    }
  });

  it('exits 2 with one line and where the usage is, on stderr, for an unknown command or option', async () => {
    const unknown = await lifeline(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe("lifeline: unknown command nope\nRun 'lifeline --help' for usage.\n");
    const badFlag = await lifeline(['demo', '--nope']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe(
      "lifeline demo: unknown option --nope\nRun 'lifeline help demo' for usage.\n",
    );
    const none = await lifeline([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: lifeline <command>');
  });

  it('statechart prints the Mermaid diagram of the machine', async () => {
    const run = await lifeline(['statechart']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(toMermaid(connectionMachine));
  });
});

describe('the built package', () => {
  it('can be imported by name from plain Node: createTransport from mcp-lifeline, the codec from mcp-lifeline/codec', () => {
    const script = [
      "import { createTransport, ErrorCode, CONNECTION_LOST_RPC_CODE } from 'mcp-lifeline';",
      "import { createNdjsonDecoder } from 'mcp-lifeline/codec';",
      "const t = createTransport({ command: process.execPath, args: ['-e', ''] });",
      'console.log(JSON.stringify({ state: t.state, code: ErrorCode.ConnectionLost, rpc: CONNECTION_LOST_RPC_CODE, decoder: typeof createNdjsonDecoder }));',
    ].join('\n');
    // Self-reference by package name resolves through package.json "exports", as for a user.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      state: 'idle',
      code: 'LIFELINE_ERR_CONNECTION_LOST',
      rpc: -32090,
      decoder: 'function',
    });
  });
});
