// `lifeline bridge`, started as a desktop host starts it: dist/cli/main.js as a child process
// speaking NDJSON on its stdin and stdout, in front of real servers (the stdio fixture, the
// everything server). The host is the SDK v1 Client over StdioClientTransport, or a raw one that
// checks every line the bridge writes.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { copyFileSync, renameSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE } from '../../src/errors.js';
import { buildCli, cli, cliEnv, lifeline } from '../helpers/cli.js';
import {
  everythingServerPath,
  fixturePath,
  isAlive,
  killAll,
  killQuietly,
  readPids,
  removeTempFiles,
  tempFile,
  waitFor,
} from '../helpers/processes.js';
import { startEverything, startLegacyStateful, stopAll } from '../peers/index.js';

const fixture = fixturePath('stdio-server.mjs');
const pidfiles: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(() => buildCli(), 180_000);
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
  for (const file of pidfiles.splice(0)) killAll(readPids(file).filter(isAlive));
  await stopAll();
});
afterAll(() => removeTempFiles());

function pidfile(): string {
  const file = tempFile('bridge-pids');
  pidfiles.push(file);
  return file;
}

function stringEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cliEnv()).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** A host that speaks raw NDJSON to the bridge and parses every line the bridge writes. */
class RawHost {
  readonly child: ChildProcessWithoutNullStreams;
  /** Lines of stdout that are not one JSON-RPC message: must stay empty. */
  readonly strays: string[] = [];
  readonly messages: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [cli, 'bridge', ...args], { env: cliEnv(), stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (message.jsonrpc !== '2.0') this.strays.push(line);
        this.messages.push(message);
      } catch {
        this.strays.push(line);
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    cleanups.push(async () => {
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
      await this.exited;
    });
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  send(message: object): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends a request; resolves to its answer. */
  async request(id: number, method: string, params: object = {}): Promise<Record<string, unknown>> {
    this.send({ jsonrpc: '2.0', id, method, params });
    await waitFor(() => this.answer(id) !== undefined, {
      timeoutMs: 15_000,
      message: `no answer to ${id}: ${this.stderr}`,
    });
    return this.answer(id) as Record<string, unknown>;
  }

  answer(id: unknown): Record<string, unknown> | undefined {
    return this.messages.find((message) => message.id === id && !('method' in message));
  }

  async handshake(): Promise<void> {
    const clientInfo = { name: 'raw-host', version: '1.0.0' };
    await this.request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  /** Waits until stderr holds `pattern` `times` times. */
  waitForLog(pattern: RegExp, times = 1): Promise<void> {
    const count = (): number => this.stderr.split(pattern).length - 1;
    return waitFor(() => count() >= times, {
      timeoutMs: 15_000,
      message: `${times}x ${pattern} in:\n${this.stderr}`,
    });
  }
}

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] as { text: string }).text;
}

