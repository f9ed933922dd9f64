// The supervisor against real child processes (test/fixtures/stdio-server.mjs): one actor
// system for every server, status of all, recovery of one without disturbing the others,
// every configuration problem before anything starts, defaults merged key by key, reconnects
// spread by wider jitter, and one deadline to close them all.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, type InspectionEvent, SimulatedClock } from 'xstate';
import { ConfigError } from '../../src/errors.js';
import type { StdioConfig } from '../../src/runtime/options/resolve.js';
import { createSupervisor, type Supervisor, serverSystemId } from '../../src/supervisor/index.js';
import { FIXTURE_SERVER } from '../helpers/fixture-harness.js';
import { isAlive, killAll, readPids, removeTempFiles, tempFile, waitFor } from '../helpers/processes.js';

const supervisors: Supervisor[] = [];
const pidfiles: string[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.close()));
  for (const file of pidfiles.splice(0)) killAll(readPids(file).filter(isAlive));
});
afterAll(removeTempFiles);

function supervise(config: Parameters<typeof createSupervisor>[0]): Supervisor {
  const supervisor = createSupervisor(config);
  supervisors.push(supervisor);
  return supervisor;
}

/** A fixture server writing its pid to its own file, with small deadlines. */
function fixture(mode = ''): { config: StdioConfig; pids: () => number[] } {
  const pidfile = tempFile('supervisor-pids');
  pidfiles.push(pidfile);
  return {
    config: {
      command: process.execPath,
      args: [FIXTURE_SERVER],
      env: { FIXTURE_PIDFILE: pidfile, FIXTURE_MODE: mode },
      stderr: 'ignore',
      timeouts: { closeMs: 200 },
      reconnect: { initialDelayMs: 50 },
      heartbeat: { intervalMs: 0 },
    },
    pids: () => readPids(pidfile),
  };
}

