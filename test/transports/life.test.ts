// LinkLife: `link.down` once per link, after the current I/O callbacks, and a few per
// event-loop turn when many links go down at once (a shared backend's death).

import { describe, expect, it } from 'vitest';
import type { AnyEventObject } from 'xstate';
import { ErrorCode, LinkError } from '../../src/errors.js';
import { LinkLife } from '../../src/transports/life.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const lost = () => new LinkError(ErrorCode.ConnectionLost, 'gone', { retryable: true });

describe('LinkLife', () => {
  it('reports link.down once, after the current callbacks', async () => {
    const events: AnyEventObject[] = [];
    const life = new LinkLife((event) => events.push(event));
    life.down(lost());
    life.down(lost());
    expect(events).toEqual([]);
    expect(life.live).toBe(false);
    await nextTurn();
    expect(events.map((e) => e.type)).toEqual(['link.down']);
  });

  it('reports 100 links that went down in one turn over several turns, in order, every one', async () => {
    const order: number[] = [];
    const lives = Array.from({ length: 100 }, (_, i) => new LinkLife(() => order.push(i)));
    for (const life of lives) life.down(lost());
    await nextTurn();
    const firstTurn = order.length;
    expect(firstTurn).toBeGreaterThan(0);
    expect(firstTurn).toBeLessThan(100);
    for (let turn = 0; turn < 10 && order.length < 100; turn += 1) await nextTurn();
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