describe('lifeline bridge', () => {
  it('serves an SDK Client as a desktop host would; calls made while the target restarts succeed after the delay', async () => {
    const pids = pidfile();
    const args = [
      'bridge',
      '--reconnect-delay',
      '800',
      '--env',
      `FIXTURE_PIDFILE=${pids}`,
      '--',
      process.execPath,
      fixture,
    ];
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, ...args],
      env: stringEnv(),
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' });
    cleanups.push(() => client.close());
    await client.connect(transport);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'one' } }))).toBe('Echo: one');

    const [first] = readPids(pids);
    killQuietly(first as number, 'SIGKILL');
    await waitFor(() => /reconnecting in \d+ ms/.test(log), { timeoutMs: 10_000, message: log });
    const started = performance.now();
    const during = await client.callTool({ name: 'echo', arguments: { message: 'two' } });
    const waitedMs = performance.now() - started;
    expect(textOf(during)).toBe('Echo: two');
    expect(waitedMs).toBeGreaterThan(200);
    expect(waitedMs).toBeLessThan(5000);
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} }))) as Record<
      string,
      number
    >;
    // A new process, and the host's handshake replayed on it.
    expect(stats.pid).not.toBe(first);
    expect(stats).toMatchObject({ initializeCount: 1, initializedCount: 1 });
    if (process.env.LIFELINE_TEST_TIMINGS)
      console.info(`[timing] call during the restart answered in ${waitedMs.toFixed(0)} ms`);
  });

  it('passes server-to-client requests (sampling) and their answers both ways', async () => {
    const client = new Client({ name: 'desktop-host', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: 'sampled by the host' },
    }));
    const args = [
      cli,
      'bridge',
      '--log-level',
      'warn',
      '--',
      process.execPath,
      everythingServerPath(),
      'stdio',
    ];
    cleanups.push(() => client.close());
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args, env: stringEnv(), stderr: 'pipe' }),
    );
    await waitFor(
      async () => (await client.listTools()).tools.some((tool) => tool.name === 'trigger-sampling-request'),
      {
        timeoutMs: 10_000,
      },
    );
    const result = await client.callTool({
      name: 'trigger-sampling-request',
      arguments: { prompt: 'hello' },
    });
    expect(JSON.stringify(result)).toContain('sampled by the host');
  });

  it('bridges to a Streamable HTTP server by URL and survives its restart (a new session, replayed)', async () => {
    const peer = await startLegacyStateful();
    const host = new RawHost(['--reconnect-delay', '200', peer.url]);
    await host.handshake();
    const before = await host.request(1, 'tools/call', { name: 'stats', arguments: {} });
    await peer.restart();
    const started = performance.now();
    const after = await host.request(2, 'tools/call', {
      name: 'echo',
      arguments: { message: 'after restart' },
    });
    const waitedMs = performance.now() - started;
    expect(textOf(after.result)).toBe('Echo: after restart');
    const stats = await host.request(3, 'tools/call', { name: 'stats', arguments: {} });
    expect(JSON.parse(textOf(stats.result)).pid).not.toBe(JSON.parse(textOf(before.result)).pid);
    expect(host.strays).toEqual([]);
    if (process.env.LIFELINE_TEST_TIMINGS)
      console.info(`[timing] first call after the HTTP restart: ${waitedMs.toFixed(0)} ms`);
  });

  it('issue 14: bridges to an HTTP+SSE-only server by URL, through the fallback', async () => {
    const peer = await startEverything('sse');
    const host = new RawHost(['--reconnect-max-attempts', '0', peer.url]);
    await host.handshake();
    const answer = await host.request(1, 'tools/call', { name: 'echo', arguments: { message: 'over sse' } });
    expect(answer.error, host.stderr).toBeUndefined();
    expect(textOf(answer.result)).toBe('Echo: over sse');
    expect(host.strays).toEqual([]);
    // The switch is told (info), and is no failure: no link down, no retry.
    expect(host.stderr).toMatch(
      / info .*refused Streamable HTTP \(HTTP 404\); falling back to the legacy HTTP\+SSE/,
    );
    expect(host.stderr).not.toMatch(/reconnecting|link down/);
  });

  it('issue 14: answers -32600 (id null) to a JSON value that is not a message, nothing to a stray response; --verbose logs on stderr only', async () => {
    const host = new RawHost(['--verbose', '--', process.execPath, fixture]);
    await host.handshake();
    host.write('{"foo":1}\n');
    host.write('{"jsonrpc":"2.0","id":"stray","result":{}}\n');
    host.write('{"jsonrpc":"2.0","id":"bad-error","error":"not an object"}\n');
    expect(await host.request(2, 'ping')).toHaveProperty('result');
    await waitFor(() => host.answer(null) !== undefined);
    expect(host.messages.filter((message) => message.id === null)).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: expect.stringMatching(/^Invalid Request: /) },
      },
    ]);
    expect(host.messages.some((message) => message.id === 'stray' || message.id === 'bad-error')).toBe(false);
    expect(host.strays).toEqual([]);
    expect(host.stderr).toMatch(/ debug /);
  });

  it('answers with a JSON-RPC error once the target stays down, then connects again on the next message', async () => {
    const pids = pidfile();
    const server = tempFile('bridge-server.mjs');
    copyFileSync(fixture, server);
    const host = new RawHost([
      '--reconnect-delay',
      '100',
      '--reconnect-max-attempts',
      '2',
      '--env',
      `FIXTURE_PIDFILE=${pids}`,
      '--',
      process.execPath,
      server,
    ]);
    await host.handshake();
    expect(
      await host.request(1, 'tools/call', { name: 'echo', arguments: { message: 'up' } }),
    ).toHaveProperty('result');

    // The target dies and cannot start again: the policy's two retries fail, the bridge gives up.
    renameSync(server, `${server}.away`);
    killQuietly(readPids(pids)[0] as number, 'SIGKILL');
    await host.waitForLog(/failed: Gave up/, 1);
    const refused = await host.request(2, 'tools/call', { name: 'echo', arguments: { message: 'down' } });
    expect(refused.error).toMatchObject({
      code: CONNECTION_LOST_RPC_CODE,
      message: expect.stringMatching(/unreachable/),
    });
    // That message started connecting again, in vain: the server is still away.
    await host.waitForLog(/failed: Gave up/, 2);

    // It is back: the next message is refused but starts afresh, and the host's session is replayed.
    renameSync(`${server}.away`, server);
    const trigger = await host.request(3, 'tools/call', { name: 'echo', arguments: { message: 'again?' } });
    expect(trigger.error).toMatchObject({ code: CONNECTION_LOST_RPC_CODE });
    const stats = await host.request(4, 'tools/call', { name: 'stats', arguments: {} });
    expect(JSON.parse(textOf(stats.result))).toMatchObject({ initializeCount: 1, initializedCount: 1 });
    expect(readPids(pids)).toHaveLength(2);

    // A line that is not JSON gets a parse error (id null); the bridge goes on.
    host.write('this is not json\n');
    await waitFor(() => host.answer(null) !== undefined);
    expect(host.answer(null)).toMatchObject({ error: { code: -32700 } });
    host.write('{"jsonrpc":"2.0","id":9,"method":7}\n');
    await waitFor(() => host.answer(9) !== undefined);
    expect(host.answer(9)).toMatchObject({ error: { code: -32600 } });
    expect(await host.request(5, 'ping')).toHaveProperty('result');
    expect(host.strays).toEqual([]);
  });

  it('closes the target and exits 0 when the host closes stdin, and on SIGTERM', async () => {
    for (const stop of ['stdin', 'SIGTERM'] as const) {
      const pids = pidfile();
      const host = new RawHost(['--env', `FIXTURE_PIDFILE=${pids}`, '--', process.execPath, fixture]);
      await host.handshake();
      const [target] = readPids(pids);
      expect(isAlive(target as number)).toBe(true);
      if (stop === 'stdin') host.child.stdin.end();
      else host.child.kill('SIGTERM');
      expect(await host.exited).toEqual({ code: 0, signal: null });
      expect(isAlive(target as number)).toBe(false);
      expect(host.strays).toEqual([]);
      expect(host.stderr).toMatch(/stopping \((the host closed stdin|SIGTERM)\)/);
    }
  });

  it('explains itself with --help and refuses a bad --log-level with exit 2', async () => {
    const help = await lifeline(['bridge', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lifeline bridge/);
    expect(help.stdout).toContain('--log-level');
    const bad = await lifeline(['bridge', '--log-level', 'loud', '--', 'node']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--log-level expects one of');
  });
});
