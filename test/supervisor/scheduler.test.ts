// The fleet's index of delayed events (src/supervisor/scheduler.ts) on real XState actors and a
// SimulatedClock: a stopping actor cancels its own delayed events, only those, without walking
// the delayed events of every other actor in the system.

import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, createActor, fromCallback, SimulatedClock, setup } from 'xstate';
import { indexScheduledEvents } from '../../src/supervisor/scheduler.js';

/** A child that is `done` once its delay passed. */
const waiter = setup({}).createMachine({
  initial: 'waiting',
  states: { waiting: { after: { 1000: 'done' } }, done: {} },
});

/** A parent that spawns `count` waiters, and a callback actor on `link.spawn`, stopped on `link.stop`. */
const parent = setup({
  types: { context: {} as { count: number }, input: {} as { count: number } },
  actors: { waiter, link: fromCallback(() => () => {}) },
  actions: {
    spawnWaiters: assign(({ context, spawn }) => {
      for (let i = 0; i < context.count; i += 1) spawn('waiter', { id: `w${i}` });
      return {};
    }),
  },
}).createMachine({
  context: ({ input }) => ({ count: input.count }),
  entry: 'spawnWaiters',
  initial: 'idle',
  states: {
    idle: { on: { 'link.spawn': 'linked' } },
    linked: { invoke: { src: 'link', id: 'link' }, on: { 'link.stop': 'idle' } },
  },
});

const started: { stop: () => void }[] = [];
afterEach(() => {
  for (const actor of started.splice(0)) actor.stop();
});

function startParent(count: number, indexed: boolean) {
  const clock = new SimulatedClock();
  const actor = createActor(parent, { clock, input: { count } });
  if (indexed) indexScheduledEvents(actor.system);
  actor.start();
  started.push(actor);
  const child = (id: string) => actor.getSnapshot().children[id] as AnyActorRef;
  return { actor, clock, child };
}

/** Counts the walks over the system's table of delayed events (XState's `cancelAll` uses `for…in`). */
function countWalks(system: unknown): () => number {
  const snapshot = (system as { _snapshot: { _scheduledEvents: object } })._snapshot;
  let walks = 0;
  snapshot._scheduledEvents = new Proxy(snapshot._scheduledEvents, {
    ownKeys(target) {
      walks += 1;
      return Reflect.ownKeys(target);
    },
  });
  return () => walks;
}

describe('indexScheduledEvents', () => {
  it('cancels the delayed events of a stopped actor, and only those', () => {
    const { actor, clock, child } = startParent(3, true);
    const w1 = child('w1');
    // What XState calls when an actor stops.
    actor.system.scheduler.cancelAll(w1);
    clock.increment(1000);
    expect(child('w0').getSnapshot().value).toBe('done');
    expect(child('w2').getSnapshot().value).toBe('done');
    expect(w1.getSnapshot().value).toBe('waiting');
  });

  it('cancels one delayed event by id, as XState does', () => {
    const { actor, clock, child } = startParent(2, true);
    const w0 = child('w0');
    // `after` events are scheduled under an id naming the delay and the state.
    const [id] = Object.values(actor.system.getSnapshot()._scheduledEvents)
      .filter((scheduled) => scheduled.source === w0)
      .map((scheduled) => scheduled.id);
    actor.system.scheduler.cancel(w0, id as string);
    clock.increment(1000);
    expect(w0.getSnapshot().value).toBe('waiting');
    expect(child('w1').getSnapshot().value).toBe('done');
  });

  it("stops an actor without walking every other actor's delayed events", () => {
    const { actor, child } = startParent(200, true);
    const walks = countWalks(actor.system);
    for (let i = 0; i < 5; i += 1) {
      actor.send({ type: 'link.spawn' });
      expect(child('link')).toBeDefined();
      actor.send({ type: 'link.stop' });
    }
    expect(walks()).toBe(0);
    // The waiters' delayed events are all still there.
    expect(Object.keys(actor.system.getSnapshot()._scheduledEvents)).toHaveLength(200);
  });

  it('is what XState does without it: a walk per stopped actor (the cost it removes)', () => {
    const { actor } = startParent(200, false);
    const walks = countWalks(actor.system);
    actor.send({ type: 'link.spawn' });
    actor.send({ type: 'link.stop' });
    expect(walks()).toBeGreaterThan(0);
  });

  it('keeps cancelling what is live after many delayed events were delivered', () => {
    const { actor, clock, child } = startParent(1, true);
    const w0 = child('w0');
    // Past the pruning threshold: the ids of delivered events are dropped on the way.
    for (let i = 0; i < 200; i += 1) {
      actor.system.scheduler.schedule(w0, w0, { type: 'tick' }, 1, `tick-${i}`);
      clock.increment(1);
    }
    actor.system.scheduler.cancelAll(w0);
    clock.increment(1000);
    expect(w0.getSnapshot().value).toBe('waiting');
    expect(actor.system.getSnapshot()._scheduledEvents).toEqual({});
  });
});
