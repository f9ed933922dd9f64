// The supervisor at scale: lifecycle changes reach the machine's context batched, many in one
// `server.status` event, not one each (each event copies the whole table; at 1,000 servers a
// backend restart held the event loop for over a second), and start() starts the servers a
// slice per event-loop turn. Real sockets: every server points at a loopback port nothing
// listens on.

import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createSupervisor, type Supervisor } from '../../src/supervisor/index.js';
import { waitFor } from '../helpers/processes.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.close()));
});

/** A loopback port that refuses connections: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `count` servers at a port that refuses, retrying only after a minute. */
function refused(port: number, count: number) {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `s${i}`,
      {
        url: `ws://127.0.0.1:${port}/mcp`,
        reconnect: { initialDelayMs: 60_000 },
        heartbeat: { intervalMs: 0 },
      },
    ]),
  );
}

describe('supervisor start', () => {
  it('starts the servers a slice per event-loop turn, and all of them', async () => {
    const port = await closedPort();
    const supervisor = createSupervisor({ servers: refused(port, 100) });
    supervisors.push(supervisor);
    const started = supervisor.start();
    const leftIdle = supervisor.status().filter((s) => s.state === 'idle').length;
    expect(leftIdle).toBeGreaterThan(0);
    expect(leftIdle).toBeLessThan(100);
    const statuses = await started;
    expect(statuses.filter((s) => s.state === 'idle')).toEqual([]);
  });
});

describe('supervisor status reports', () => {
  it('records many changes in one event, and every server is in context once start() resolves', async () => {
    const port = await closedPort();
    const count = 200;
    const statusEvents: number[] = [];
    const servers = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `s${i}`,
        {
          url: `ws://127.0.0.1:${port}/mcp`,
          reconnect: { initialDelayMs: 60_000 },
          heartbeat: { intervalMs: 0 },
        },
      ]),
    );
    const supervisor = createSupervisor({
      servers,
      inspect: (event: InspectionEvent) => {
        if (event.type !== '@xstate.event' || (event.actorRef as AnyActorRef).id !== event.rootId) return;
        const sent = event.event as { type: string; summaries?: Record<string, unknown> };
        if (sent.type === 'server.status') statusEvents.push(Object.keys(sent.summaries ?? {}).length);
      },
    });
    supervisors.push(supervisor);
    const statuses = await supervisor.start();
    expect(statuses.every((s) => s.state === 'reconnecting' && s.attempt === 1)).toBe(true);
    const context = supervisor.actor.getSnapshot().context.servers;
    expect(Object.keys(context)).toHaveLength(count);
    expect(Object.values(context).every((s) => s.state === 'reconnecting')).toBe(true);
    // Each server went idle → connecting → reconnecting: 2 × 200 changes.
    const reported = statusEvents.reduce((sum, n) => sum + n, 0);
    expect(reported).toBeGreaterThanOrEqual(count);
    expect(statusEvents.length).toBeLessThan(count / 4);
  });

  it('reports a change made after start() within the report interval', async () => {
    const port = await closedPort();
    const supervisor = createSupervisor({
      servers: {
        a: {
          url: `ws://127.0.0.1:${port}/mcp`,
          reconnect: { initialDelayMs: 20 },
          heartbeat: { intervalMs: 0 },
        },
      },
    });
    supervisors.push(supervisor);
    await supervisor.start();
    await waitFor(() => (supervisor.actor.getSnapshot().context.servers.a?.attempt ?? 0) >= 2, {
      timeoutMs: 5000,
      message: 'the second retry never reached the context',
    });
  });
});
