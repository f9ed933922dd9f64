import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Actor,
  createActor,
  fromCallback,
  type InspectionEvent,
  SimulatedClock,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { ErrorCode, LifelineError, LinkError } from '../../src/errors.js';
import type { LinkCloseEvent, LinkEvent, LinkHandle, LinkInput } from '../../src/link/contract.js';
import {
  type ConnectionEvent,
  type ConnectionMachine,
  type ConnectionState,
  connectionMachine,
} from '../../src/machines/connection.js';
import { backoffDelay, type ConnectionPolicy, nextRandom } from '../../src/machines/policy.js';

// ---------------------------------------------------------------------------------------------
// Harness: the machine runs on a SimulatedClock; the link actor is the only stand-in.
// ---------------------------------------------------------------------------------------------

/** One started link actor, as the test sees it. */
interface FakeLink {
  readonly input: LinkInput;
  /** Reports an event to the connection machine, as a transport would. */
  readonly sendBack: (event: LinkEvent) => void;
  /** Every event the machine sent to this link. */
  readonly received: LinkCloseEvent[];
  /** Whether the machine stopped this link (its cleanup ran). */
  stopped: boolean;
}

/** A SimulatedClock that also knows how many timers are pending. */
class CountingClock extends SimulatedClock {
  readonly #pending = new Set<number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = super.setTimeout((...args: unknown[]) => {
      this.#pending.delete(id);
      fn(...args);
    }, timeout);
    this.#pending.add(id);
    return id;
  }

  override clearTimeout(id: number): void {
    this.#pending.delete(id);
    super.clearTimeout(id);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pending(): number {
    return this.#pending.size;
  }
}

const POLICY: ConnectionPolicy = {
  reconnect: { initialDelayMs: 100, multiplier: 2, jitter: 0, maxDelayMs: 1000, maxAttempts: 3 },
  timeouts: { connectMs: 500, closeMs: 50 },
  heartbeat: { intervalMs: 0, timeoutMs: 500 },
};

const HEARTBEAT: ConnectionPolicy = { ...POLICY, heartbeat: { intervalMs: 1000, timeoutMs: 500 } };

type Overrides = {
  reconnect?: Partial<ConnectionPolicy['reconnect']>;
  timeouts?: Partial<ConnectionPolicy['timeouts']>;
  heartbeat?: Partial<ConnectionPolicy['heartbeat']>;
};

function policyWith(overrides: Overrides, base: ConnectionPolicy = POLICY): ConnectionPolicy {
  return {
    reconnect: { ...base.reconnect, ...overrides.reconnect },
    timeouts: { ...base.timeouts, ...overrides.timeouts },
    heartbeat: { ...base.heartbeat, ...overrides.heartbeat },
  };
}

type Snapshot = SnapshotFrom<ConnectionMachine>;

const actors: Array<Actor<ConnectionMachine>> = [];

afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

interface Harness {
  actor: Actor<ConnectionMachine>;
  clock: CountingClock;
  links: FakeLink[];
  hooks: {
    linkUp: ReturnType<typeof vi.fn<(event: ConnectionEvent) => void>>;
    linkDown: ReturnType<typeof vi.fn<(event: ConnectionEvent) => void>>;
    probeLink: ReturnType<typeof vi.fn<(event: ConnectionEvent) => void>>;
  };
  /** The top-level state of every microstep, in order (shows passes through `closing`). */
  microsteps: ConnectionState[];
  snapshot(): Snapshot;
  state(): ConnectionState;
  send(event: ConnectionEvent): void;
  /** The most recently started link. */
  link(): FakeLink;
  /** Advances the clock by `ms` in steps of at most `step` ms (so chained timers run too). */
  advance(ms: number, step?: number): void;
}

function topState(value: StateValue): ConnectionState {
  const top = typeof value === 'string' ? value : Object.keys(value)[0];
  return top as ConnectionState;
}

function harness(policy: ConnectionPolicy = POLICY, seed = 1): Harness {
  const links: FakeLink[] = [];
  const hooks = {
    linkUp: vi.fn<(event: ConnectionEvent) => void>(),
    linkDown: vi.fn<(event: ConnectionEvent) => void>(),
    probeLink: vi.fn<(event: ConnectionEvent) => void>(),
  };
  const machine = connectionMachine.provide({
    actors: {
      link: fromCallback<LinkCloseEvent, LinkInput>(({ sendBack, receive, input }) => {
        const link: FakeLink = { input, sendBack, received: [], stopped: false };
        links.push(link);
        receive((event) => {
          link.received.push(event);
        });
        return () => {
          link.stopped = true;
        };
      }),
    },
    actions: {
      linkUp: ({ event }) => hooks.linkUp(event),
      linkDown: ({ event }) => hooks.linkDown(event),
      probeLink: ({ event }) => hooks.probeLink(event),
    },
  });
  const microsteps: ConnectionState[] = [];
  const inspect = (inspection: InspectionEvent): void => {
    if (inspection.type !== '@xstate.microstep') return;
    const { value } = inspection.snapshot as { value?: StateValue };
    if (value !== undefined) microsteps.push(topState(value));
  };
  const clock = new CountingClock();
  const actor = createActor(machine, { input: { policy, seed }, clock, inspect });
  actors.push(actor);
  actor.start();
  return {
    actor,
    clock,
    links,
    hooks,
    microsteps,
    snapshot: () => actor.getSnapshot(),
    state: () => topState(actor.getSnapshot().value),
    send: (event) => actor.send(event),
    link: () => {
      const link = links.at(-1);
      if (link === undefined) throw new Error('no link was started');
      return link;
    },
    advance: (ms, step = 10) => {
      for (let left = ms; left > 0; left -= step) clock.increment(Math.min(step, left));
    },
  };
}

