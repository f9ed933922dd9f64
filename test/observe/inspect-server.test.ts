// `lifeline inspect`'s server with real sockets and processes, a `ws` client playing the page:
// the lifecycle graph it sends, a journal file replayed, an XState actor of the test's own seen
// through `@statelyai/inspect`'s WebSocket inspector, the loopback-only guards (Host, Origin,
// CSP), a real agent in a child process followed through its control socket while its server
// dies and comes back, and the CLI as users run it.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { createWebSocketInspector } from '@statelyai/inspect';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createActor } from 'xstate';
import { connectionMachine } from '../../src/machines/connection.js';
import { toGraph } from '../../src/machines/diagram.js';
import { controlDir } from '../../src/observe/control/paths.js';
import { InspectHub } from '../../src/observe/inspect/hub.js';
import { followAgents } from '../../src/observe/inspect/live.js';
import type { AgentView, PageMessage } from '../../src/observe/inspect/messages.js';
import { replayJournal } from '../../src/observe/inspect/replay.js';
import { type InspectServer, startInspectServer } from '../../src/observe/inspect/server.js';
import type { JournalEntry } from '../../src/observe/journal/entry.js';
import { privateRuntimeDir, useAgentCleanup } from '../helpers/agents.js';
import { buildCli, cli, cliEnv, lifeline, repoRoot } from '../helpers/cli.js';
import { lightMachine } from '../helpers/light-machine.js';
import { fixturePath, readPids, tempFile, waitFor } from '../helpers/processes.js';

const dist = join(repoRoot, 'dist', 'index.js');
const agents = useAgentCleanup();

beforeAll(() => buildCli(), 180_000);

const TOP_LEVEL = ['idle', 'connecting', 'open', 'reconnecting', 'closing', 'failed'];

/** A hub and its server, both closed after the test. */
async function serve(
  options: { mode: 'live' | 'replay'; source?: string } = { mode: 'live' },
): Promise<{ hub: InspectHub; server: InspectServer }> {
  const hub = new InspectHub({ ...options, lifecycle: toGraph(connectionMachine) });
  agents.later(() => hub.close());
  const server = await startInspectServer(hub);
  agents.later(() => server.close());
  return { hub, server };
}

/** A page: a WebSocket on /live that keeps every frame it hears. */
interface Page {
  messages: PageMessage[];
  socket: WebSocket;
}

