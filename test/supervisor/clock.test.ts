// The fleet's paced clock (src/supervisor/clock.ts) on Node's real timers, with delays of a
// millisecond: timers due together run a few per event-loop turn, in order, and a cleared one
// never runs, even while it waits for its turn.

import { describe, expect, it } from 'vitest';
import { pacedClock } from '../../src/supervisor/clock.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('pacedClock', () => {
  it('runs timers that came due together at most perTurn per event-loop turn, in order', async () => {
    const clock = pacedClock(4);
    const ran: number[] = [];
    for (let i = 0; i < 10; i += 1) clock.setTimeout(() => ran.push(i), 1);
    // A plain timer of the same delay runs in the same pass of the timers as the paced ones.
    const seen = await new Promise<number[]>((resolve) => setTimeout(() => resolve([...ran]), 1));
    expect(seen).toEqual([]);
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
    await new Promise((resolve) => setTimeout(resolve, 1));
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