const handle: LinkHandle = { send: async () => {} };

function retryable(message = 'the process exited'): LinkError {
  return new LinkError(ErrorCode.ProcessExit, message, { retryable: true });
}

function permanent(message = 'command not found'): LinkError {
  return new LinkError(ErrorCode.Spawn, message, { retryable: false });
}

function up(link: FakeLink): void {
  link.sendBack({ type: 'link.up', link: handle });
}

function down(link: FakeLink, error: LinkError = retryable()): void {
  link.sendBack({ type: 'link.down', error });
}

/** Starts the connection and brings its first link up. */
function opened(policy: ConnectionPolicy = POLICY): Harness {
  const h = harness(policy);
  h.send({ type: 'connection.start' });
  up(h.link());
  return h;
}

/** Brings a harness to `target` (top-level state) by the shortest path. */
function driveTo(target: ConnectionState, policy: ConnectionPolicy = POLICY): Harness {
  const h = harness(policy);
  switch (target) {
    case 'idle':
      break;
    case 'connecting':
      h.send({ type: 'connection.start' });
      break;
    case 'open':
      h.send({ type: 'connection.start' });
      up(h.link());
      break;
    case 'reconnecting':
      h.send({ type: 'connection.start' });
      down(h.link());
      break;
    case 'closing':
      h.send({ type: 'connection.start' });
      h.send({ type: 'connection.close' });
      break;
    case 'failed':
      h.send({ type: 'connection.start' });
      down(h.link(), permanent());
      break;
  }
  expect(h.state()).toBe(target);
  return h;
}

/** Nothing happens any more: a long time passes without a state change, a new link or a pending timer. */
function expectQuiet(h: Harness): void {
  const before = h.snapshot();
  const links = h.links.length;
  expect(h.clock.pending).toBe(0);
  h.advance(100_000, 1000);
  expect(h.snapshot().value).toEqual(before.value);
  expect(h.snapshot().context).toEqual(before.context);
  expect(h.links).toHaveLength(links);
  expect(h.clock.pending).toBe(0);
}

function lastError(h: Harness): LifelineError {
  const error = h.snapshot().context.lastError;
  if (error === undefined) throw new Error('expected a lastError');
  return error;
}

// ---------------------------------------------------------------------------------------------

