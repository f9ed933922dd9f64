// The stdio link, end to end through `createTransport`: real child processes (the fixture
// server, its npx-like wrapper, and small `node -e` scripts), their process groups, graceful
// close, spawn failures, stdout garbage, oversize messages, stderr modes, environment and secrets.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  LifelineError,
  LinkError,
  REQUEST_FAILED_RPC_CODE,
  StateError,
} from '../../src/errors.js';
import type { StdioConfig } from '../../src/runtime/options/resolve.js';
import type { LifelineTransport } from '../../src/runtime/transport.js';
import { useFixtureHarness } from '../helpers/fixture-harness.js';
import { fixturePath, groupAlive, isAlive, readPids, waitFor } from '../helpers/processes.js';
import { Raw, record, recordingLogger, textOf } from '../helpers/raw-client.js';

const WRAPPER = fixturePath('wrapper.mjs');

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const { pidfile, fixture, open } = useFixtureHarness('stdio');

function countCloses(transport: LifelineTransport): { count: number } {
  const closes = { count: 0 };
  transport.onclose = () => {
    closes.count += 1;
  };
  return closes;
}

/** A promise's rejection reason (undefined when it resolved). */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A `node -e` server: runs `script`, then stays alive until stdin ends. */
function nodeScript(
  script: string,
  extra: Omit<StdioConfig, 'command' | 'args' | 'env'> & { env?: Record<string, string> } = {},
): StdioConfig {
  const { env = {}, ...rest } = extra;
  return fixture(env, {
    args: ['-e', `${script}\nprocess.stdin.resume();\nprocess.stdin.on('end', () => process.exit(0));`],
    ...rest,
  });
}

/** Asserts no process of the pid file (nor the group its first pid leads) is alive. */
function expectAllGone(pids: readonly number[]): void {
  for (const pid of pids) expect(isAlive(pid), `pid ${pid} is still alive`).toBe(false);
  const leader = pids[0];
  if (leader !== undefined) expect(groupAlive(leader), `group ${leader} is still alive`).toBe(false);
}

/** After a close: start() again reaches `open` and the new server answers. */
async function expectRestartWorks(
  transport: LifelineTransport,
  previousPid: number | undefined,
): Promise<void> {
  const raw = new Raw(transport);
  await transport.start();
  expect(transport.state).toBe('open');
  expect(transport.pid).toBeTypeOf('number');
  expect(transport.pid).not.toBe(previousPid);
  expect(textOf(await raw.echo('again'))).toBe('Echo: again');
}

// ---------------------------------------------------------------------------------------------
// Spawn failures
// ---------------------------------------------------------------------------------------------

describe('spawn failures', () => {
  it('goes straight to failed for a missing command, with a non-retryable LIFELINE_ERR_SPAWN that start() rejects with', async () => {
    const transport = open({ ...fixture(), command: 'definitely-not-a-command-xyz', args: [] });
    const statuses = record(transport);
    const closes = countCloses(transport);
    const started = Date.now();
    const error = await rejectionOf(transport.start());

    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toBeInstanceOf(LifelineError);
    const typed = error as LinkError;
    expect(typed.code).toBe(ErrorCode.Spawn);
    expect(typed.retryable).toBe(false);
    expect(typed.message).toMatch(/"definitely-not-a-command-xyz": command not found/);
    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'failed']);
    expect(transport.status.error).toBe(error);
    expect(transport.pid).toBeUndefined();
    expect(closes.count).toBe(1);
  });

  it('names a missing working directory in the spawn error', async () => {
    const cwd = '/definitely/not/a/directory-xyz';
    const transport = open(fixture({}, { cwd }));
    const statuses = record(transport);
    const error = await rejectionOf(transport.start());
    expect(error).toBeInstanceOf(LinkError);
    expect((error as LinkError).code).toBe(ErrorCode.Spawn);
    expect((error as LinkError).retryable).toBe(false);
    expect((error as LinkError).message).toContain(`working directory ${cwd} does not exist`);
    expect(statuses.some((status) => status.state === 'reconnecting')).toBe(false);
    expect(transport.state).toBe('failed');
  });
});

// ---------------------------------------------------------------------------------------------
// close()
// ---------------------------------------------------------------------------------------------

