/**
 * The connection lifecycle: one statechart shared by every transport.
 *
 * Top-level states: `idle`, `connecting`, `open`, `reconnecting`, `closing`, `failed`
 * (docs/architecture.md). The machine owns the link actor (spawned as child `link` in `connecting`, kept
 * through `open`, asked to close gracefully in `closing`, stopped on every failure), counts
 * attempts, and waits the policy's backoff. Messages never pass through it: the link hands the
 * runtime a direct `send` with `link.up` (the `linkUp` action), and inbound messages go from
 * the link to the runtime. The runtime supplies `linkUp`, `linkDown` and `probeLink` through
 * `machine.provide()`; the defaults do nothing, so the machine runs alone in tests.
 *
 * Time comes from the actor's clock (named delays only), randomness from a seed in context.
 */

import { assign, enqueueActions, fromCallback, raise, setup, spawnChild, stopChild } from 'xstate';
import { ErrorCode, LifelineError, LinkError } from '../errors.js';
import type { LinkEvent, LinkLogic } from '../transports/link.js';
import { backoffDelay, type ConnectionPolicy, closeDeadline, nextRandom, randomSeed } from './policy.js';

/** The era a session speaks, once known. */
export type ProtocolEra = 'legacy' | 'modern';

/** What the machine remembers. Numbers, the era, the session id and the last error; never messages. */
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
}

/** What `createActor(connectionMachine, { input })` takes. */
export interface ConnectionInput {
  policy: ConnectionPolicy;
  /** Seed for jitter; random by default. Fix it to replay a run. */
  seed?: number;
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

/** The error a `link.down` event carries. */
function downError(event: ConnectionEvent): LifelineError | undefined {
  return event.type === 'link.down' ? event.error : undefined;
}

function exhausted(context: ConnectionContext, cause: LifelineError): LifelineError {
  const tries = context.attempt + 1;
  return new LifelineError(
    ErrorCode.RetriesExhausted,
    `Gave up after ${tries} failed attempt${tries === 1 ? '' : 's'} (reconnect.maxAttempts is ${context.policy.reconnect.maxAttempts}): ${cause.message}`,
    { cause },
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

/** The link used until a transport is provided: it never comes up (the connect deadline applies). */
const noLink: LinkLogic = fromCallback(() => {});

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
    link: noLink,
  },
  actions: {
    /** Runtime hook: a link is up (`link.up` carries its `send`). */
    linkUp: () => {},
    /** Runtime hook: the link is gone (`link.down` carries the cause); fail or re-issue what was written to it. */
    linkDown: () => {},
    /** Runtime hook: check the link is alive; answer with `heartbeat.ack`. */
    probeLink: () => {},
    spawnLink: enqueueActions(({ enqueue, context }) => {
      enqueue(spawnChild('link', { id: 'link', input: { attempt: context.attempt } }));
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
    recordError: assign({ lastError: ({ context, event }) => downError(event) ?? context.lastError }),
    recordExhausted: assign({
      lastError: ({ context, event }) => {
        const cause = downError(event);
        return cause === undefined ? context.lastError : exhausted(context, cause);
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
        const quietMs = event.type === 'heartbeat.ack' ? (event.quietMs ?? 0) : 0;
        return Math.max(1, context.policy.heartbeat.intervalMs - quietMs);
      },
    }),
    clearError: assign({ lastError: undefined }),
    reportConnectTimeout: raise(({ context }) => ({
      type: 'link.down' as const,
      error: new LinkError(
        ErrorCode.ConnectTimeout,
        `The link did not come up within timeouts.connectMs (${context.policy.timeouts.connectMs} ms)`,
        { retryable: true },
      ),
    })),
    reportHeartbeatMissed: raise({ type: 'heartbeat.missed' }),
    reportLinkCrash: raise(({ event }) => ({
      type: 'link.down' as const,
      error: new LinkError(
        ErrorCode.LinkCrashed,
        `The link actor threw: ${event.type === 'xstate.error.actor.link' ? String((event.error as Error)?.message ?? event.error) : 'unknown error'}`,
        { retryable: true, cause: event.type === 'xstate.error.actor.link' ? event.error : undefined },
      ),
    })),
    reportDeadLink: raise(({ context }) => ({
      type: 'link.down' as const,
      error: new LinkError(
        ErrorCode.HeartbeatTimeout,
        `No answer to a heartbeat within heartbeat.timeoutMs (${context.policy.heartbeat.timeoutMs} ms); the link is presumed dead`,
        { retryable: true },
      ),
    })),
    updateSession: assign(({ context, event }) => {
      if (event.type !== 'session.update') return {};
      return {
        era: event.era ?? context.era,
        protocolVersion: event.protocolVersion ?? context.protocolVersion,
        sessionId: 'sessionId' in event ? event.sessionId : context.sessionId,
      };
    }),
  },
  guards: {
    isPermanent: ({ event }) => downError(event)?.retryable === false,
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
  }),
  initial: 'idle',
  on: {
    'session.update': { actions: 'updateSession' },
  },
  states: {
    idle: {
      on: {
        'connection.start': { target: 'connecting', actions: ['resetAttempts', 'clearError'] },
        'connection.close': { target: 'closing' },
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
        'connection.close': { target: 'closing' },
      },
    },
    open: {
      initial: 'watching',
      on: {
        'link.down': onLinkDown,
        'link.proven': { actions: ['resetAttempts', 'clearError'] },
        'heartbeat.missed': { actions: 'reportDeadLink' },
        'xstate.error.actor.link': { actions: ['stopLink', 'reportLinkCrash'] },
        'connection.close': { target: 'closing' },
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
      on: {
        'connection.close': { target: 'closing' },
      },
    },
    closing: {
      entry: 'askLinkToClose',
      always: { guard: 'hasNoLink', target: 'idle' },
      after: {
        closeDeadline: { target: 'idle', actions: 'stopLink' },
      },
      on: {
        'link.closed': { target: 'idle', actions: 'stopLink' },
        'link.down': { target: 'idle', actions: 'stopLink' },
        'xstate.error.actor.link': { target: 'idle', actions: 'stopLink' },
      },
    },
    failed: {
      on: {
        'connection.start': { target: 'connecting', actions: ['resetAttempts', 'clearError'] },
        'connection.close': { target: 'closing' },
      },
    },
  },
});

/** The machine's type, for the runtime and tests. */
export type ConnectionMachine = typeof connectionMachine;
