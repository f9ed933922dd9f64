/**
 * The connection lifecycle: one statechart shared by every transport.
 *
 * Top-level states: `idle`, `connecting`, `open`, `reconnecting`, `closing`, `failed`
 * (docs/architecture.md). The machine owns the link actor (spawned as child `link` in `connecting`, kept
 * through `open`, asked to close gracefully in `closing`, stopped on every failure), counts
 * attempts, and waits the policy's backoff. Messages never pass through it: the link hands the
 * runtime a direct `send` with `link.up` (the `linkUp` action), and inbound messages go from
 * the link to the runtime. The runtime plugs in the link's logic and the `linkUp`, `linkDown` and
 * `probeLink` hooks through the actor's input ({@link ConnectionHooks}), so this one machine
 * serves every connection; without them the link never comes up and the hooks do nothing, so
 * the machine runs alone in tests (which may also swap them with `machine.provide()`).
 *
 * Time comes from the actor's clock (named delays only), randomness from a seed in context.
 */

import {
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  raise,
  setup,
  spawnChild,
  stopChild,
} from 'xstate';
import { ErrorCode, LifelineError, LinkError } from '../errors.js';
import type { LinkEvent, LinkHandle, LinkInput, LinkLogic } from '../link/contract.js';
import { backoffDelay, type ConnectionPolicy, closeDeadline, nextRandom, randomSeed } from './policy.js';

/** The era a session speaks, once known. */
export type ProtocolEra = 'legacy' | 'modern';

/**
 * What the runtime plugs into one connection, given with the input: the logic of its link
 * actors and the hooks the machine calls. Through input, not `machine.provide()`, because
 * `provide()` builds a new machine, a new tree of state nodes, for every connection: 22 KiB
 * each, more than half of an idle connection's memory at 1,000 connections
 * (docs/benchmarks.md, "Memory per idle connection").
 */
export interface ConnectionHooks {
  /** The logic of this connection's link actors (one per attempt). */
  readonly link: LinkLogic;
  /** A link is up: `link.up` carries its `send`. */
  linkUp(link: LinkHandle): void;
  /** The link is gone (`link.down` carries the cause): fail or re-issue what was written to it. */
  linkDown(error: LifelineError): void;
  /** Check the link is alive; the answer comes back as `heartbeat.ack`. */
  probeLink(): void;
}

/**
 * What the machine remembers. Numbers, the era, the session id and the last error; never
 * messages. Plus the runtime's hooks, which never change.
 */
export interface ConnectionContext {
  policy: ConnectionPolicy;
  /** Retries since the link last proved itself; the n-th retry waits `delayMs`. */
  attempt: number;
  /** The delay of the current (or last) wait in `reconnecting`, in ms. */
  delayMs: number;
  /** PRNG state for jitter. */
  seed: number;
  /** Whether a link actor is alive (spawned and not yet stopped). */
  linked: boolean;
  /** How many link actors this connection has started. */
  links: number;
  /** When `open.watching` next asks the runtime to probe the link, in ms after entering it. */
  probeInMs: number;
  /** The last failure; in `failed`, the reason it gave up. */
  lastError: LifelineError | undefined;
  era: ProtocolEra | undefined;
  protocolVersion: string | undefined;
  sessionId: string | undefined;
  /** The runtime's side of this connection; undefined when the machine runs alone. */
  hooks: ConnectionHooks | undefined;
}

/** What `createActor(connectionMachine, { input })` takes. */
export interface ConnectionInput {
  policy: ConnectionPolicy;
  /** Seed for jitter; random by default. Fix it to replay a run. */
  seed?: number;
  /** The link's logic and the runtime's hooks; without them the link never comes up. */
  hooks?: ConnectionHooks;
}

