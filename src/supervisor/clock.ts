/**
 * The real-time clock of a fleet's actor system: timers that came due together run a few per
 * event-loop turn instead of all in one.
 *
 * Node runs every expired timer in one pass of the loop. Each delayed event of a connection
 * machine is a burst of synchronous work (a reconnect delay that ends opens a socket), and a
 * shared backend's restart leaves a thousand of them due within a second: whenever the loop
 * was held up for a moment (a GC, the machine busy elsewhere), the timers that expired
 * meanwhile ran back to back, held it up longer, and made their attempts land in one instant
 * (docs/benchmarks.md, "1,000 connections").
 */

import type { Clock } from '../runtime/options/resolve.js';

/** Delayed events run at most this many per event-loop turn. */
export const TIMERS_PER_TURN = 16;

interface PacedTimer {
  timer: NodeJS.Timeout;
  cancelled: boolean;
}

/**
 * A clock on `setTimeout` that runs due callbacks at most `perTurn` per turn, in the order they
 * came due (later ones in the next turns' `setImmediate`). A cleared timer never runs, even once
 * it waits for its turn.
 */
export function pacedClock(perTurn: number = TIMERS_PER_TURN): Clock {
  const due: (() => void)[] = [];
  const runSome = (): void => {
    const now = due.splice(0, perTurn);
    if (due.length > 0) setImmediate(runSome);
    for (const run of now) {
      try {
        run();
      } catch (error) {
        // As a throwing timer would: uncaught, without taking the others of this turn with it.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };
  return {
    setTimeout(fn: () => void, ms: number): PacedTimer {
      const paced: PacedTimer = {
        cancelled: false,
        timer: setTimeout(() => {
          due.push(() => {
            if (!paced.cancelled) fn();
          });
          if (due.length === 1) setImmediate(runSome);
        }, ms),
      };
      return paced;
    },
    clearTimeout(id: unknown): void {
      const paced = id as PacedTimer | undefined;
      if (paced === undefined) return;
      paced.cancelled = true;
      clearTimeout(paced.timer);
    },
    now: Date.now,
  };
}