describe('close()', () => {
  it('in connecting (before the spawn is reported): ends idle, onclose once, no process left, and start() works again', async () => {
    const pids = pidfile();
    const transport = open(fixture({ FIXTURE_PIDFILE: pids }, { timeouts: { closeMs: 300 } }));
    const closes = countCloses(transport);
    const starting = rejectionOf(transport.start());
    expect(transport.state).toBe('connecting');

    const started = Date.now();
    await transport.close();
    expect(Date.now() - started).toBeLessThan(3 * 300 + 500);
    expect(transport.state).toBe('idle');
    expect(closes.count).toBe(1);
    const error = await starting;
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe(ErrorCode.Closed);
    // The server had started (it wrote its pid) and is gone with its group.
    const spawned = readPids(pids);
    expect(spawned).toHaveLength(1);
    expectAllGone(spawned);

    await expectRestartWorks(transport, spawned[0]);
  });

  it('in open: the server exits on stdin EOF, onclose fires once, the group is gone, and start() works again', async () => {
    const pids = pidfile();
    const transport = open(fixture({ FIXTURE_PIDFILE: pids }));
    const closes = countCloses(transport);
    const raw = new Raw(transport);
    await transport.start();
    expect(textOf(await raw.echo('hi'))).toBe('Echo: hi');
    const pid = transport.pid;
    expect(readPids(pids)).toEqual([pid]);

    const started = Date.now();
    await transport.close();
    // The graceful first step (end stdin) was enough: no signal deadline was waited for.
    expect(Date.now() - started).toBeLessThan(200);
    expect(transport.state).toBe('idle');
    expect(transport.pid).toBeUndefined();
    expect(closes.count).toBe(1);
    expectAllGone(readPids(pids));
    // A second close() is a no-op.
    await transport.close();
    expect(closes.count).toBe(1);

    await expectRestartWorks(transport, pid);
    expect(closes.count).toBe(1);
  });

  it('in reconnecting: ends idle at once without waiting for the backoff, onclose once, and start() works again', async () => {
    const pids = pidfile();
    const transport = open(
      fixture({ FIXTURE_PIDFILE: pids }, { reconnect: { initialDelayMs: 10_000, jitter: 0 } }),
    );
    const closes = countCloses(transport);
    await transport.start();
    const pid = transport.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => transport.state === 'reconnecting');
    expect(transport.status.delayMs).toBe(10_000);

    const started = Date.now();
    await transport.close();
    expect(Date.now() - started).toBeLessThan(200);
    expect(transport.state).toBe('idle');
    expect(closes.count).toBe(1);
    expectAllGone(readPids(pids));

    await expectRestartWorks(transport, pid);
  });

  it('in reconnecting after a server that exits at start: ends idle with no process left', async () => {
    const pids = pidfile();
    const transport = open(
      fixture(
        { FIXTURE_MODE: 'exit-at-start', FIXTURE_PIDFILE: pids },
        { reconnect: { initialDelayMs: 10_000, jitter: 0 } },
      ),
    );
    const closes = countCloses(transport);
    await transport.start();
    await waitFor(() => transport.state === 'reconnecting');
    await transport.close();
    expect(transport.state).toBe('idle');
    expect(closes.count).toBe(1);
    expect(readPids(pids)).toHaveLength(1);
    expectAllGone(readPids(pids));
  });

  it('kills a server that ignores SIGTERM once the deadlines pass (closeMs 200: about 400 ms)', async () => {
    const pids = pidfile();
    const transport = open(fixture({ FIXTURE_MODE: 'ignore-sigterm', FIXTURE_PIDFILE: pids }));
    const closes = countCloses(transport);
    await transport.start();
    await waitFor(() => readPids(pids).length === 1);
    const pid = transport.pid as number;

    const started = Date.now();
    await transport.close();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(1000);
    expect(transport.state).toBe('idle');
    expect(closes.count).toBe(1);
    expect(isAlive(pid)).toBe(false);
    expectAllGone(readPids(pids));
  });
});

// ---------------------------------------------------------------------------------------------
// Wrappers (npx, uvx): the process group
// ---------------------------------------------------------------------------------------------