describe('connectionMachine', () => {
  describe('idle', () => {
    it('starts in idle with a clean context and no link', () => {
      const h = harness();
      expect(h.snapshot().value).toBe('idle');
      expect(h.snapshot().context).toMatchObject({
        attempt: 0,
        delayMs: 0,
        linked: false,
        links: 0,
        lastError: undefined,
        era: undefined,
        protocolVersion: undefined,
        sessionId: undefined,
      });
      expect(h.snapshot().children.link).toBeUndefined();
      expect(h.links).toHaveLength(0);
    });

    it('does nothing on its own: a long time later it is still idle with no link and no timer', () => {
      expectQuiet(harness());
    });

    it('connection.start moves to connecting and spawns exactly one link with input.attempt 0', () => {
      const h = harness();
      h.send({ type: 'connection.start' });
      expect(h.state()).toBe('connecting');
      expect(h.links).toHaveLength(1);
      expect(h.link().input).toEqual({ attempt: 0 });
      expect(h.link().stopped).toBe(false);
      expect(h.snapshot().context).toMatchObject({ linked: true, links: 1, attempt: 0 });
    });

    it('ignores link and heartbeat events', () => {
      const h = harness();
      h.send({ type: 'link.up', link: handle });
      h.send({ type: 'link.down', error: retryable() });
      h.send({ type: 'link.closed' });
      h.send({ type: 'link.proven' });
      h.send({ type: 'heartbeat.ack' });
      h.send({ type: 'heartbeat.missed' });
      expect(h.state()).toBe('idle');
      expect(h.hooks.linkUp).not.toHaveBeenCalled();
      expect(h.hooks.linkDown).not.toHaveBeenCalled();
      expect(h.snapshot().context.lastError).toBeUndefined();
    });
  });

  describe('connecting', () => {
    it('link.up moves to open and hands the event (with the link handle) to the linkUp hook', () => {
      const h = driveTo('connecting');
      up(h.link());
      expect(h.snapshot().matches('open')).toBe(true);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.linkUp).toHaveBeenCalledTimes(1);
      expect(h.hooks.linkUp).toHaveBeenCalledWith({ type: 'link.up', link: handle });
      expect(h.link().stopped).toBe(false);
    });

    it('a retryable link.down moves to reconnecting with attempt 1 and delayMs 100, and stops the link', () => {
      const h = driveTo('connecting');
      const error = retryable();
      down(h.link(), error);
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100, linked: false });
      expect(h.snapshot().context.lastError).toBe(error);
      expect(h.links[0]?.stopped).toBe(true);
    });

    it('a link.down calls the linkDown hook with the event', () => {
      const h = driveTo('connecting');
      const error = retryable();
      down(h.link(), error);
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
      expect(h.hooks.linkDown).toHaveBeenCalledWith({ type: 'link.down', error });
    });

    it('waits delayMs in reconnecting: still reconnecting after 99 ms, connecting with a new link (input.attempt 1) at 100 ms', () => {
      const h = driveTo('connecting');
      down(h.link());
      h.clock.increment(99);
      expect(h.state()).toBe('reconnecting');
      expect(h.links).toHaveLength(1);
      h.clock.increment(1);
      expect(h.state()).toBe('connecting');
      expect(h.links).toHaveLength(2);
      expect(h.link().input).toEqual({ attempt: 1 });
      expect(h.link().stopped).toBe(false);
      expect(h.snapshot().context).toMatchObject({ linked: true, links: 2 });
    });

    it('a non-retryable link.down fails at once with that error as lastError, and never starts another link', () => {
      const h = driveTo('connecting');
      const error = permanent();
      down(h.link(), error);
      expect(h.state()).toBe('failed');
      expect(h.snapshot().context.lastError).toBe(error);
      expect(h.link().stopped).toBe(true);
      expect(h.hooks.linkDown).toHaveBeenCalledWith({ type: 'link.down', error });
      expectQuiet(h);
      expect(h.links).toHaveLength(1);
    });

    it('without link.up within connectMs, moves to reconnecting with LIFELINE_ERR_CONNECT_TIMEOUT and stops the link', () => {
      const h = driveTo('connecting');
      h.clock.increment(499);
      expect(h.state()).toBe('connecting');
      expect(h.link().stopped).toBe(false);
      h.clock.increment(1);
      expect(h.state()).toBe('reconnecting');
      const error = lastError(h);
      expect(error).toBeInstanceOf(LinkError);
      expect(error.code).toBe(ErrorCode.ConnectTimeout);
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('500 ms');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100, linked: false });
      expect(h.hooks.linkDown).toHaveBeenCalledWith({ type: 'link.down', error });
    });

    it('link.up cancels the connect deadline', () => {
      const h = driveTo('connecting');
      h.clock.increment(400);
      up(h.link());
      h.advance(10_000);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.linkDown).not.toHaveBeenCalled();
    });

    it('each new attempt gets a fresh connect deadline', () => {
      const h = driveTo('connecting');
      h.clock.increment(500);
      h.clock.increment(100);
      expect(h.state()).toBe('connecting');
      expect(h.links).toHaveLength(2);
      h.clock.increment(499);
      expect(h.state()).toBe('connecting');
      h.clock.increment(1);
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context).toMatchObject({ attempt: 2, delayMs: 200 });
      expect(h.links[1]?.stopped).toBe(true);
    });

    it('ignores events from a link it has stopped', () => {
      const h = driveTo('connecting');
      const first = h.link();
      down(first);
      h.clock.increment(100);
      expect(h.links).toHaveLength(2);
      up(first);
      down(first, permanent());
      expect(h.state()).toBe('connecting');
      expect(h.hooks.linkUp).not.toHaveBeenCalled();
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
    });
  });

  describe('open', () => {
    it('link.down moves to reconnecting, stops the link and calls linkDown with the event', () => {
      const h = opened();
      const error = retryable();
      down(h.link(), error);
      expect(h.state()).toBe('reconnecting');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100, linked: false });
      expect(h.snapshot().context.lastError).toBe(error);
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
      expect(h.hooks.linkDown).toHaveBeenCalledWith({ type: 'link.down', error });
    });

    it('a non-retryable link.down fails at once', () => {
      const h = opened();
      const error = permanent('401 Unauthorized');
      down(h.link(), error);
      expect(h.state()).toBe('failed');
      expect(h.snapshot().context.lastError).toBe(error);
      expect(h.link().stopped).toBe(true);
      expectQuiet(h);
    });

    it('backoff grows per policy while the link never proves itself: delays 100, 200, 400', () => {
      const h = driveTo('connecting');
      const seen: Array<{ attempt: number; delayMs: number; input: number }> = [];
      for (let i = 0; i < 3; i++) {
        up(h.link());
        expect(h.state()).toBe('open');
        down(h.link());
        expect(h.state()).toBe('reconnecting');
        const { attempt, delayMs } = h.snapshot().context;
        h.clock.increment(delayMs);
        expect(h.state()).toBe('connecting');
        seen.push({ attempt, delayMs, input: h.link().input.attempt });
      }
      expect(seen).toEqual([
        { attempt: 1, delayMs: 100, input: 1 },
        { attempt: 2, delayMs: 200, input: 2 },
        { attempt: 3, delayMs: 400, input: 3 },
      ]);
    });

    it('delays stop growing at maxDelayMs', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } }));
      const delays: number[] = [];
      for (let i = 0; i < 7; i++) {
        down(h.link());
        delays.push(h.snapshot().context.delayMs);
        h.clock.increment(h.snapshot().context.delayMs);
      }
      expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    });

    it('link.proven resets attempt to 0 and clears lastError, so the next failure waits initialDelayMs again', () => {
      const h = driveTo('connecting');
      for (let i = 0; i < 3; i++) {
        down(h.link());
        h.clock.increment(h.snapshot().context.delayMs);
      }
      up(h.link());
      expect(h.snapshot().context).toMatchObject({ attempt: 3, delayMs: 400 });
      expect(h.snapshot().context.lastError).toBeDefined();
      h.send({ type: 'link.proven' });
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.snapshot().context).toMatchObject({ attempt: 0, delayMs: 0, lastError: undefined });
      down(h.link());
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100 });
    });

    it('link.proven outside open changes nothing', () => {
      const h = driveTo('reconnecting');
      const before = h.snapshot().context;
      h.send({ type: 'link.proven' });
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context).toEqual(before);
    });

    it('a second link.up while open is ignored', () => {
      const h = opened();
      up(h.link());
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.linkUp).toHaveBeenCalledTimes(1);
    });
  });

  describe('retry budget', () => {
    it('with maxAttempts 3, the 4th consecutive failure fails with LIFELINE_ERR_RETRIES_EXHAUSTED caused by the last link error', () => {
      const h = driveTo('connecting');
      for (let i = 1; i <= 3; i++) {
        up(h.link());
        down(h.link(), retryable(`exit ${i}`));
        expect(h.state()).toBe('reconnecting');
        expect(h.snapshot().context.attempt).toBe(i);
        h.clock.increment(h.snapshot().context.delayMs);
      }
      const last = retryable('exit 4');
      up(h.link());
      down(h.link(), last);
      expect(h.state()).toBe('failed');
      const error = lastError(h);
      expect(error).toBeInstanceOf(LifelineError);
      expect(error.code).toBe(ErrorCode.RetriesExhausted);
      expect(error.cause).toBe(last);
      expect(error.message).toContain('4 failed attempts');
      expect(error.message).toContain('exit 4');
      expect(h.link().stopped).toBe(true);
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(4);
      expect(h.hooks.linkDown).toHaveBeenLastCalledWith({ type: 'link.down', error: last });
      expect(h.links).toHaveLength(4);
      expectQuiet(h);
    });

    it('counts connect timeouts as failures too', () => {
      const h = driveTo('connecting');
      for (const delay of [100, 200, 400]) {
        h.clock.increment(500);
        expect(h.state()).toBe('reconnecting');
        h.clock.increment(delay);
        expect(h.state()).toBe('connecting');
      }
      h.clock.increment(500);
      expect(h.state()).toBe('failed');
      const error = lastError(h);
      expect(error.code).toBe(ErrorCode.RetriesExhausted);
      expect(error.cause).toBeInstanceOf(LinkError);
      expect((error.cause as LinkError).code).toBe(ErrorCode.ConnectTimeout);
      expect(h.link().stopped).toBe(true);
    });

    it('maxAttempts 0 means the first failure fails', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: 0 } }));
      const error = retryable();
      down(h.link(), error);
      expect(h.state()).toBe('failed');
      expect(lastError(h).code).toBe(ErrorCode.RetriesExhausted);
      expect(lastError(h).cause).toBe(error);
      expect(lastError(h).message).toContain('1 failed attempt ');
      expect(h.link().stopped).toBe(true);
      expectQuiet(h);
    });

    it('maxAttempts 0 also fails on the first failure of an open link', () => {
      const h = opened(policyWith({ reconnect: { maxAttempts: 0 } }));
      down(h.link());
      expect(h.state()).toBe('failed');
      expect(lastError(h).code).toBe(ErrorCode.RetriesExhausted);
    });

    it('a non-retryable error keeps its own code rather than LIFELINE_ERR_RETRIES_EXHAUSTED, even when the budget is spent', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: 0 } }));
      const error = permanent();
      down(h.link(), error);
      expect(h.state()).toBe('failed');
      expect(h.snapshot().context.lastError).toBe(error);
    });

    it('a proven link starts a fresh budget', () => {
      const h = driveTo('connecting');
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3; i++) {
          down(h.link());
          h.clock.increment(h.snapshot().context.delayMs);
        }
        up(h.link());
        h.send({ type: 'link.proven' });
      }
      down(h.link());
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context.attempt).toBe(1);
    });

    it('with maxAttempts Infinity it never gives up', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } }));
      for (let i = 0; i < 25; i++) {
        down(h.link());
        expect(h.state()).toBe('reconnecting');
        h.clock.increment(h.snapshot().context.delayMs);
      }
      expect(h.state()).toBe('connecting');
      expect(h.link().input.attempt).toBe(25);
    });
  });

  describe('failed', () => {
    it('connection.start moves to connecting with attempt reset to 0, lastError cleared and a new link', () => {
      const h = driveTo('connecting');
      down(h.link());
      h.clock.increment(100);
      down(h.link(), permanent());
      expect(h.state()).toBe('failed');
      expect(h.snapshot().context.attempt).toBe(1);
      h.send({ type: 'connection.start' });
      expect(h.state()).toBe('connecting');
      expect(h.snapshot().context).toMatchObject({
        attempt: 0,
        delayMs: 0,
        lastError: undefined,
        linked: true,
      });
      expect(h.links).toHaveLength(3);
      expect(h.link().input).toEqual({ attempt: 0 });
    });

    it('connection.start forgets the old session: era, protocolVersion and sessionId are cleared until the new handshake', () => {
      const h = driveTo('connecting');
      h.send({ type: 'session.update', era: 'modern', protocolVersion: '2025-06-18', sessionId: 'old' });
      down(h.link(), permanent());
      expect(h.state()).toBe('failed');
      expect(h.snapshot().context.sessionId).toBe('old');
      h.send({ type: 'connection.start' });
      expect(h.snapshot().context).toMatchObject({
        era: undefined,
        protocolVersion: undefined,
        sessionId: undefined,
      });
    });

    it('a restart after exhaustion gets the whole budget again', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: 1 } }));
      down(h.link());
      h.clock.increment(100);
      down(h.link());
      expect(h.state()).toBe('failed');
      h.send({ type: 'connection.start' });
      down(h.link());
      expect(h.state()).toBe('reconnecting');
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100 });
    });

    it('leaves no timer behind: a long time later it is still failed with no new link', () => {
      expectQuiet(driveTo('failed'));
    });
  });

  describe('heartbeat', () => {
    it('an open link starts in open.watching and probes after intervalMs: open.probing and probeLink called', () => {
      const h = opened(HEARTBEAT);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      h.clock.increment(999);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.probeLink).not.toHaveBeenCalled();
      h.clock.increment(1);
      expect(h.snapshot().matches({ open: 'probing' })).toBe(true);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(1);
    });

    it('heartbeat.ack returns to watching, and the next probe comes intervalMs later', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      h.clock.increment(300);
      h.send({ type: 'heartbeat.ack' });
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      h.clock.increment(999);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(1);
      h.clock.increment(1);
      expect(h.snapshot().matches({ open: 'probing' })).toBe(true);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(2);
    });

    it('an ack with quietMs schedules the next probe when the silence reaches intervalMs', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      // The link read a byte 400 ms ago: probe again in 600 ms, not 1000.
      h.send({ type: 'heartbeat.ack', quietMs: 400 });
      expect(h.snapshot().context.probeInMs).toBe(600);
      h.clock.increment(599);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(1);
      h.clock.increment(1);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(2);
      // A real answer (no quietMs) waits the whole interval again.
      h.send({ type: 'heartbeat.ack' });
      h.clock.increment(999);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(2);
      h.clock.increment(1);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(3);
    });

    it('a new link starts a whole interval, whatever the last ack planned', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      h.send({ type: 'heartbeat.ack', quietMs: 900 });
      expect(h.snapshot().context.probeInMs).toBe(100);
      down(h.link());
      h.clock.increment(h.snapshot().context.delayMs);
      up(h.link());
      expect(h.snapshot().context.probeInMs).toBe(1000);
    });

    it('keeps the link open as long as every probe is answered', () => {
      const h = opened(HEARTBEAT);
      for (let i = 0; i < 10; i++) {
        h.clock.increment(1000);
        h.clock.increment(499);
        h.send({ type: 'heartbeat.ack' });
      }
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.probeLink).toHaveBeenCalledTimes(10);
      expect(h.hooks.linkDown).not.toHaveBeenCalled();
    });

    it('no ack within timeoutMs moves to reconnecting with LIFELINE_ERR_HEARTBEAT_TIMEOUT and stops the link', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      h.clock.increment(499);
      expect(h.snapshot().matches({ open: 'probing' })).toBe(true);
      h.clock.increment(1);
      expect(h.state()).toBe('reconnecting');
      const error = lastError(h);
      expect(error).toBeInstanceOf(LinkError);
      expect(error.code).toBe(ErrorCode.HeartbeatTimeout);
      expect(error.retryable).toBe(true);
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context).toMatchObject({ attempt: 1, delayMs: 100, linked: false });
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
      expect(h.hooks.linkDown).toHaveBeenCalledWith({ type: 'link.down', error });
    });

    it('an external heartbeat.missed in open leads to reconnecting with LIFELINE_ERR_HEARTBEAT_TIMEOUT', () => {
      const h = opened(HEARTBEAT);
      h.send({ type: 'heartbeat.missed' });
      expect(h.state()).toBe('reconnecting');
      expect(lastError(h).code).toBe(ErrorCode.HeartbeatTimeout);
      expect(h.link().stopped).toBe(true);
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
    });

    it('an external heartbeat.missed while probing also leads to reconnecting', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      h.send({ type: 'heartbeat.missed' });
      expect(h.state()).toBe('reconnecting');
      expect(lastError(h).code).toBe(ErrorCode.HeartbeatTimeout);
    });

    it('a missed heartbeat counts toward the retry budget', () => {
      const h = opened(policyWith({ reconnect: { maxAttempts: 0 } }, HEARTBEAT));
      h.send({ type: 'heartbeat.missed' });
      expect(h.state()).toBe('failed');
      expect(lastError(h).code).toBe(ErrorCode.RetriesExhausted);
      expect((lastError(h).cause as LinkError).code).toBe(ErrorCode.HeartbeatTimeout);
    });

    it('heartbeat.missed outside open is ignored', () => {
      const h = driveTo('connecting', HEARTBEAT);
      h.send({ type: 'heartbeat.missed' });
      expect(h.state()).toBe('connecting');
      expect(h.link().stopped).toBe(false);
      expect(h.snapshot().context.lastError).toBeUndefined();
    });

    it('heartbeat.ack while watching changes nothing', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(500);
      h.send({ type: 'heartbeat.ack' });
      h.clock.increment(500);
      expect(h.snapshot().matches({ open: 'probing' })).toBe(true);
    });

    it('intervalMs 0 disables probing: long after, still open.watching and probeLink never called', () => {
      const h = opened(POLICY);
      h.advance(1_000_000, 1000);
      expect(h.snapshot().matches({ open: 'watching' })).toBe(true);
      expect(h.hooks.probeLink).not.toHaveBeenCalled();
      expect(h.clock.pending).toBe(0);
    });

    it('the heartbeat timers die with open: no second failure after leaving open mid-probe', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      down(h.link());
      expect(h.state()).toBe('reconnecting');
      h.clock.increment(99);
      h.clock.increment(1);
      expect(h.state()).toBe('connecting');
      h.clock.increment(450);
      expect(h.state()).toBe('connecting');
      expect(h.snapshot().context.attempt).toBe(1);
      expect(h.hooks.linkDown).toHaveBeenCalledTimes(1);
    });
  });

  describe('session.update', () => {
    const states: ConnectionState[] = ['idle', 'connecting', 'open', 'reconnecting', 'closing', 'failed'];

    it.each(states)('updates era, protocolVersion and sessionId in %s without changing state', (state) => {
      const h = driveTo(state);
      const value = h.snapshot().value;
      h.send({ type: 'session.update', era: 'modern', protocolVersion: '2025-06-18', sessionId: 'abc' });
      expect(h.snapshot().value).toEqual(value);
      expect(h.snapshot().context).toMatchObject({
        era: 'modern',
        protocolVersion: '2025-06-18',
        sessionId: 'abc',
      });
    });

    it('keeps the fields the event does not name', () => {
      const h = harness();
      h.send({ type: 'session.update', era: 'legacy', protocolVersion: '2024-11-05', sessionId: 's1' });
      h.send({ type: 'session.update', era: 'modern' });
      expect(h.snapshot().context).toMatchObject({
        era: 'modern',
        protocolVersion: '2024-11-05',
        sessionId: 's1',
      });
    });

    it('an explicit sessionId: undefined clears the session id', () => {
      const h = harness();
      h.send({ type: 'session.update', sessionId: 's1' });
      h.send({ type: 'session.update', sessionId: undefined });
      expect(h.snapshot().context.sessionId).toBeUndefined();
    });

    it('survives reconnects', () => {
      const h = opened();
      h.send({ type: 'session.update', era: 'modern', sessionId: 's1' });
      down(h.link());
      h.clock.increment(100);
      up(h.link());
      expect(h.snapshot().context).toMatchObject({ era: 'modern', sessionId: 's1' });
    });
  });

  describe('close', () => {
    it('from idle: passes through closing to idle at once, starting no link', () => {
      const h = harness();
      h.microsteps.length = 0;
      h.send({ type: 'connection.close' });
      expect(h.microsteps).toEqual(['closing', 'idle']);
      expect(h.state()).toBe('idle');
      expect(h.links).toHaveLength(0);
      expectQuiet(h);
    });

    it('from connecting: sends link.close (with closeMs) to the link and waits in closing', () => {
      const h = driveTo('connecting');
      h.send({ type: 'connection.close' });
      expect(h.state()).toBe('closing');
      expect(h.link().received).toEqual([{ type: 'link.close', closeMs: 50 }]);
      expect(h.link().stopped).toBe(false);
      expect(h.snapshot().children.link).toBeDefined();
    });

    it('from connecting: link.closed moves to idle and stops the link', () => {
      const h = driveTo('connecting');
      h.send({ type: 'connection.close' });
      h.link().sendBack({ type: 'link.closed' });
      expect(h.state()).toBe('idle');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context.linked).toBe(false);
      expectQuiet(h);
    });

    it('from connecting: a link.up that arrives while closing is not handed to the runtime', () => {
      const h = driveTo('connecting');
      h.send({ type: 'connection.close' });
      up(h.link());
      expect(h.state()).toBe('closing');
      expect(h.hooks.linkUp).not.toHaveBeenCalled();
    });

    it('from open: sends link.close (with closeMs); link.closed moves to idle and stops the link', () => {
      const h = opened();
      h.send({ type: 'connection.close' });
      expect(h.state()).toBe('closing');
      expect(h.link().received).toEqual([{ type: 'link.close', closeMs: 50 }]);
      expect(h.link().stopped).toBe(false);
      h.link().sendBack({ type: 'link.closed' });
      expect(h.state()).toBe('idle');
      expect(h.link().stopped).toBe(true);
      expectQuiet(h);
    });

    it('from open.probing: closes the same way and the heartbeat no longer applies', () => {
      const h = opened(HEARTBEAT);
      h.clock.increment(1000);
      expect(h.snapshot().matches({ open: 'probing' })).toBe(true);
      h.send({ type: 'connection.close' });
      expect(h.state()).toBe('closing');
      h.clock.increment(149);
      expect(h.state()).toBe('closing');
      expect(h.hooks.linkDown).not.toHaveBeenCalled();
      h.link().sendBack({ type: 'link.closed' });
      expect(h.state()).toBe('idle');
      expectQuiet(h);
    });

    it('from open, with a link that never answers: idle after closeDeadline (3 × closeMs), the link forcibly stopped', () => {
      const h = opened();
      h.send({ type: 'connection.close' });
      h.clock.increment(149);
      expect(h.state()).toBe('closing');
      expect(h.link().stopped).toBe(false);
      h.clock.increment(1);
      expect(h.state()).toBe('idle');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context.linked).toBe(false);
      expect(h.link().received).toHaveLength(1);
      expectQuiet(h);
    });

    it('from connecting, with a link that never answers: idle after closeDeadline, not a connect timeout', () => {
      const h = driveTo('connecting');
      h.clock.increment(400);
      h.send({ type: 'connection.close' });
      h.clock.increment(149);
      expect(h.state()).toBe('closing');
      h.clock.increment(1);
      expect(h.state()).toBe('idle');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context.lastError).toBeUndefined();
      expect(h.hooks.linkDown).not.toHaveBeenCalled();
      expectQuiet(h);
    });

    it('from reconnecting: idle at once with no link, and no new link is spawned after the delay', () => {
      const h = driveTo('reconnecting');
      h.microsteps.length = 0;
      h.send({ type: 'connection.close' });
      expect(h.microsteps).toEqual(['closing', 'idle']);
      expect(h.state()).toBe('idle');
      h.advance(10_000);
      expect(h.state()).toBe('idle');
      expect(h.links).toHaveLength(1);
      expectQuiet(h);
    });

    it('from failed: idle at once', () => {
      const h = driveTo('failed');
      h.microsteps.length = 0;
      h.send({ type: 'connection.close' });
      expect(h.microsteps).toEqual(['closing', 'idle']);
      expect(h.state()).toBe('idle');
      expect(h.links).toHaveLength(1);
      expectQuiet(h);
    });

    it('link.down during closing moves to idle and stops the link', () => {
      const h = opened();
      h.send({ type: 'connection.close' });
      down(h.link());
      expect(h.state()).toBe('idle');
      expect(h.link().stopped).toBe(true);
      expect(h.snapshot().context.linked).toBe(false);
      expectQuiet(h);
    });

    it('connection.close while closing is ignored: still closing, no second link.close', () => {
      const h = opened();
      h.send({ type: 'connection.close' });
      h.clock.increment(100);
      h.send({ type: 'connection.close' });
      expect(h.state()).toBe('closing');
      expect(h.link().received).toEqual([{ type: 'link.close', closeMs: 50 }]);
      h.clock.increment(50);
      expect(h.state()).toBe('idle');
    });

    it('a late link.closed from a link stopped at the deadline is ignored', () => {
      const h = opened();
      h.send({ type: 'connection.close' });
      h.clock.increment(150);
      h.link().sendBack({ type: 'link.closed' });
      h.send({ type: 'connection.start' });
      const second = h.link();
      h.links[0]?.sendBack({ type: 'link.closed' });
      expect(h.state()).toBe('connecting');
      expect(second.stopped).toBe(false);
    });

    it('after close, connection.start works again: connecting with a new link at attempt 0', () => {
      const h = driveTo('connecting');
      down(h.link());
      h.clock.increment(100);
      h.send({ type: 'connection.close' });
      h.link().sendBack({ type: 'link.closed' });
      expect(h.state()).toBe('idle');
      h.send({ type: 'connection.start' });
      expect(h.state()).toBe('connecting');
      expect(h.links).toHaveLength(3);
      expect(h.link().input).toEqual({ attempt: 0 });
      expect(h.link().stopped).toBe(false);
      expect(h.snapshot().context).toMatchObject({
        attempt: 0,
        lastError: undefined,
        linked: true,
        links: 3,
      });
      up(h.link());
      expect(h.snapshot().matches('open')).toBe(true);
    });
  });

  describe('jitter', () => {
    const JITTERED = policyWith({ reconnect: { jitter: 0.2, maxAttempts: Number.POSITIVE_INFINITY } });

    function delays(seed: number, count: number): number[] {
      const h = harness(JITTERED, seed);
      h.send({ type: 'connection.start' });
      const seen: number[] = [];
      for (let i = 0; i < count; i++) {
        down(h.link());
        const { delayMs } = h.snapshot().context;
        seen.push(delayMs);
        h.clock.increment(delayMs - 1);
        expect(h.state()).toBe('reconnecting');
        h.clock.increment(1);
        expect(h.state()).toBe('connecting');
      }
      return seen;
    }

    it('with a fixed seed, two runs give the same delays', () => {
      expect(delays(42, 8)).toEqual(delays(42, 8));
    });

    it('different seeds give different delays', () => {
      expect(delays(42, 8)).not.toEqual(delays(43, 8));
    });

    it('delays stay within ±20% of the base delay, and never above maxDelayMs', () => {
      const bases = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
      for (const seed of [1, 2, 3, 42, 1234, 99_999]) {
        delays(seed, bases.length).forEach((delay, i) => {
          const base = bases[i] ?? Number.NaN;
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.min(1000, Math.ceil(base * 1.2)));
        });
      }
    });

    it('draws each delay from the seed in context, which advances with each retry', () => {
      const h = harness(JITTERED, 42);
      h.send({ type: 'connection.start' });
      const seed = h.snapshot().context.seed;
      expect(seed).toBe(42);
      down(h.link());
      const [unit, next] = nextRandom(seed);
      expect(h.snapshot().context.seed).toBe(next);
      expect(h.snapshot().context.delayMs).toBe(backoffDelay(JITTERED.reconnect, 1, unit));
    });
  });

  describe('the link child', () => {
    it('snapshot.children.link exists while linked and is undefined once the link is stopped', () => {
      const h = harness();
      expect(h.snapshot().children.link).toBeUndefined();
      h.send({ type: 'connection.start' });
      expect(h.snapshot().children.link).toBeDefined();
      up(h.link());
      expect(h.snapshot().children.link).toBeDefined();
      down(h.link());
      expect(h.snapshot().children.link).toBeUndefined();
      h.clock.increment(100);
      expect(h.snapshot().children.link).toBeDefined();
      h.send({ type: 'connection.close' });
      expect(h.snapshot().children.link).toBeDefined();
      h.link().sendBack({ type: 'link.closed' });
      expect(h.snapshot().children.link).toBeUndefined();
    });

    it('snapshot.children.link is undefined in failed', () => {
      const h = driveTo('failed');
      expect(h.snapshot().children.link).toBeUndefined();
      expect(h.snapshot().context.linked).toBe(false);
    });

    it('context.linked mirrors the presence of the child in every state', () => {
      for (const state of ['idle', 'connecting', 'open', 'reconnecting', 'closing', 'failed'] as const) {
        const h = driveTo(state);
        expect(h.snapshot().context.linked).toBe(h.snapshot().children.link !== undefined);
      }
    });

    it('at most one link is alive at any time', () => {
      const h = driveTo('connecting', policyWith({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } }));
      for (let i = 0; i < 5; i++) {
        up(h.link());
        down(h.link());
        h.clock.increment(h.snapshot().context.delayMs);
        expect(h.links.filter((link) => !link.stopped)).toHaveLength(1);
      }
      expect(h.snapshot().context.links).toBe(6);
    });

    it('stopping the connection actor stops its link', () => {
      const h = opened();
      h.actor.stop();
      expect(h.link().stopped).toBe(true);
    });
  });
});