async function openPage(server: InspectServer, origin = `http://127.0.0.1:${server.port}`): Promise<Page> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/live`, { origin });
  agents.later(() => socket.terminate());
  const messages: PageMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as PageMessage));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { messages, socket };
}

/** The HTTP status a WebSocket handshake is answered with (101 when it is accepted). */
function handshakeStatus(url: string, options: { origin?: string; headers?: Record<string, string> }) {
  const socket = new WebSocket(url, options);
  agents.later(() => socket.terminate());
  return new Promise<number>((resolve, reject) => {
    socket.once('open', () => resolve(101));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

/** A plain GET with the Host header of our choosing. */
function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function ofType<T extends PageMessage['type']>(
  messages: readonly PageMessage[],
  type: T,
): Extract<PageMessage, { type: T }>[] {
  return messages.filter((message): message is Extract<PageMessage, { type: T }> => message.type === type);
}

/** The entries heard for one connection, in order. */
function entriesOf(messages: readonly PageMessage[], agent: string, connection: string): JournalEntry[] {
  return ofType(messages, 'entries')
    .filter((message) => message.agent === agent && message.connection === connection)
    .flatMap((message) => message.entries);
}

function lastAgents(messages: readonly PageMessage[]): AgentView[] {
  return ofType(messages, 'agents').at(-1)?.agents ?? [];
}

describe('toGraph of the connection lifecycle', () => {
  it('has every top-level state, the nested open states, link.up and the global close', () => {
    const graph = toGraph(connectionMachine);
    const topLevel = graph.nodes.filter((node) => node.parent === undefined).map((node) => node.id);
    expect(topLevel).toEqual(TOP_LEVEL);
    const node = (id: string) => graph.nodes.find((candidate) => candidate.id === id);
    expect(node('open')).toMatchObject({ kind: 'compound', label: 'open' });
    expect(node('idle')).toMatchObject({ kind: 'atomic', initial: true });
    expect(node('open.watching')).toMatchObject({ parent: 'open', label: 'watching', initial: true });
    expect(node('open.probing')).toMatchObject({ parent: 'open', label: 'probing', initial: false });
    const up = graph.edges.filter((edge) => edge.source === 'connecting' && edge.target === 'open');
    expect(up).toHaveLength(1);
    expect(up[0]?.label.split('\n')).toContain('link.up');
    expect(graph.edges.map((edge) => edge.id)).toEqual(graph.edges.map((_, index) => `e${index}`));
    expect(graph.global).toContain('connection.close -> closing');
  });
});

describe('the hub', () => {
  it('skips entries it has, and starts a log afresh when a new journal of that name begins at 1', () => {
    const hub = new InspectHub({ mode: 'live', lifecycle: toGraph(connectionMachine) });
    const heard: PageMessage[] = [];
    hub.subscribe((message) => heard.push(message));
    const beat = (seq: number): JournalEntry => ({ kind: 'heartbeat', t: 1000 + seq, seq, rttMs: seq });
    hub.addEntries('7', 'echo', [beat(1), beat(2), beat(3)]);
    hub.addEntries('7', 'echo', [beat(2), beat(3), beat(4)]);
    hub.addEntries('7', 'echo', [beat(1), beat(2)]);
    expect(heard).toEqual([
      { type: 'entries', agent: '7', connection: 'echo', entries: [beat(1), beat(2), beat(3)] },
      { type: 'entries', agent: '7', connection: 'echo', entries: [beat(4)] },
      { type: 'entries', agent: '7', connection: 'echo', entries: [beat(1), beat(2)], reset: true },
    ]);
    const logs = hub.welcome().filter((message) => message.type === 'entries');
    expect(logs).toEqual([{ type: 'entries', agent: '7', connection: 'echo', entries: [beat(1), beat(2)] }]);
    hub.close();
  });
});

describe('replay of a journal file', () => {
  const t0 = Date.UTC(2026, 0, 2, 12, 0, 0);
  const outage = { code: 'LIFELINE_ERR_PROCESS_EXIT', message: 'the server exited with code 1' };
  const records = [
    { connection: 'echo', kind: 'state', t: t0, seq: 1, from: 'idle', to: 'connecting', attempt: 0 },
    { connection: 'echo', kind: 'state', t: t0 + 10, seq: 2, from: 'connecting', to: 'open', attempt: 0 },
    { connection: 'echo', kind: 'heartbeat', t: t0 + 20, seq: 3, rttMs: 4 },
    {
      connection: 'echo',
      kind: 'state',
      t: t0 + 30,
      seq: 4,
      from: 'open',
      to: 'reconnecting',
      attempt: 1,
      delayMs: 500,
      error: outage,
    },
    { connection: 'echo', kind: 'attempt', t: t0 + 530, seq: 5, attempt: 1 },
    {
      connection: 'echo',
      kind: 'state',
      t: t0 + 530,
      seq: 6,
      from: 'reconnecting',
      to: 'connecting',
      attempt: 1,
    },
  ];

  it('sends hello, the ended replay agent with its last state and error, then the entries in file order', async () => {
    const file = tempFile('inspect-replay.jsonl');
    const lines = records.map((record) => JSON.stringify(record));
    // A line cut by a crash, and a record of a kind this version does not know.
    lines.splice(2, 0, '{"connection":"echo","kind":"st');
    lines.splice(4, 0, JSON.stringify({ connection: 'echo', kind: 'mystery', t: t0 + 15, seq: 3 }));
    writeFileSync(file, `${lines.join('\n')}\n`);

    const { hub, server } = await serve({ mode: 'replay', source: file });
    const summary = await replayJournal(hub, file);
    expect(summary).toEqual({ connections: 1, entries: 6, skipped: 2, from: t0, to: t0 + 530 });

    const page = await openPage(server);
    await waitFor(() => entriesOf(page.messages, 'replay', 'echo').length >= records.length, {
      message: 'the entries never arrived',
    });
    const [hello, agents] = page.messages;
    expect(hello).toMatchObject({ type: 'hello', mode: 'replay', source: file });
    expect(hello?.type === 'hello' && hello.lifecycle).toEqual(toGraph(connectionMachine));
    expect(agents?.type).toBe('agents');
    const list = agents?.type === 'agents' ? agents.agents : [];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ key: 'replay', name: basename(file), ended: true, startedAt: t0 });
    expect(list[0]?.connections).toEqual([
      expect.objectContaining({ name: 'echo', state: 'connecting', attempt: 1, error: outage }),
    ]);
    const entries = entriesOf(page.messages, 'replay', 'echo');
    expect(entries).toEqual(records.map(({ connection: _, ...entry }) => entry));
  });

  it('keeps every entry of a file several runs appended to, numbered again in file order', async () => {
    const file = tempFile('inspect-appended.jsonl');
    const run = (t: number) => [
      { connection: 'echo', kind: 'state', t, seq: 1, from: 'idle', to: 'connecting', attempt: 0 },
      { connection: 'echo', kind: 'state', t: t + 5, seq: 2, from: 'connecting', to: 'open', attempt: 0 },
      { connection: 'echo', kind: 'state', t: t + 9, seq: 3, from: 'open', to: 'closing', attempt: 0 },
    ];
    const both = [...run(t0), ...run(t0 + 60_000)];
    writeFileSync(file, `${both.map((record) => JSON.stringify(record)).join('\n')}\n`);

    const { hub, server } = await serve({ mode: 'replay', source: file });
    expect(await replayJournal(hub, file)).toMatchObject({ entries: 6, skipped: 0 });
    const page = await openPage(server);
    await waitFor(() => entriesOf(page.messages, 'replay', 'echo').length >= 6, {
      message: 'the second run was lost',
    });
    const entries = entriesOf(page.messages, 'replay', 'echo');
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries.map((entry) => entry.t)).toEqual(both.map((record) => record.t));
    expect(lastAgents(page.messages)[0]?.connections[0]).toMatchObject({
      state: 'closing',
      since: t0 + 60_009,
    });
  });
});

describe('the @statelyai/inspect protocol', () => {
  const light = lightMachine;

  it("shows an actor of the user's, its statechart and each new state", async () => {
    const { server } = await serve();
    const page = await openPage(server);
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${server.port}` });
    agents.later(() => inspector.stop());
    const actor = createActor(light, { inspect: inspector.inspect }).start();
    agents.later(() => actor.stop());
    actor.send({ type: 'TIMER' });
    actor.send({ type: 'TIMER' });
    actor.send({ type: 'COUNTDOWN' });

    await waitFor(() => ofType(page.messages, 'actor').some((message) => message.actor.name === 'light'), {
      timeoutMs: 10_000,
      message: 'the actor never arrived',
    });
    const view = ofType(page.messages, 'actor').find((message) => message.actor.name === 'light')?.actor;
    const graph = view?.graph;
    // @statelyai/inspect sends the config through safe-stable-stringify, which sorts its keys:
    // the states arrive in alphabetical order, not the machine's.
    expect(graph?.nodes.map((node) => [node.id, node.parent ?? null]).sort()).toEqual([
      ['green', null],
      ['red', null],
      ['red.wait', 'red'],
      ['red.walk', 'red'],
      ['yellow', null],
    ]);
    expect(graph?.nodes.find((node) => node.id === 'red.walk')?.initial).toBe(true);
    expect(graph?.nodes.find((node) => node.id === 'red')?.kind).toBe('compound');
    expect(graph?.edges).toContainEqual(
      expect.objectContaining({ source: 'green', target: 'yellow', label: 'TIMER' }),
    );
    expect(graph?.edges).toContainEqual(
      expect.objectContaining({ source: 'red.walk', target: 'red.wait', label: 'COUNTDOWN' }),
    );

    const sessionId = view?.sessionId;
    const snapshots = () =>
      ofType(page.messages, 'actor.snapshot').filter((message) => message.sessionId === sessionId);
    await waitFor(() => snapshots().some((message) => JSON.stringify(message.value) === '{"red":"wait"}'), {
      timeoutMs: 10_000,
      message: 'the snapshots never arrived',
    });
    expect(
      snapshots()
        .map(({ value, event }) => ({ value, event }))
        .slice(-3),
    ).toEqual([
      { value: 'yellow', event: 'TIMER' },
      { value: { red: 'walk' }, event: 'TIMER' },
      { value: { red: 'wait' }, event: 'COUNTDOWN' },
    ]);
    expect(snapshots().every((message) => message.status === 'active')).toBe(true);
  });

  /** A raw inspector socket, open. */
  async function rawInspector(server: InspectServer): Promise<WebSocket> {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    agents.later(() => socket.terminate());
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return socket;
  }

  const goodActor = (sessionId: string) =>
    JSON.stringify({
      type: '@xstate.actor',
      sessionId,
      name: 'good',
      definition: JSON.stringify({ id: 'good', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } }),
      snapshot: { value: 'a', status: 'active' },
    });

  it('counts and skips garbage frames, and keeps reading', async () => {
    const { server } = await serve();
    const page = await openPage(server);
    const socket = await rawInspector(server);
    socket.send('this is not JSON');
    socket.send(JSON.stringify({ type: '@xstate.snapshot', snapshot: { value: 'a' } }));
    socket.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    socket.send(goodActor('s-good'));
    await waitFor(
      () => ofType(page.messages, 'actor').some((message) => message.actor.sessionId === 's-good'),
      {
        message: 'the good frame after the garbage never arrived',
      },
    );
    expect(server.inspected.ignored).toBe(3);
    expect(ofType(page.messages, 'actor')).toHaveLength(1);
    expect(ofType(page.messages, 'actor')[0]?.actor).toMatchObject({ name: 'good', value: 'a' });
  });

  it('counts an @xstate.actor whose definition is not a machine config as ignored', async () => {
    const { server } = await serve();
    const page = await openPage(server);
    const socket = await rawInspector(server);
    socket.send(JSON.stringify({ type: '@xstate.actor', sessionId: 's-bad', definition: 'not a machine {' }));
    socket.send(goodActor('s-good'));
    await waitFor(
      () => ofType(page.messages, 'actor').some((message) => message.actor.sessionId === 's-good'),
      {
        message: 'the good frame never arrived',
      },
    );
    expect(server.inspected).toEqual({ frames: 2, ignored: 1 });
  });
});

