// The control socket between real processes: an SDK Client starts `lifeline bridge` over stdio
// as a desktop host does; another process reads the bridge's status through the socket, a
// watcher hears the outage when the target server is killed, and the socket (0600) is gone once
// the bridge exits. A plain agent (createTransport with control on) killed by SIGTERM still
// dies of it, and leaves no socket behind.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachAgent, findAgents } from '../../src/observe/control/client.js';
import type { AgentStatus, ControlEvent } from '../../src/observe/control/protocol.js';
import { privateRuntimeDir, useAgentCleanup } from '../helpers/agents.js';
import { buildCli, cli, cliEnv, lifeline, repoRoot } from '../helpers/cli.js';
import { fixturePath, isAlive, readPids, tempFile, waitFor } from '../helpers/processes.js';

const run = promisify(execFile);
const dist = join(repoRoot, 'dist', 'index.js');
const agents = useAgentCleanup();

beforeAll(() => buildCli(), 180_000);

function stringEnv(extra: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cliEnv(extra)).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Another process that lists the agents and reads each one's status, as `lifeline status` will. */
async function statusFromAnotherProcess(
  runtimeDir: string,
): Promise<{ agent: { pid: number }; status?: AgentStatus }[]> {
  const script = `import { readAgents } from ${JSON.stringify(dist)}; process.stdout.write(JSON.stringify(await readAgents()));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
    timeout: 15_000,
  });
  return JSON.parse(stdout) as { agent: { pid: number }; status?: AgentStatus }[];
}

describe('lifeline bridge publishes its connection', () => {
  it('shows another process its state, streams the outage, and removes its 0600 socket when it exits', async () => {
    const runtimeDir = privateRuntimeDir();
    const pids = agents.pidfile('control-bridge-pids');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        cli,
        'bridge',
        '--reconnect-delay',
        '200',
        '--env',
        `FIXTURE_PIDFILE=${pids}`,
        '--',
        process.execPath,
        fixturePath('stdio-server.mjs'),
      ],
      env: stringEnv({ XDG_RUNTIME_DIR: runtimeDir }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' });
    await client.connect(transport);
    agents.later(() => client.close());
    const bridgePid = transport.pid as number;

    const [seen] = await statusFromAnotherProcess(runtimeDir);
    expect(seen?.agent.pid).toBe(bridgePid);
    expect(seen?.status?.connections).toHaveLength(1);
    expect(seen?.status?.connections[0]).toMatchObject({ type: 'stdio', state: 'open', attempt: 0 });

    // `lifeline status` from another process: the bridge's connection, not one of its own.
    const status = await lifeline(['status', '--json'], { env: cliEnv({ XDG_RUNTIME_DIR: runtimeDir }) });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({ pid: bridgePid, type: 'stdio', state: 'open', attempt: 0 }),
    ]);
    const table = await lifeline(['status', '--attach', String(bridgePid)], {
      env: cliEnv({ XDG_RUNTIME_DIR: runtimeDir }),
    });
    expect(table.stdout).toMatch(new RegExp(`agent ${bridgePid} .*1 connection`));
    expect(table.stdout).toMatch(/stdio\s+open/);

    // `lifeline watch --json` from another process, running while the target dies and comes back.
    const watch = spawn(process.execPath, [cli, 'watch', '--json', '--attach', String(bridgePid)], {
      env: cliEnv({ XDG_RUNTIME_DIR: runtimeDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agents.later(() => watch.exitCode === null && watch.kill('SIGKILL'));
    let watched = '';
    watch.stdout.on('data', (chunk: Buffer) => {
      watched += chunk.toString();
    });
    const watchedStates = (): string[] =>
      watched
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { state: string }).state);
    await waitFor(() => watchedStates().length === 1, { message: `watch printed nothing: ${watched}` });

    const [agent] = findAgents(bridgePid, { dir: join(runtimeDir, 'lifeline') });
    if (agent === undefined) throw new Error('the bridge is not listed');
    expect(statSync(agent.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(runtimeDir, 'lifeline')).mode & 0o777).toBe(0o700);

    const watcher = await attachAgent(agent);
    agents.later(() => watcher.close());
    const events: ControlEvent[] = [];
    await watcher.watch((event) => events.push(event));
    const [server] = readPids(pids);
    process.kill(server as number, 'SIGKILL');
    const states = (): string[] =>
      events.flatMap((event) =>
        event.method === 'journal.entry' && event.params.kind === 'state' ? [event.params.to] : [],
      );
    await waitFor(() => states().includes('open'), { message: `no outage seen: ${JSON.stringify(events)}` });
    expect(states()).toEqual(['reconnecting', 'connecting', 'open']);
    await waitFor(() => watchedStates().length === 4, { message: `watch missed the outage: ${watched}` });
    expect(watchedStates()).toEqual(['open', 'reconnecting', 'connecting', 'open']);
    const outageLine = JSON.parse(watched.trim().split('\n')[1] as string) as Record<string, unknown>;
    expect(outageLine).toMatchObject({ pid: bridgePid, error: { code: 'LIFELINE_ERR_PROCESS_EXIT' } });
    const watchExit = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
    watch.kill('SIGINT');
    expect(await watchExit).toBe(0);
    const outage = events.find((event) => event.method === 'journal.entry' && event.params.kind === 'state');
    expect(outage?.params).toMatchObject({ error: { code: 'LIFELINE_ERR_PROCESS_EXIT' } });
    // The session is back for the host: a call goes through.
    await client.ping();

    const exited = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!isAlive(bridgePid)) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    await client.close();
    await exited;
    await watcher.closed;
    expect(existsSync(agent.path)).toBe(false);
    expect(readdirSync(join(runtimeDir, 'lifeline'))).toEqual([]);
  });
});

describe('lifeline bridge with LIFELINE_CONTROL=0', () => {
  it('publishes nothing', async () => {
    const runtimeDir = privateRuntimeDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'bridge', '--', process.execPath, fixturePath('stdio-server.mjs')],
      env: stringEnv({ XDG_RUNTIME_DIR: runtimeDir, LIFELINE_CONTROL: '0' }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' });
    await client.connect(transport);
    agents.later(() => client.close());
    await client.ping();
    expect(existsSync(join(runtimeDir, 'lifeline')) ? readdirSync(join(runtimeDir, 'lifeline')) : []).toEqual(
      [],
    );
  });
});

describe("lifeline bridge with the config file's lifeline block", () => {
  it('publishes under lifeline.control.name, and writes lifeline.journal.file beside the config', async () => {
    const runtimeDir = privateRuntimeDir();
    const folder = tempFile('control-config');
    mkdirSync(folder);
    const config = join(folder, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { echo: { command: process.execPath, args: [fixturePath('stdio-server.mjs')] } },
        lifeline: { control: { name: 'desk' }, journal: { file: 'journal.jsonl' } },
      }),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'bridge', 'echo', '--config', config],
      env: stringEnv({ XDG_RUNTIME_DIR: runtimeDir }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' });
    await client.connect(transport);
    agents.later(() => client.close());
    expect(findAgents('desk', { dir: join(runtimeDir, 'lifeline') }).map((agent) => agent.pid)).toEqual([
      transport.pid,
    ]);
    await client.close();
    await waitFor(
      () =>
        existsSync(join(folder, 'journal.jsonl')) &&
        readFileSync(join(folder, 'journal.jsonl'), 'utf8').includes('"to":"idle"'),
      {
        message: 'no journal file',
      },
    );
    const lines = readFileSync(join(folder, 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      connection: 'echo',
      kind: 'state',
      to: 'connecting',
    });
  });
});

describe('a plain agent', () => {
  it('removes its socket on SIGTERM and still dies of it', async () => {
    const runtimeDir = privateRuntimeDir();
    const script = [
      `import { createTransport } from ${JSON.stringify(dist)};`,
      `const t = createTransport({ command: process.execPath, args: [${JSON.stringify(fixturePath('stdio-server.mjs'))}], control: { name: 'plain' } });`,
      'await t.start();',
      "process.stdout.write('ready\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    agents.later(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(() => out.includes('ready'), { message: 'the agent did not start', timeoutMs: 15_000 });
    const dir = join(runtimeDir, 'lifeline');
    expect(findAgents('plain', { dir }).map((agent) => agent.pid)).toEqual([child.pid]);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(readdirSync(dir)).toEqual([]);
  });
});