describe('a wrapper that spawns the real server', () => {
  it('leaves no orphan after close: the wrapper and its server are both gone', async () => {
    const pids = pidfile();
    const transport = open(fixture({ FIXTURE_PIDFILE: pids }, { args: [WRAPPER] }));
    const raw = new Raw(transport);
    await transport.start();
    expect(textOf(await raw.echo('through the wrapper'))).toBe('Echo: through the wrapper');
    await waitFor(() => readPids(pids).length === 2);
    const [wrapper, server] = readPids(pids);
    expect(wrapper).toBe(transport.pid);
    expect(isAlive(server as number)).toBe(true);

    await transport.close();
    expectAllGone(readPids(pids));
  });

  it('leaves no orphan when the server ignores stdin EOF (linger): SIGTERM to the group ends both', async () => {
    const pids = pidfile();
    const closeMs = 300;
    const transport = open(
      fixture({ FIXTURE_MODE: 'linger', FIXTURE_PIDFILE: pids }, { args: [WRAPPER], timeouts: { closeMs } }),
    );
    await transport.start();
    await waitFor(() => readPids(pids).length === 2);
    const [, server] = readPids(pids);

    const started = Date.now();
    const closing = transport.close();
    await waitFor(() => !isAlive(server as number), { intervalMs: 5, timeoutMs: 3000 });
    const serverGoneAfter = Date.now() - started;
    await closing;
    // Not at the first step (EOF: the server lingers), but at the SIGTERM step, before SIGKILL.
    expect(serverGoneAfter).toBeGreaterThanOrEqual(closeMs - 20);
    expect(serverGoneAfter).toBeLessThan(2 * closeMs - 50);
    expect(Date.now() - started).toBeLessThan(3 * closeMs + 200);
    expectAllGone(readPids(pids));
  });
});

// ---------------------------------------------------------------------------------------------
// stdout: garbage and size limits
// ---------------------------------------------------------------------------------------------