describe('createSupervisor', () => {
  it('runs every server as a child of one actor system and reports all their states', async () => {
    const [a, b, c] = [fixture(), fixture(), fixture()];
    const seen = new Set<string>();
    const supervisor = supervise({
      servers: { a: a.config, b: b.config, c: c.config },
      inspect: (event: InspectionEvent) => {
        if (event.type === '@xstate.snapshot') seen.add((event.actorRef as AnyActorRef).id);
      },
    });
    expect(supervisor.names).toEqual(['a', 'b', 'c']);
    const statuses = await supervisor.start();
    expect(statuses.map((s) => [s.name, s.type, s.state])).toEqual([
      ['a', 'stdio', 'open'],
      ['b', 'stdio', 'open'],
      ['c', 'stdio', 'open'],
    ]);
    for (const name of supervisor.names) {
      expect(supervisor.actor.system.get(serverSystemId(name))).toBe(supervisor.transport(name).actor);
      expect(seen.has(name)).toBe(true);
    }
    const summaries = supervisor.actor.getSnapshot().context.servers;
    expect(Object.values(summaries).map((s) => s.state)).toEqual(['open', 'open', 'open']);
  });

  it('recovers a killed server while the others are not disturbed', async () => {
    const servers = { a: fixture(), b: fixture(), c: fixture() };
    const supervisor = supervise({
      servers: Object.fromEntries(Object.entries(servers).map(([name, f]) => [name, f.config])),
    });
    await supervisor.start();
    const client = new Client({ name: 'supervisor-test', version: '1.0.0' });
    await client.connect(supervisor.transport('b'));
    const changes: string[] = [];
    supervisor.subscribe((status) => changes.push(`${status.name}:${status.state}`));

    process.kill(servers.b.pids()[0] as number, 'SIGKILL');
    await waitFor(() => supervisor.transport('b').stats.reestablished === 1, {
      message: 'b never re-established its session',
    });
    const result = await client.callTool({ name: 'echo', arguments: { message: 'again' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: again' }]);

    expect(changes).toContain('b:reconnecting');
    expect(changes.filter((change) => !change.startsWith('b:'))).toEqual([]);
    const status = Object.fromEntries(supervisor.status().map((s) => [s.name, s]));
    expect(status.b?.stats.links).toBe(2);
    expect(status.a?.stats.links).toBe(1);
    expect(status.c?.stats.links).toBe(1);
    expect(status.b?.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(supervisor.status().every((s) => s.state === 'open')).toBe(true);
  });

  it('reports every problem of every server in one error, before anything starts', () => {
    const good = fixture();
    let error: unknown;
    try {
      createSupervisor({
        servers: {
          empty: { command: '' },
          ftp: { url: 'ftp://example.com/mcp' },
          slow: { ...good.config, timeouts: { connectMs: -1 } },
          good: good.config,
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^server "empty": command: expected a non-empty string/);
    expect(problems[1]).toMatch(/^server "ftp": url:/);
    expect(problems[2]).toMatch(/^server "slow": timeouts\.connectMs: expected a number >= 1/);
    expect(good.pids()).toEqual([]);
  });

  it('merges the defaults under each server key by key, and spreads reconnects with ±50 % jitter', () => {
    const own = fixture();
    const supervisor = supervise({
      servers: {
        own: { ...own.config, reconnect: { initialDelayMs: 70 } },
        fixed: { ...own.config, reconnect: { jitter: 0 } },
      },
      defaults: { reconnect: { maxAttempts: 3, initialDelayMs: 10 }, timeouts: { connectMs: 4000 } },
    });
    const policy = (name: string) => supervisor.transport(name).actor.getSnapshot().context.policy;
    expect(policy('own').reconnect).toMatchObject({ initialDelayMs: 70, maxAttempts: 3, jitter: 0.5 });
    expect(policy('own').timeouts).toMatchObject({ connectMs: 4000, closeMs: 200 });
    expect(policy('fixed').reconnect).toMatchObject({ initialDelayMs: 10, maxAttempts: 3, jitter: 0 });
  });

  it('spreads the first retries of 100 connections whose backend went away', async () => {
    // Every server exits at once (`/bin/false`-like); on a simulated clock each waits its delay.
    const clock = new SimulatedClock();
    const servers = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [
        `s${i}`,
        {
          command: process.execPath,
          args: ['-e', 'process.exit(1)'],
          stderr: 'ignore' as const,
          reconnect: { initialDelayMs: 1000 },
        },
      ]),
    );
    const supervisor = supervise({ servers, clock, seed: 7 });
    await supervisor.start();
    await waitFor(() => supervisor.status().every((s) => s.state === 'reconnecting' && s.attempt === 1), {
      timeoutMs: 30_000,
      message: 'not every server went to reconnecting',
    });
    const delays = supervisor.status().map((s) => (s.nextRetryAt as number) - s.since);
    // ±50 %: uniform over [500, 1500) ms. Ten 100 ms windows hold about ten each.
    const windows = Array.from(
      { length: 10 },
      (_, w) => delays.filter((d) => Math.floor((d - 500) / 100) === w).length,
    );
    expect(windows.reduce((sum, n) => sum + n, 0)).toBe(100);
    expect(Math.max(...windows)).toBeLessThanOrEqual(20);
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('closes every server in parallel under one deadline, then stops the system', async () => {
    const [a, stubborn] = [fixture(), fixture('ignore-sigterm,linger')];
    const supervisor = supervise({
      servers: { a: a.config, stubborn: { ...stubborn.config, timeouts: { closeMs: 2000 } } },
      closeDeadlineMs: 300,
    });
    await supervisor.start();
    const began = Date.now();
    const report = await supervisor.close();
    expect(Date.now() - began).toBeLessThan(1500);
    expect(report).toEqual({ closed: ['a'], late: ['stubborn'] });
    expect(a.pids().filter(isAlive)).toEqual([]);
    // The late one still finishes its escalation (SIGKILL after 2 × closeMs) in the background.
    await waitFor(() => stubborn.pids().filter(isAlive).length === 0, {
      timeoutMs: 8000,
      message: 'the stubborn server was never killed',
    });
    await waitFor(() => supervisor.actor.getSnapshot().status !== 'active', {
      message: 'the actor system was not stopped',
    });
    expect(await supervisor.close()).toBe(report);
  });
});
