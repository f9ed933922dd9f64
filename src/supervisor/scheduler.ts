/**
 * An index of an actor system's delayed events by the actor that scheduled them, so that
 * stopping an actor costs what that actor scheduled, not what the whole system did.
 *
 * XState's scheduler (5.x) cancels a stopping actor's delayed events by walking every delayed
 * event of the system (`cancelAll`), and every actor stops through it, callback actors
 * included. Under one supervisor each connection keeps a timer scheduled (the heartbeat in
 * `open`, the connect timeout, the reconnect delay), so each link stopped walked about one
 * entry per server: 1,000 links going down with a shared backend were 1,000 × 1,000 steps, a
 * quarter of a second of blocked event loop (docs/benchmarks.md, "1,000 connections").
 */

import type { AnyActorRef } from 'xstate';

type AnyActorSystem = AnyActorRef['system'];
type Scheduler = AnyActorSystem['scheduler'];

/** Past this many ids for one actor, those of events already delivered are dropped. */
const PRUNE_AT = 64;

/**
 * Replaces `system.scheduler` with one that remembers, per source actor, the ids it scheduled,
 * and cancels only those on `cancelAll`. Call it before the root actor starts, with no
 * persisted snapshot (the restore in `system.start()` schedules past this index).
 *
 * Delayed events that fired are not reported to the scheduler, so their ids stay in the index
 * until the actor stops or schedules again past {@link PRUNE_AT} ids; cancelling such an id is
 * a no-op, as in XState. An `after` transition reuses one id per state, so a machine's set stays
 * as small as its number of delayed transitions.
 */
export function indexScheduledEvents(system: AnyActorSystem): void {
  const inner: Scheduler = system.scheduler;
  const bySource = new WeakMap<AnyActorRef, Set<string>>();
  const scheduler: Scheduler = {
    schedule(source, target, event, delay, id = Math.random().toString(36).slice(2)) {
      let ids = bySource.get(source);
      if (ids === undefined) {
        ids = new Set();
        bySource.set(source, ids);
      } else if (ids.size >= PRUNE_AT) {
        const live = system.getSnapshot()._scheduledEvents;
        for (const known of ids) if (live[`${source.sessionId}.${known}`] === undefined) ids.delete(known);
      }
      ids.add(id);
      inner.schedule(source, target, event, delay, id);
    },
    cancel(source, id) {
      bySource.get(source)?.delete(id);
      inner.cancel(source, id);
    },
    cancelAll(actorRef) {
      const ids = bySource.get(actorRef);
      if (ids === undefined) return;
      bySource.delete(actorRef);
      for (const id of ids) inner.cancel(actorRef, id);
    },
  };
  system.scheduler = scheduler;
}