describe('stdout', () => {
  it('turns garbage lines into warnings while 1000 requests are still answered', async () => {
    const log = recordingLogger();
    const transport = open(fixture({ FIXTURE_MODE: 'garbage' }, { logger: log.logger }));
    const raw = new Raw(transport);
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);
    await transport.start();

    const count = 1000;
    const answers = await Promise.all(Array.from({ length: count }, (_, n) => raw.echo(`m${n}`)));
    expect(answers.map(textOf)).toEqual(Array.from({ length: count }, (_, n) => `Echo: m${n}`));
    expect(raw.others).toEqual([]);
    expect(transport.state).toBe('open');
    expect(transport.stats).toMatchObject({ written: count, received: count, failed: 0, links: 1 });

    // Two garbage lines before each reply: one not JSON, one JSON but not JSON-RPC.
    await waitFor(() => log.messages('warn').length >= 2 * count);
    const codes = log.calls
      .filter((call) => call.level === 'warn')
      .map((call) => (call.args[0] as { code?: string }).code);
    expect(codes.filter((code) => code === ErrorCode.Parse)).toHaveLength(count);
    expect(codes.filter((code) => code === ErrorCode.InvalidEnvelope)).toHaveLength(count);
    const warnings = log.messages('warn');
    expect(
      warnings.filter((text) => /^Inbound line \(\d+ bytes\) is not JSON: .* line \d+ \{\{\{$/.test(text)),
    ).toHaveLength(count);
    expect(
      warnings.filter(
        (text) => text.includes('not a JSON-RPC 2.0 message') && text.endsWith('{"hello":"world"}'),
      ),
    ).toHaveLength(count);
    expect(log.calls.find((call) => call.level === 'warn')?.args[0]).toMatchObject({ source: 'stdout' });
    expect(errors).toEqual([]);
  });

  it('fails a request whose 20 MB answer is over limits.maxMessageBytes with -32091 at once, and the connection stays open', async () => {
    const log = recordingLogger();
    const transport = open(fixture({}, { logger: log.logger }));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const pid = transport.pid;

    const started = Date.now();
    const error = await rejectionOf(client.callTool({ name: 'big', arguments: { bytes: 20_000_000 } }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(REQUEST_FAILED_RPC_CODE);
    expect((error as McpError).data).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expect(((error as McpError).data as { bytes: number }).bytes).toBeGreaterThan(20_000_000);
    expect(log.messages('warn').some((text) => text.includes('exceeds limits.maxMessageBytes'))).toBe(true);

    const echo = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: still here' }]);
    expect(transport.pid).toBe(pid);
    expect(transport.state).toBe('open');
    expect(transport.stats.links).toBe(1);
    await client.close();
  });

  it('delivers a 12 MB answer under the default 16 MiB limit (over the SDK stdio transport’s 10 MiB)', async () => {
    const transport = open(fixture());
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'big', arguments: { bytes: 12_000_000 } });
    const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
    expect(text.length).toBe(12_000_000);
    expect(transport.state).toBe('open');
    await client.close();
  });
});

// ---------------------------------------------------------------------------------------------
// stderr
// ---------------------------------------------------------------------------------------------

describe('stderr', () => {
  it("'pipe' exposes the server's stderr as transport.stderr", async () => {
    const transport = open(fixture({}, { stderr: 'pipe' }));
    const stream = transport.stderr;
    expect(stream).not.toBeNull();
    let text = '';
    stream?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    await transport.start();
    const pid = transport.pid;
    await waitFor(() => text.includes(`fixture ready pid=${pid}\n`));
  });

  it("'diagnostics' sends each stderr line to logger.debug", async () => {
    const log = recordingLogger();
    const transport = open(fixture({}, { stderr: 'diagnostics', logger: log.logger }));
    expect(transport.stderr).toBeNull();
    await transport.start();
    const pid = transport.pid;
    await waitFor(() => log.messages('debug').includes(`fixture ready pid=${pid}`));
    const call = log.calls.find(
      (entry) => entry.level === 'debug' && entry.args[1] === `fixture ready pid=${pid}`,
    );
    expect(call?.args[0]).toMatchObject({ source: 'stderr' });
  });

  it("'ignore' drops stderr and the server still works", async () => {
    const log = recordingLogger();
    const transport = open(
      fixture({ FIXTURE_MODE: 'stderr-chatter' }, { stderr: 'ignore', logger: log.logger }),
    );
    const raw = new Raw(transport);
    expect(transport.stderr).toBeNull();
    await transport.start();
    expect(textOf(await raw.echo('quiet'))).toBe('Echo: quiet');
    expect(log.calls.filter((call) => (call.args[0] as { source?: string }).source === 'stderr')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Environment and secrets
// ---------------------------------------------------------------------------------------------

describe('the environment', () => {
  const UNCONFIGURED = 'LIFELINE_TEST_UNCONFIGURED_VARIABLE';
  const PRINT_ENV = `process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'env', params: { env: process.env } }) + '\\n');`;

  afterEach(() => {
    delete process.env[UNCONFIGURED];
  });

  async function childEnv(config: StdioConfig): Promise<Record<string, string>> {
    const transport = open(config);
    const raw = new Raw(transport);
    await transport.start();
    await waitFor(() => raw.others.length > 0, { message: 'the script printed no environment' });
    const message = raw.others[0] as unknown as { params: { env: Record<string, string> } };
    return message.params.env;
  }

  it('is minimal by default: an unconfigured variable of this process is not passed, configured ones are', async () => {
    process.env[UNCONFIGURED] = 'leaked';
    const env = await childEnv(nodeScript(PRINT_ENV, { env: { LIFELINE_CONFIGURED: 'yes' } }));
    expect(env[UNCONFIGURED]).toBeUndefined();
    expect(env.LIFELINE_CONFIGURED).toBe('yes');
    if (process.env.PATH !== undefined) expect(env.PATH).toBe(process.env.PATH);
    const allowed = new Set(['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LIFELINE_CONFIGURED']);
    // Whatever node itself may add aside, nothing else of this process's environment leaks.
    expect(Object.keys(env).filter((key) => !allowed.has(key) && key in process.env)).toEqual([]);
  });

  it('passes everything with inheritEnv: true', async () => {
    process.env[UNCONFIGURED] = 'inherited';
    const env = await childEnv(
      nodeScript(PRINT_ENV, { env: { LIFELINE_CONFIGURED: 'yes' }, inheritEnv: true }),
    );
    expect(env[UNCONFIGURED]).toBe('inherited');
    expect(env.LIFELINE_CONFIGURED).toBe('yes');
  });

  it('never shows a configured env value to the logger, even when the server prints it on stderr and stdout', async () => {
    const secret = 'sk-secret-123456';
    const log = recordingLogger();
    const transport = open(
      nodeScript(
        [
          `process.stderr.write('token=' + process.env.LIFELINE_SECRET + '\\n');`,
          `process.stdout.write('not json ' + process.env.LIFELINE_SECRET + '\\n');`,
          `process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'ready' }) + '\\n');`,
        ].join('\n'),
        { env: { LIFELINE_SECRET: secret }, stderr: 'diagnostics', logger: log.logger },
      ),
    );
    const raw = new Raw(transport);
    await transport.start();
    await waitFor(() => raw.others.length === 1);
    await waitFor(() => log.messages('debug').some((text) => text.startsWith('token=')));
    await transport.close();

    const everything = JSON.stringify(log.calls);
    expect(everything).not.toContain(secret);
    expect(log.messages('debug')).toContain('token=[redacted]');
    expect(log.messages('warn').some((text) => text.endsWith('not json [redacted]'))).toBe(true);
  });
});
