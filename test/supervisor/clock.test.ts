// The fleet's paced clock (src/supervisor/clock.ts) on Node's real timers, with delays of a
// millisecond: timers due together run a few per event-loop turn, in order, and a cleared one
// never runs, even while it waits for its turn.

import { describe, expect, it } from 'vitest';
import { pacedClock } from '../../src/supervisor/clock.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Holds the loop until every timer set so far is due. Node stamps a timer with the current
 * millisecond when it is set, so on a loaded machine a plain timer set just after the paced
 * ones can fall a millisecond later and run a whole loop turn after them (CI saw exactly that).
 * Once all are due before the loop gets back to its timers, they run in one pass, in the order
 * they were set.
 */
const untilAllDue = (): void => {
  const until = Date.now() + 3;
  while (Date.now() < until) {
    // Busy on purpose: a sleep would let the timers run.
  }
};

describe('pacedClock', () => {
  it('runs timers that came due together at most perTurn per event-loop turn, in order', async () => {
    const clock = pacedClock(4);
    const ran: number[] = [];
    for (let i = 0; i < 10; i += 1) clock.setTimeout(() => ran.push(i), 1);
    // A plain timer of the same delay runs in the same pass of the timers as the paced ones.
    const seen = new Promise<number[]>((resolve) => setTimeout(() => resolve([...ran]), 1));
    untilAllDue();
    expect(await seen).toEqual([]);
    const perTurn: number[] = [];
    while (ran.length < 10) {
      const before = ran.length;
      await turn();
      perTurn.push(ran.length - before);
    }
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(4);
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('never runs a cleared timer, even one already waiting for its turn', async () => {
    const clock = pacedClock(1);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('a'), 1);
    const waiting = clock.setTimeout(() => ran.push('b'), 1);
    const early = clock.setTimeout(() => ran.push('c'), 1);
    clock.clearTimeout(early);
    const passed = new Promise((resolve) => setTimeout(resolve, 1));
    untilAllDue();
    await passed;
    // 'a' ran (or is about to) and 'b' waits in the queue: clear it there.
    clock.clearTimeout(waiting);
    for (let i = 0; i < 5; i += 1) await turn();
    expect(ran).toEqual(['a']);
  });

  it('reads real time', () => {
    const clock = pacedClock();
    expect(Math.abs((clock.now?.() ?? 0) - Date.now())).toBeLessThan(1000);
  });
});