describe('the server is for this machine only', () => {
  it('refuses other Hosts and Origins, sets CSP and nosniff on every asset, and listens on 127.0.0.1', async () => {
    const { server } = await serve();
    const { port } = server;
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);

    // DNS rebinding: a name that resolves here, but is not ours.
    expect((await get(port, '/', `evil.example:${port}`)).status).toBe(421);
    expect((await get(port, '/assets/elk.js', `127.0.0.1:${port + 1}`)).status).toBe(421);
    expect((await get(port, '/assets/elk.js', `localhost:${port}`)).status).toBe(200);

    for (const path of ['/', '/assets/app.js', '/assets/app.css', '/assets/elk.js']) {
      const response = await get(port, path);
      expect(response.status, path).toBe(200);
      expect(response.headers['content-security-policy'], path).toMatch(/(^|; )default-src 'self'(;|$)/);
      expect(response.headers['x-content-type-options'], path).toBe('nosniff');
    }
    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/../package.json')).status).toBe(404);

    const live = `ws://127.0.0.1:${port}/live`;
    expect(await handshakeStatus(live, { origin: 'http://evil.example' })).toBe(403);
    expect(await handshakeStatus(live, { origin: `http://localhost:${port + 1}` })).toBe(403);
    expect(await handshakeStatus(live, { origin: `http://localhost:${port}` })).toBe(101);
    expect(await handshakeStatus(live, { headers: { host: `evil.example:${port}` } })).toBe(421);
    const page = await openPage(server, `http://127.0.0.1:${port}`);
    await waitFor(() => page.messages.length >= 2, { message: 'the own-origin page got no hello' });
    expect(page.messages[0]).toMatchObject({ type: 'hello', mode: 'live' });

    const inspector = `ws://127.0.0.1:${port}/`;
    expect(await handshakeStatus(inspector, { origin: 'http://evil.example' })).toBe(403);
    expect(await handshakeStatus(inspector, { origin: 'https://127.0.0.1.evil.example' })).toBe(403);
    expect(await handshakeStatus(inspector, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await handshakeStatus(inspector, {})).toBe(101);

    // Bound to 127.0.0.1 alone: the same port on another loopback address (Linux routes all of
    // 127/8 to lo) has nobody listening.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.2', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('live: a real agent followed through its control socket', () => {
  it('shows its connection open, the outage when its server is killed, open again, then ended', async () => {
    const runtimeDir = privateRuntimeDir();
    const pidfile = agents.pidfile('inspect-agent-pids');
    const server = {
      command: process.execPath,
      args: [fixturePath('stdio-server.mjs')],
      env: { FIXTURE_PIDFILE: pidfile },
      stderr: 'ignore',
      reconnect: { initialDelayMs: 100 },
      heartbeat: { intervalMs: 0 },
    };
    const script = [
      `import { createSupervisor } from ${JSON.stringify(dist)};`,
      `const supervisor = createSupervisor({ servers: { echo: ${JSON.stringify(server)} }, control: true });`,
      'await supervisor.start();',
      "process.stdout.write('ready\\n');",
      "process.stdin.on('data', () => {});",
      "process.stdin.on('end', async () => { await supervisor.close(); process.exit(0); });",
    ].join('\n');
    const agent: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, LIFELINE_CONTROL: undefined },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    agents.later(() => agent.exitCode === null && agent.signalCode === null && agent.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    let out = '';
    agent.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(() => out.includes('ready'), { timeoutMs: 15_000, message: 'the agent did not start' });

    const { hub, server: inspect } = await serve();
    const follower = followAgents(hub, { dir: controlDir({ XDG_RUNTIME_DIR: runtimeDir }) });
    agents.later(() => follower.stop());
    const page = await openPage(inspect);
    const key = String(agent.pid);
    const echo = (message: PageMessage) =>
      message.type === 'agents'
        ? message.agents.find((view) => view.key === key)?.connections.find((c) => c.name === 'echo')
        : undefined;

    await waitFor(() => page.messages.some((message) => echo(message)?.state === 'open'), {
      message: `the page never saw the connection open: ${JSON.stringify(page.messages.slice(1))}`,
    });
    expect(lastAgents(page.messages).find((view) => view.key === key)).toMatchObject({
      pid: agent.pid,
      ended: false,
      connections: [expect.objectContaining({ name: 'echo', type: 'stdio', state: 'open' })],
    });

    const [first] = readPids(pidfile);
    const killedAt = Date.now();
    process.kill(first as number, 'SIGKILL');
    await waitFor(
      () =>
        page.messages.some(
          (message) =>
            echo(message)?.state === 'reconnecting' ||
            (message.type === 'entries' &&
              message.agent === key &&
              message.entries.some(
                (entry) => entry.kind === 'state' && entry.from === 'open' && entry.to === 'reconnecting',
              )),
        ),
      { timeoutMs: 10_000, message: 'the page never saw the outage' },
    );
    // Open again: entered after the kill (a snapshot asked before it could still say open).
    await waitFor(
      () =>
        page.messages.some((message) => {
          const connection = echo(message);
          return connection?.state === 'open' && connection.since >= killedAt;
        }),
      { timeoutMs: 10_000, message: 'the page never saw the connection open again' },
    );
    expect(readPids(pidfile)).toHaveLength(2);
    const outage = entriesOf(page.messages, key, 'echo').find(
      (entry) => entry.kind === 'state' && entry.to === 'reconnecting',
    );
    expect(outage).toMatchObject({ from: 'open', error: { code: 'LIFELINE_ERR_PROCESS_EXIT' } });

    agent.stdin?.end();
    expect(await exited).toBe(0);
    await waitFor(() => lastAgents(page.messages).find((view) => view.key === key)?.ended === true, {
      message: 'the agent was never marked ended',
    });
  });
});

describe('lifeline inspect', () => {
  it('prints the URL alone, serves the page at it, and exits 0 after --duration', async () => {
    const file = tempFile('inspect-cli.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ connection: 'echo', kind: 'state', t: Date.now(), seq: 1, from: 'idle', to: 'connecting', attempt: 0 })}\n`,
    );
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [cli, 'inspect', '--replay', file, '--no-open', '--duration', '3000'],
      {
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    agents.later(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(() => stdout.includes('\n'), { timeoutMs: 10_000, message: `no URL printed: ${stderr}` });
    const url = stdout.split('\n')[0] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const response = await fetch(url);
    const html = await response.text();
    expect(response.status, html).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toMatch(/<html/i);

    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(stdout).toBe(`${url}\n`);
    expect(stderr).toMatch(/1 entries of 1 connection/);
  });

  it('refuses --replay with --attach (exit 2) and a file it cannot read (exit 1, one line)', async () => {
    const both = await lifeline(['inspect', '--replay', 'x.jsonl', '--attach', 'y', '--no-open']);
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toMatch(/--replay/);
    expect(both.stdout).toBe('');

    const missing = await lifeline(['inspect', '--replay', '/nonexistent', '--no-open', '--duration', '100']);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/\/nonexistent/);
    expect(missing.stdout).toBe('');
  });
});
