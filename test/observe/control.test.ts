// The control socket: a process that runs lifeline connections publishes them on a Unix socket
// in the user's runtime folder (0700), the socket 0600 and named by pid and name; a client lists
// the agents, reads a status snapshot and hears journal entries live; the socket goes when the
// last connection closes, on SIGTERM, and stale ones are cleaned up by the next lister.

import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlError } from '../../src/errors.js';
import { attachAgent, findAgents, listAgents } from '../../src/observe/control/client.js';
import { ensureControlDir, socketFileName } from '../../src/observe/control/paths.js';
import type { ControlEvent } from '../../src/observe/control/protocol.js';
import { createSupervisor } from '../../src/supervisor/index.js';
import { useFixtureHarness } from '../helpers/fixture-harness.js';
import { tempFile, waitFor } from '../helpers/processes.js';

const { fixture, open } = useFixtureHarness('control');
const cleanups: (() => unknown)[] = [];
let runtimeDir: string;
let previous: string | undefined;

beforeEach(() => {
  runtimeDir = tempFile('control-runtime');
  mkdirSync(runtimeDir, { mode: 0o700 });
  previous = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = runtimeDir;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  if (previous === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = previous;
});

const dir = (): string => join(runtimeDir, 'lifeline');

describe('publishing', () => {
  it('lists this process, answers its status, streams its journal, and removes the socket at close', async () => {
    const transport = open(
      fixture({}, { control: { name: 'unit test' }, reconnect: { initialDelayMs: 30, jitter: 0 } }),
    );
    expect(existsSync(dir())).toBe(false);
    await transport.start();
    await waitFor(() => listAgents().length === 1, { message: 'not listed' });
    const [agent] = listAgents();
    expect(agent).toMatchObject({ pid: process.pid, name: 'unit-test' });
    const path = join(dir(), socketFileName(process.pid, 'unit-test'));
    expect(agent?.path).toBe(path);
    expect(statSync(dir()).mode & 0o777).toBe(0o700);
    await waitFor(() => (statSync(path).mode & 0o777) === 0o600, { message: 'socket not 0600' });

    const client = await attachAgent(agent as NonNullable<typeof agent>);
    cleanups.push(() => client.close());
    expect(client.hello).toMatchObject({ protocol: 'lifeline-control', version: 1, pid: process.pid });
    const status = await client.status();
    expect(status.connections).toHaveLength(1);
    expect(status.connections[0]).toMatchObject({ type: 'stdio', state: 'open', attempt: 0 });

    const events: ControlEvent[] = [];
    await client.watch((event) => events.push(event));
    process.kill(transport.pid as number, 'SIGKILL');
    await waitFor(
      () =>
        transport.state === 'open' &&
        events.some((e) => e.method === 'journal.entry' && e.params.kind === 'attempt'),
      {
        message: 'no live entries',
      },
    );
    const states = events.flatMap((event) =>
      event.method === 'journal.entry' && event.params.kind === 'state' ? [event.params.to] : [],
    );
    expect(states).toEqual(['reconnecting', 'connecting', 'open']);
    const journal = await client.journal({ limit: 3 });
    expect(journal.map((entry) => entry.seq)).toEqual([5, 6, 7]);

    await transport.close();
    expect(existsSync(path)).toBe(false);
    await client.closed;
  });

  it('publishes every server of a supervisor on one socket', async () => {
    const supervisor = createSupervisor({
      servers: { a: fixture(), b: fixture() },
      control: { name: 'fleet' },
    });
    cleanups.push(() => supervisor.close());
    await supervisor.start();
    const [agent] = findAgents('fleet');
    const client = await attachAgent(agent as NonNullable<typeof agent>);
    cleanups.push(() => client.close());
    const { connections } = await client.status();
    expect(connections.map((connection) => [connection.name, connection.state])).toEqual([
      ['a', 'open'],
      ['b', 'open'],
    ]);
    await supervisor.close();
    expect(readdirSync(dir())).toEqual([]);
  });

  it('stays off unless asked; LIFELINE_CONTROL=1 asks, and control: false still refuses', async () => {
    const off = open(fixture());
    await off.start();
    expect(listAgents()).toEqual([]);
    process.env.LIFELINE_CONTROL = '1';
    cleanups.push(() => delete process.env.LIFELINE_CONTROL);
    const refused = open(fixture({}, { control: false }));
    await refused.start();
    expect(listAgents()).toEqual([]);
    const on = open(fixture());
    await on.start();
    expect(listAgents()).toHaveLength(1);
  });
});

describe('the folder and stale sockets', () => {
  it('removes the sockets of processes that no longer run, and of a pid that refuses', async () => {
    mkdirSync(dir(), { mode: 0o700 });
    const dead = join(dir(), socketFileName(2 ** 22 + 17, 'ghost'));
    writeFileSync(dead, '');
    const refusing = join(dir(), socketFileName(process.pid, 'refusing'));
    writeFileSync(refusing, '');
    const agents = listAgents();
    expect(existsSync(dead)).toBe(false);
    expect(agents.map((agent) => agent.name)).toEqual(['refusing']);
    await expect(attachAgent(agents[0] as NonNullable<(typeof agents)[0]>)).rejects.toThrow(ControlError);
    expect(existsSync(refusing)).toBe(false);
  });

  it('shortens the name to keep the socket path within the limit of a Unix socket', async () => {
    const deep = join(runtimeDir, 'd'.repeat(100 - runtimeDir.length - 24));
    mkdirSync(deep, { mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = deep;
    const transport = open(fixture({}, { control: { name: 'a-rather-long-agent-name-for-a-socket' } }));
    await transport.start();
    const [agent] = listAgents();
    expect(agent?.path.length).toBeLessThanOrEqual(103);
    expect('a-rather-long-agent-name-for-a-socket'.startsWith(agent?.name ?? 'x')).toBe(true);
    const client = await attachAgent(agent as NonNullable<typeof agent>);
    cleanups.push(() => client.close());
    expect((await client.status()).connections).toHaveLength(1);
  });

  it('finds an agent by the name it was given, as its socket spells it', async () => {
    const transport = open(fixture({}, { control: { name: 'my agent' } }));
    await transport.start();
    expect(findAgents('my agent').map((agent) => agent.name)).toEqual(['my-agent']);
  });

  it('refuses a folder others can enter', () => {
    const open = join(runtimeDir, 'shared');
    mkdirSync(open);
    chmodSync(open, 0o755);
    expect(() => ensureControlDir(open)).toThrow(/is open to others/);
  });
});

describe('bad input on the socket', () => {
  it('answers a line that is not JSON with -32700 and an unknown method with -32601, cuts off a line over 64 KiB, and serves the next client', async () => {
    const transport = open(fixture({}, { control: { name: 'bad input' } }));
    await transport.start();
    await waitFor(() => listAgents().length === 1, { message: 'not listed' });
    const [agent] = listAgents();
    const path = (agent as NonNullable<typeof agent>).path;

    // A raw client: every line the agent writes, and when it hangs up.
    const raw = (): { lines: unknown[]; send(text: string): void; closed: Promise<void> } => {
      const socket = connect(path);
      cleanups.push(() => socket.destroy());
      const lines: unknown[] = [];
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
          lines.push(JSON.parse(buffer.slice(0, end)));
          buffer = buffer.slice(end + 1);
        }
      });
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      return { lines, send: (text) => socket.write(text), closed };
    };

    const first = raw();
    first.send('this is not JSON\n');
    first.send(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'reboot' })}\n`);
    first.send(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'status' })}\n`);
    await waitFor(() => first.lines.length === 4, { message: `answers: ${JSON.stringify(first.lines)}` });
    expect(first.lines[0]).toMatchObject({ method: 'hello' });
    expect(first.lines[1]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(first.lines[2]).toMatchObject({ id: 1, error: { code: -32601 } });
    expect(first.lines[3]).toMatchObject({ id: 2, result: { connections: [{ state: 'open' }] } });

    const second = raw();
    second.send(`{"jsonrpc":"2.0","id":3,"method":"status","params":{"pad":"${'x'.repeat(70 * 1024)}"}}\n`);
    await second.closed;
    expect(second.lines.some((line) => (line as { id?: unknown }).id === 3)).toBe(false);

    // The agent and its connection are unharmed: a new client is served.
    const client = await attachAgent(agent as NonNullable<typeof agent>);
    cleanups.push(() => client.close());
    expect((await client.status()).connections[0]).toMatchObject({ state: 'open' });
    expect(transport.state).toBe('open');
  });
});