describe('a link actor that throws', () => {
  function crashing(throwOnStart: boolean) {
    const clock = new SimulatedClock();
    let starts = 0;
    const machine = connectionMachine.provide({
      actors: {
        link: fromCallback<LinkCloseEvent, LinkInput>(({ sendBack }) => {
          starts += 1;
          if (throwOnStart) throw new Error('transport bug');
          sendBack({ type: 'link.up', link: handle });
        }),
      },
    });
    const actor = createActor(machine, { input: { policy: POLICY, seed: 1 }, clock });
    actors.push(actor);
    actor.start();
    return { actor, clock, starts: () => starts };
  }

  it('is treated as a retryable link failure instead of stopping the connection actor', () => {
    const h = crashing(true);
    h.actor.send({ type: 'connection.start' });
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(topState(snapshot.value)).toBe('reconnecting');
    expect(snapshot.context.lastError?.code).toBe(ErrorCode.LinkCrashed);
    expect(snapshot.context.linked).toBe(false);
    h.clock.increment(100);
    expect(h.starts()).toBe(2);
  });

  it('spends the retry budget like any failure, then fails', () => {
    const h = crashing(true);
    h.actor.send({ type: 'connection.start' });
    for (let i = 0; i < 10; i++) h.clock.increment(1000);
    const snapshot = h.actor.getSnapshot();
    expect(topState(snapshot.value)).toBe('failed');
    expect(snapshot.context.lastError?.code).toBe(ErrorCode.RetriesExhausted);
    h.actor.send({ type: 'connection.close' });
    expect(topState(h.actor.getSnapshot().value)).toBe('idle');
  });
});

describe("the chart's shape", () => {
  /** The events a state node handles itself (not inherited from the root). */
  const handled = (path: string[]): string[] => {
    let node = connectionMachine.root;
    for (const key of path) node = node.states[key] as typeof node;
    return [...node.transitions.keys()];
  };

  it('handles connection.close once, at the root; closing alone overrides it to stay put', () => {
    expect(handled([])).toContain('connection.close');
    for (const state of ['idle', 'connecting', 'open', 'reconnecting', 'failed']) {
      expect(handled([state]), state).not.toContain('connection.close');
    }
    expect(handled(['closing'])).toContain('connection.close');
  });
});
