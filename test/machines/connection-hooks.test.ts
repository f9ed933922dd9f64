import { afterEach, describe, expect, it } from 'vitest';
import { type Actor, createActor, fromCallback, SimulatedClock } from 'xstate';
import { ErrorCode, type LifelineError, LinkError } from '../../src/errors.js';
import type { LinkCloseEvent, LinkEvent, LinkHandle, LinkInput } from '../../src/link/contract.js';
import {
  type ConnectionHooks,
  type ConnectionMachine,
  connectionMachine,
} from '../../src/machines/connection.js';
import type { ConnectionPolicy } from '../../src/machines/policy.js';
import { createTransport } from '../../src/runtime/transport.js';

// The runtime's side of a connection comes in the input (ConnectionHooks), so one machine
// serves every connection; `machine.provide()` per transport cost 22 KiB each
// (docs/benchmarks.md). The link actor is the only stand-in, as in connection.test.ts.

const POLICY: ConnectionPolicy = {
  reconnect: { initialDelayMs: 100, multiplier: 2, jitter: 0, maxDelayMs: 1000, maxAttempts: 3 },
  timeouts: { connectMs: 500, closeMs: 50 },
  heartbeat: { intervalMs: 1000, timeoutMs: 500 },
};

interface Recorded {
  hooks: ConnectionHooks;
  /** Each started link's input and its `sendBack`. */
  links: Array<{ input: LinkInput; sendBack: (event: LinkEvent) => void; stopped: boolean }>;
  calls: string[];
  downs: LifelineError[];
}

function recordingHooks(): Recorded {
  const recorded: Recorded = {
    links: [],
    calls: [],
    downs: [],
    hooks: {
      link: fromCallback<LinkCloseEvent, LinkInput>(({ sendBack, input }) => {
        const link = { input, sendBack, stopped: false };
        recorded.links.push(link);
        return () => {
          link.stopped = true;
        };
      }),
      linkUp: () => recorded.calls.push('linkUp'),
      linkDown: (error) => {
        recorded.calls.push('linkDown');
        recorded.downs.push(error);
      },
      probeLink: () => recorded.calls.push('probeLink'),
    },
  };
  return recorded;
}

const handle: LinkHandle = { send: () => Promise.resolve() };
const actors: Array<Actor<ConnectionMachine>> = [];

afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

function start(hooks: ConnectionHooks, clock: SimulatedClock): Actor<ConnectionMachine> {
  const actor = createActor(connectionMachine, { input: { policy: POLICY, seed: 1, hooks }, clock });
  actors.push(actor);
  actor.start();
  actor.send({ type: 'connection.start' });
  return actor;
}

describe('connection hooks given through input', () => {
  it('spawns the given link logic and calls linkUp, probeLink and linkDown on the unprovided machine', () => {
    const clock = new SimulatedClock();
    const recorded = recordingHooks();
    const actor = start(recorded.hooks, clock);
    expect(recorded.links).toHaveLength(1);
    expect(recorded.links[0]?.input.attempt).toBe(0);

    recorded.links[0]?.sendBack({ type: 'link.up', link: handle });
    expect(actor.getSnapshot().matches('open')).toBe(true);
    expect(recorded.calls).toEqual(['linkUp']);

    clock.increment(1000);
    expect(recorded.calls).toEqual(['linkUp', 'probeLink']);

    const error = new LinkError(ErrorCode.ConnectionLost, 'gone', { retryable: true });
    recorded.links[0]?.sendBack({ type: 'link.down', error });
    expect(recorded.calls).toEqual(['linkUp', 'probeLink', 'linkDown']);
    expect(recorded.downs).toEqual([error]);
    expect(recorded.links[0]?.stopped).toBe(true);
    expect(actor.getSnapshot().matches('reconnecting')).toBe(true);

    // The retry spawns the same logic again, as attempt 1.
    clock.increment(100);
    expect(recorded.links).toHaveLength(2);
    expect(recorded.links[1]?.input.attempt).toBe(1);
  });

  it('keeps each connection to its own hooks while both run the one machine', () => {
    const clock = new SimulatedClock();
    const a = recordingHooks();
    const b = recordingHooks();
    const actorA = start(a.hooks, clock);
    const actorB = start(b.hooks, clock);
    expect(actorA.logic).toBe(actorB.logic);
    b.links[0]?.sendBack({ type: 'link.up', link: handle });
    expect(b.calls).toEqual(['linkUp']);
    expect(a.calls).toEqual([]);
    expect(actorA.getSnapshot().matches('connecting')).toBe(true);
  });

  it('asks the given link to close, and persists a snapshot while the link runs', () => {
    const clock = new SimulatedClock();
    const recorded = recordingHooks();
    const actor = start(recorded.hooks, clock);
    recorded.links[0]?.sendBack({ type: 'link.up', link: handle });
    // XState persists a snapshot only when every child was spawned under a name setup knows.
    const persisted = actor.getPersistedSnapshot() as unknown as {
      children: Record<string, { src: unknown }>;
    };
    expect(persisted.children.link?.src).toBe('link');
    expect(() => JSON.stringify(persisted)).not.toThrow();
    expect(() => JSON.stringify(actor.getSnapshot())).not.toThrow();
    actor.send({ type: 'connection.close' });
    recorded.links[0]?.sendBack({ type: 'link.closed' });
    expect(actor.getSnapshot().matches('idle')).toBe(true);
    expect(recorded.links[0]?.stopped).toBe(true);
  });
});

describe('createTransport', () => {
  it('runs every transport on the one connection machine, not a provided copy', async () => {
    const first = createTransport({ command: process.execPath, args: ['-e', ''] });
    const second = createTransport({ url: 'ws://127.0.0.1:9/mcp' });
    try {
      expect(first.actor.logic).toBe(connectionMachine);
      expect(second.actor.logic).toBe(connectionMachine);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