/** Every event the machine accepts. */
export type ConnectionEvent =
  | { type: 'connection.start' }
  | { type: 'connection.close' }
  | LinkEvent
  | { type: 'link.proven' }
  /**
   * The link is alive. `quietMs`: it has been silent that long (the probe found it busy and
   * sent nothing), so the next probe comes when the silence reaches `intervalMs`.
   */
  | { type: 'heartbeat.ack'; quietMs?: number }
  | { type: 'heartbeat.missed' }
  | { type: 'session.update'; era?: ProtocolEra; protocolVersion?: string; sessionId?: string | undefined }
  /** Sent by XState when the link actor throws (a transport bug): handled like a retryable `link.down`. */
  | { type: 'xstate.error.actor.link'; error: unknown };

/** The top-level states. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closing' | 'failed';

// The errors the machine reports itself, built here so `setup` below only names what happens.

/** Every retry failed: the last cause, wrapped with the attempt count and the budget. */
function exhaustedError(context: ConnectionContext, cause: LifelineError): LifelineError {
  const tries = context.attempt + 1;
  return new LifelineError(
    ErrorCode.RetriesExhausted,
    `Gave up after ${tries} failed attempt${tries === 1 ? '' : 's'} (reconnect.maxAttempts is ${context.policy.reconnect.maxAttempts}): ${cause.message}`,
    { cause },
  );
}

/** The link did not report `link.up` within `timeouts.connectMs`. */
function connectTimeoutError(connectMs: number): LinkError {
  return new LinkError(
    ErrorCode.ConnectTimeout,
    `The link did not come up within timeouts.connectMs (${connectMs} ms)`,
    { retryable: true },
  );
}

/** The link actor threw (a transport bug): retryable, since a fresh link may not. */
function linkCrashError(thrown: unknown): LinkError {
  return new LinkError(
    ErrorCode.LinkCrashed,
    `The link actor threw: ${String((thrown as Error)?.message ?? thrown)}`,
    { retryable: true, cause: thrown },
  );
}

/** No `heartbeat.ack` within `heartbeat.timeoutMs`. */
function heartbeatTimeoutError(timeoutMs: number): LinkError {
  return new LinkError(
    ErrorCode.HeartbeatTimeout,
    `No answer to a heartbeat within heartbeat.timeoutMs (${timeoutMs} ms); the link is presumed dead`,
    { retryable: true },
  );
}

/**
 * The wait before retry `attempt`: the backoff, unless the peer named a wait (`retryAfterMs`:
 * an SSE `retry:` field, `Retry-After`, or 0 for a session to re-establish). The first retry
 * after a proven link waits exactly that; later ones at least the backoff, so a peer that
 * keeps failing cannot make the machine spin.
 */
function retryDelay(context: ConnectionContext, attempt: number, unit: number): number {
  const backoff = backoffDelay(context.policy.reconnect, attempt, unit);
  const asked = context.lastError?.retryAfterMs;
  if (asked === undefined) return backoff;
  const wait = Math.min(asked, context.policy.reconnect.maxDelayMs);
  return attempt === 1 ? wait : Math.max(wait, backoff);
}

/** The link used without hooks: it never comes up (the connect deadline applies). */
const noLink: LinkLogic = fromCallback(() => {});

/** What the machine gives its link actor: the attempt and, with hooks, the logic to run. */
interface HookedLinkInput extends LinkInput {
  logic?: LinkLogic;
}

const logicOf = (input: LinkInput): LinkLogic => (input as HookedLinkInput).logic ?? noLink;

/**
 * The `link` actor of `setup`: runs the logic the hooks gave, through its own methods. Not the
 * hooks' logic spawned inline: XState persists a snapshot only when every child was spawned
 * under a name `setup` knows ("An inline child actor cannot be persisted").
 */
const hookedLink: LinkLogic = {
  getInitialSnapshot: (scope, input) => logicOf(input).getInitialSnapshot(scope, input),
  start: (snapshot, scope) => logicOf(snapshot.input).start?.(snapshot, scope),
  transition: (snapshot, event, scope) => logicOf(snapshot.input).transition(snapshot, event, scope),
  getPersistedSnapshot: (snapshot, options) =>
    logicOf(snapshot.input).getPersistedSnapshot(snapshot, options),
};

