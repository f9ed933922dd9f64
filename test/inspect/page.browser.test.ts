// The `lifeline inspect` page in a real browser (playwright-core driving Debian's chromium).
//
// An agent process runs a supervisor with two servers and its control socket on: a stdio
// fixture with a secret in its env, and a Streamable HTTP fixture with a secret bearer header.
// `lifeline inspect --no-open` runs as another process; the browser opens its page and sees the
// stdio connection `open`. The test kills that server: the page shows `reconnecting`, then
// `open` again, and the timeline records the outage. All along, every request the page makes is
// counted by interception (none may leave loopback), and neither secret may appear in the DOM or
// in any WebSocket frame. Then a plain XState machine of the test's own, reported by
// `createWebSocketInspector` from `@statelyai/inspect`, shows up in the same page.
//
// With UPDATE_DOCS=1 the final view is saved as docs/inspect.png (docs/observability.md).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWebSocketInspector } from '@statelyai/inspect';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { privateRuntimeDir, useAgentCleanup } from '../helpers/agents.js';
import { buildCli, cli, cliEnv, repoRoot } from '../helpers/cli.js';
import { lightMachine } from '../helpers/light-machine.js';
import { fixturePath, readPids, waitFor } from '../helpers/processes.js';
import { type ChildPeer, startV2Http, stopAll } from '../peers/index.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.LIFELINE_REQUIRE_CHROMIUM === '1')
  throw new Error(`LIFELINE_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const ENV_SECRET = 'sk-env-9d1f6c0e2b7a4e35';
const HEADER_SECRET = 'hdr-token-5a8e3c1b9f2d4c70';
const dist = join(repoRoot, 'dist', 'index.js');

const agents = useAgentCleanup();
let browser: Browser | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  buildCli();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 180_000);
afterEach(async () => {
  await stopAll();
});
afterAll(async () => {
  await browser?.close();
});

/** Output of a child process so far, for failure messages. */
function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { out: () => out, err: () => err };
}

/** Stops a child with SIGTERM, then SIGKILL if it has not exited within 5 s (a deadline, not a sleep). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** An agent: a supervisor of the two servers, each used by an SDK Client, control socket on. */
function startAgent(runtimeDir: string, pids: string, http: ChildPeer): ChildProcess {
  const servers = {
    local: {
      command: process.execPath,
      args: [fixturePath('stdio-server.mjs')],
      env: { FIXTURE_PIDFILE: pids, API_KEY: ENV_SECRET },
    },
    remote: { url: http.url, headers: { Authorization: `Bearer ${HEADER_SECRET}` } },
  };
  const script = `
    import { Client } from '@modelcontextprotocol/sdk/client/index.js';
    import { createSupervisor } from ${JSON.stringify(dist)};
    const supervisor = createSupervisor({
      servers: ${JSON.stringify(servers)},
      // Real processes and a real browser, so real time: the retry delay is the window in which
      // the page must show 'reconnecting'; heartbeats every second give the page a round trip.
      defaults: { reconnect: { initialDelayMs: 1000, maxDelayMs: 1000 }, heartbeat: { intervalMs: 1000, timeoutMs: 2000 } },
      control: { name: 'page-test' },
    });
    for (const name of supervisor.names) {
      const client = new Client({ name: 'page-test', version: '1.0.0' });
      await client.connect(supervisor.transport(name));
    }
    process.stdout.write('ready\\n');
    process.stdin.resume();
    process.stdin.on('end', async () => { await supervisor.close(); process.exit(0); });
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: cliEnv({ XDG_RUNTIME_DIR: runtimeDir }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** `lifeline inspect --no-open`, and the address it prints. */
async function startInspect(runtimeDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'inspect', '--no-open'], {
    env: cliEnv({ XDG_RUNTIME_DIR: runtimeDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  agents.later(() => stop(child));
  await waitFor(() => output.out().includes('\n'), {
    message: `lifeline inspect printed no address: ${output.err()}`,
  });
  return { child, url: output.out().split('\n')[0] as string };
}

describe.runIf(haveChromium)('lifeline inspect in a real browser', () => {
  it('shows a supervised connection open, the outage after its server is killed, and an XState actor of ours; offline, no secret', async () => {
    const runtimeDir = privateRuntimeDir();
    const pids = agents.pidfile('inspect-pids');
    const http = await startV2Http();
    const agent = startAgent(runtimeDir, pids, http);
    const agentOutput = collect(agent);
    agents.later(async () => {
      agent.stdin?.end();
      await stop(agent);
    });
    await waitFor(() => agentOutput.out().includes('ready'), {
      timeoutMs: 20_000,
      message: `the agent did not start: ${agentOutput.err()}`,
    });
    const { url } = await startInspect(runtimeDir);

    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    agents.later(() => context.close());
    const page = await context.newPage();
    const requests: string[] = [];
    const leftLoopback: string[] = [];
    await page.route('**/*', (route) => {
      const target = new URL(route.request().url());
      requests.push(target.href);
      if (target.hostname !== '127.0.0.1') {
        leftLoopback.push(target.href);
        return route.abort();
      }
      return route.continue();
    });
    const frames: string[] = [];
    page.on('websocket', (socket) => {
      requests.push(socket.url());
      if (new URL(socket.url()).hostname !== '127.0.0.1') leftLoopback.push(socket.url());
      socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
      socket.on('framesent', (frame) => frames.push(String(frame.payload)));
    });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    await page.goto(url);
    const local = page.locator('section.connection[data-connection="local"]');
    const remote = page.locator('section.connection[data-connection="remote"]');
    await local.and(page.locator('[data-state="open"]')).waitFor({ timeout: 15_000 });
    await remote.and(page.locator('[data-state="open"]')).waitFor({ timeout: 15_000 });
    expect(await local.locator('[data-field="state"]').textContent()).toContain('open');
    // The statechart is drawn, with the current state lit.
    await local.locator('g.state.active[data-state-id="open"]').waitFor();
    expect(await local.locator('g.state').count()).toBeGreaterThanOrEqual(7);

    const [server] = readPids(pids);
    process.kill(server as number, 'SIGKILL');
    await local.and(page.locator('[data-state="reconnecting"]')).waitFor({ timeout: 10_000 });
    await local.locator('g.state.active[data-state-id="reconnecting"]').waitFor();
    expect(await local.locator('[data-field="error"]').textContent()).toContain('LIFELINE_ERR_PROCESS_EXIT');
    expect(await local.locator('[data-field="next-retry"]').textContent()).toMatch(/in \d/);
    await local.and(page.locator('[data-state="open"]')).waitFor({ timeout: 15_000 });

    // The timeline records the outage: a reconnecting stretch, and one outage listed.
    await local.locator('[data-field="timeline"] .segment[data-state="reconnecting"]').first().waitFor();
    const outages = local.locator('[data-field="outages"] .outage');
    expect(await outages.count()).toBe(1);
    expect(await outages.first().textContent()).toMatch(/down \d+(\.\d+)? s at .*reconnecting/);
    // The log has the way down and back.
    const log = (await local.locator('[data-field="log"]').textContent()) ?? '';
    expect(log).toContain('open → reconnecting');
    expect(log).toContain('connecting → open');
    // The other connection never moved.
    expect(await remote.locator('[data-field="outages"] .outage').count()).toBe(0);

    // An XState actor of the test's own, through @statelyai/inspect's WebSocket inspector.
    const inspector = createWebSocketInspector({ url: url.replace(/^http/, 'ws') });
    agents.later(() => inspector.stop());
    const light = createActor(lightMachine, { inspect: inspector.inspect }).start();
    agents.later(() => light.stop());
    const actor = page.locator('section.actor', { hasText: 'light' });
    await actor.waitFor({ timeout: 15_000 });
    await actor.locator('g.state.active[data-state-id="green"]').waitFor();
    light.send({ type: 'TIMER' });
    light.send({ type: 'TIMER' });
    await actor.locator('g.state.active[data-state-id="red.walk"]').waitFor();
    await actor.locator('g.state.active[data-state-id="red"]').waitFor();
    expect(await actor.locator('g.state.active[data-state-id="green"]').count()).toBe(0);
    expect(await actor.locator('[data-field="value"]').textContent()).toContain('walk');

    // Offline: every request stayed on loopback. No secret reached the page or its feed.
    expect(leftLoopback).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    const dom = await page.content();
    const text = await page.locator('body').textContent();
    for (const secret of [ENV_SECRET, HEADER_SECRET]) {
      expect(dom).not.toContain(secret);
      expect(text).not.toContain(secret);
      expect(frames.some((frame) => frame.includes(secret))).toBe(false);
    }
    expect(frames.length).toBeGreaterThan(3);
    expect(problems).toEqual([]);

    const shot = await local.screenshot();
    expect(shot.length).toBeGreaterThan(10_000);
    if (process.env.UPDATE_DOCS === '1') {
      await page.evaluate('window.scrollTo(0, 0)');
      writeFileSync(join(repoRoot, 'docs', 'inspect.png'), await page.screenshot());
    }
  }, 90_000);
});