/** The same three-way choice wherever the link goes down: permanent, budget spent, or retry. */
const onLinkDown = [
  { guard: 'isPermanent', target: '#connection.failed', actions: ['stopLink', 'recordError', 'linkDown'] },
  {
    guard: 'isBudgetSpent',
    target: '#connection.failed',
    actions: ['stopLink', 'recordExhausted', 'linkDown'],
  },
  { target: '#connection.reconnecting', actions: ['stopLink', 'recordError', 'linkDown'] },
] as const;

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actors: {
    link: hookedLink,
  },
  actions: {
    /** Runtime hook: a link is up (`link.up` carries its `send`). */
    linkUp: ({ context, event }) => {
      assertEvent(event, 'link.up');
      context.hooks?.linkUp(event.link);
    },
    /** Runtime hook: the link is gone (`link.down` carries the cause); fail or re-issue what was written to it. */
    linkDown: ({ context, event }) => {
      assertEvent(event, 'link.down');
      context.hooks?.linkDown(event.error);
    },
    /** Runtime hook: check the link is alive; answer with `heartbeat.ack`. */
    probeLink: ({ context }) => context.hooks?.probeLink(),
    spawnLink: enqueueActions(({ enqueue, context }) => {
      const logic = context.hooks?.link;
      const input: HookedLinkInput =
        logic === undefined ? { attempt: context.attempt } : { attempt: context.attempt, logic };
      enqueue(spawnChild('link', { id: 'link', input }));
      enqueue(assign({ linked: true, links: context.links + 1 }));
    }),
    stopLink: enqueueActions(({ enqueue, context }) => {
      if (!context.linked) return;
      enqueue(stopChild('link'));
      enqueue(assign({ linked: false }));
    }),
    askLinkToClose: enqueueActions(({ enqueue, context }) => {
      if (!context.linked) return;
      enqueue.sendTo('link', { type: 'link.close', closeMs: context.policy.timeouts.closeMs });
    }),
    recordError: assign({
      lastError: ({ event }) => {
        assertEvent(event, 'link.down');
        return event.error;
      },
    }),
    recordExhausted: assign({
      lastError: ({ context, event }) => {
        assertEvent(event, 'link.down');
        return exhaustedError(context, event.error);
      },
    }),
    planRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const [unit, seed] = nextRandom(context.seed);
      return { attempt, seed, delayMs: retryDelay(context, attempt, unit) };
    }),
    resetAttempts: assign({ attempt: 0, delayMs: 0 }),
    /** Silence is measured from the last byte read, so a busy link is probed no earlier than needed. */
    planProbe: assign({
      probeInMs: ({ context, event }) => {
        assertEvent(event, ['link.up', 'heartbeat.ack']);
        const quietMs = event.type === 'heartbeat.ack' ? (event.quietMs ?? 0) : 0;
        return Math.max(1, context.policy.heartbeat.intervalMs - quietMs);
      },
    }),
    clearError: assign({ lastError: undefined }),
    /** A start begins a new session: the old one's era, version and id no longer describe it. */
    forgetSession: assign({ era: undefined, protocolVersion: undefined, sessionId: undefined }),
    reportConnectTimeout: raise(({ context }) => ({
      type: 'link.down' as const,
      error: connectTimeoutError(context.policy.timeouts.connectMs),
    })),
    reportHeartbeatMissed: raise({ type: 'heartbeat.missed' }),
    reportLinkCrash: raise(({ event }) => {
      assertEvent(event, 'xstate.error.actor.link');
      return { type: 'link.down' as const, error: linkCrashError(event.error) };
    }),
    reportDeadLink: raise(({ context }) => ({
      type: 'link.down' as const,
      error: heartbeatTimeoutError(context.policy.heartbeat.timeoutMs),
    })),
    updateSession: assign(({ context, event }) => {
      assertEvent(event, 'session.update');
      return {
        era: event.era ?? context.era,
        protocolVersion: event.protocolVersion ?? context.protocolVersion,
        sessionId: 'sessionId' in event ? event.sessionId : context.sessionId,
      };
    }),
  },
  guards: {
    isPermanent: ({ event }) => {
      assertEvent(event, 'link.down');
      return event.error.retryable === false;
    },
    isBudgetSpent: ({ context }) => context.attempt >= context.policy.reconnect.maxAttempts,
    hasNoLink: ({ context }) => !context.linked,
    isHeartbeatEnabled: ({ context }) => context.policy.heartbeat.intervalMs > 0,
  },
  delays: {
    connectTimeout: ({ context }) => context.policy.timeouts.connectMs,
    reconnectDelay: ({ context }) => context.delayMs,
    closeDeadline: ({ context }) => closeDeadline(context.policy.timeouts),
    heartbeatInterval: ({ context }) => context.probeInMs,
    heartbeatTimeout: ({ context }) => context.policy.heartbeat.timeoutMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    policy: input.policy,
    attempt: 0,
    delayMs: 0,
    seed: input.seed ?? randomSeed(),
    linked: false,
    links: 0,
    probeInMs: input.policy.heartbeat.intervalMs,
    lastError: undefined,
    era: undefined,
    protocolVersion: undefined,
    sessionId: undefined,
    hooks: input.hooks,
  }),
  initial: 'idle',
  // Taken in every state (a state's own handler wins): closing is one step from anywhere.
  on: {
    'session.update': { actions: 'updateSession' },
    'connection.close': { target: '.closing' },
  },
  states: {
    idle: {
      on: {
        'connection.start': {
          target: 'connecting',
          actions: ['resetAttempts', 'clearError', 'forgetSession'],
        },
      },
    },
    connecting: {
      entry: 'spawnLink',
      after: {
        connectTimeout: { actions: 'reportConnectTimeout' },
      },
      on: {
        'link.up': { target: 'open', actions: ['planProbe', 'linkUp'] },
        'link.down': onLinkDown,
        'xstate.error.actor.link': { actions: ['stopLink', 'reportLinkCrash'] },
      },
    },
    open: {
      initial: 'watching',
      on: {
        'link.down': onLinkDown,
        'link.proven': { actions: ['resetAttempts', 'clearError'] },
        'heartbeat.missed': { actions: 'reportDeadLink' },
        'xstate.error.actor.link': { actions: ['stopLink', 'reportLinkCrash'] },
      },
      states: {
        watching: {
          after: {
            heartbeatInterval: { guard: 'isHeartbeatEnabled', target: 'probing' },
          },
        },
        probing: {
          entry: 'probeLink',
          on: {
            'heartbeat.ack': { target: 'watching', actions: 'planProbe' },
          },
          after: {
            heartbeatTimeout: { actions: 'reportHeartbeatMissed' },
          },
        },
      },
    },
    reconnecting: {
      entry: 'planRetry',
      after: {
        reconnectDelay: { target: 'connecting' },
      },
    },
    closing: {
      entry: 'askLinkToClose',
      always: { guard: 'hasNoLink', target: 'idle' },
      after: {
        closeDeadline: { target: 'idle', actions: 'stopLink' },
      },
      on: {
        // Already closing: a second close neither re-sends `link.close` nor restarts the deadline.
        'connection.close': {},
        'link.closed': { target: 'idle', actions: 'stopLink' },
        'link.down': { target: 'idle', actions: 'stopLink' },
        'xstate.error.actor.link': { target: 'idle', actions: 'stopLink' },
      },
    },
    failed: {
      on: {
        'connection.start': {
          target: 'connecting',
          actions: ['resetAttempts', 'clearError', 'forgetSession'],
        },
      },
    },
  },
});

/** The machine's type, for the runtime and tests. */
export type ConnectionMachine = typeof connectionMachine;
