import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  baseDelay,
  CLOSE_STEPS,
  closeDeadline,
  DEFAULT_POLICY,
  nextRandom,
  type ReconnectPolicy,
  randomSeed,
} from '../../src/machines/policy.js';

const reconnect: ReconnectPolicy = {
  initialDelayMs: 100,
  multiplier: 2,
  jitter: 0,
  maxDelayMs: 1000,
  maxAttempts: 3,
};

/** Units just below 1, the largest `nextRandom` can return. */
const ALMOST_ONE = 1 - 2 ** -32;

describe('baseDelay', () => {
  it('waits initialDelayMs before the first retry', () => {
    expect(baseDelay(reconnect, 1)).toBe(100);
  });

  it('grows by the multiplier with each attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => baseDelay(reconnect, attempt))).toEqual([100, 200, 400, 800]);
  });

  it('follows the default policy (1000 ms growing by 1.6)', () => {
    const delays = [1, 2, 3].map((attempt) => baseDelay(DEFAULT_POLICY.reconnect, attempt));
    expect(delays[0]).toBe(1000);
    expect(delays[1]).toBeCloseTo(1600);
    expect(delays[2]).toBeCloseTo(2560);
  });

  it('is capped at maxDelayMs', () => {
    expect(baseDelay(reconnect, 5)).toBe(1000);
    expect(baseDelay(reconnect, 6)).toBe(1000);
    expect(baseDelay(reconnect, 50)).toBe(1000);
  });

  it('stays at maxDelayMs when the growth overflows to Infinity', () => {
    expect(baseDelay(reconnect, 5000)).toBe(1000);
    expect(baseDelay(DEFAULT_POLICY.reconnect, 1_000_000)).toBe(30_000);
  });

  it('treats attempt 0 (and below) like the first retry', () => {
    expect(baseDelay(reconnect, 0)).toBe(100);
    expect(baseDelay(reconnect, -3)).toBe(100);
  });

  it('never decreases from one attempt to the next', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (initialDelayMs, multiplier, attempt) => {
          const policy = { ...reconnect, initialDelayMs, multiplier, maxDelayMs: 60_000 };
          expect(baseDelay(policy, attempt + 1)).toBeGreaterThanOrEqual(baseDelay(policy, attempt));
        },
      ),
    );
  });
});

describe('backoffDelay', () => {
  it('equals the base delay when jitter is 0, whatever the unit', () => {
    for (const unit of [0, 0.25, 0.5, ALMOST_ONE]) {
      expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(reconnect, attempt, unit))).toEqual([
        100, 200, 400, 800, 1000,
      ]);
    }
  });

  it('spreads the delay to base × (1 - jitter) at unit 0 and towards base × (1 + jitter) near unit 1', () => {
    const jittered = { ...reconnect, jitter: 0.2 };
    expect(backoffDelay(jittered, 1, 0)).toBe(80);
    expect(backoffDelay(jittered, 1, 0.5)).toBe(100);
    expect(backoffDelay(jittered, 1, ALMOST_ONE)).toBe(120);
    expect(backoffDelay(jittered, 3, 0)).toBe(320);
  });

  it('never goes above maxDelayMs, even when jitter spreads a capped delay upwards', () => {
    const jittered = { ...reconnect, jitter: 0.2 };
    expect(backoffDelay(jittered, 10, ALMOST_ONE)).toBe(1000);
    expect(backoffDelay(jittered, 10, 0)).toBe(800);
  });

  it('stays within [base × (1 - jitter), base × (1 + jitter)] (up to rounding) and never above maxDelayMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialDelayMs, multiplier, jitter, maxDelayMs, attempt, unit) => {
          const policy: ReconnectPolicy = { initialDelayMs, multiplier, jitter, maxDelayMs, maxAttempts: 3 };
          const base = baseDelay(policy, attempt);
          const delay = backoffDelay(policy, attempt, unit);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(base * (1 - jitter) - 0.5);
          expect(delay).toBeLessThanOrEqual(base * (1 + jitter) + 0.5);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
          expect(delay).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('with full jitter, draws from [0, base]: 0 at unit 0, base near unit 1', () => {
    const full = { ...reconnect, jitter: 'full' as const };
    expect(backoffDelay(full, 1, 0)).toBe(0);
    expect(backoffDelay(full, 1, 0.5)).toBe(50);
    expect(backoffDelay(full, 1, ALMOST_ONE)).toBe(100);
    expect(backoffDelay(full, 10, ALMOST_ONE)).toBe(1000);
  });

  it('with full jitter, always stays within [0, base] and never above maxDelayMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialDelayMs, multiplier, maxDelayMs, attempt, unit) => {
          const policy: ReconnectPolicy = {
            initialDelayMs,
            multiplier,
            jitter: 'full',
            maxDelayMs,
            maxAttempts: 3,
          };
          const base = baseDelay(policy, attempt);
          const delay = backoffDelay(policy, attempt, unit);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.round(base));
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });

  it('never returns a negative delay, even for a jitter above 1', () => {
    expect(backoffDelay({ ...reconnect, jitter: 1.5 }, 1, 0)).toBe(0);
  });
});

describe('nextRandom', () => {
  it('is deterministic: the same seed gives the same unit and next seed', () => {
    expect(nextRandom(42)).toEqual(nextRandom(42));
    expect(nextRandom(0)).toEqual(nextRandom(0));
  });

  it('replays the same sequence from the same seed', () => {
    const run = (seed: number): number[] => {
      const units: number[] = [];
      let state = seed;
      for (let i = 0; i < 20; i++) {
        const [unit, next] = nextRandom(state);
        units.push(unit);
        state = next;
      }
      return units;
    };
    expect(run(1234)).toEqual(run(1234));
    expect(run(1234)).not.toEqual(run(1235));
  });

  it('advances the seed with each step', () => {
    const [, first] = nextRandom(7);
    const [, second] = nextRandom(first);
    expect(first).not.toBe(7);
    expect(second).not.toBe(first);
  });

  it('returns units in [0, 1) for any 32-bit seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (seed) => {
        const [unit, next] = nextRandom(seed);
        expect(unit).toBeGreaterThanOrEqual(0);
        expect(unit).toBeLessThan(1);
        expect(Number.isInteger(next)).toBe(true);
      }),
    );
  });

  it('returns units in [0, 1) along a long sequence, spread over the interval', () => {
    let state = 99;
    let low = 0;
    const count = 10_000;
    for (let i = 0; i < count; i++) {
      const [unit, next] = nextRandom(state);
      expect(unit).toBeGreaterThanOrEqual(0);
      expect(unit).toBeLessThan(1);
      if (unit < 0.5) low++;
      state = next;
    }
    expect(low / count).toBeGreaterThan(0.45);
    expect(low / count).toBeLessThan(0.55);
  });
});

describe('randomSeed', () => {
  it('returns a non-negative 31-bit integer', () => {
    for (let i = 0; i < 100; i++) {
      const seed = randomSeed();
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(0x7fffffff);
    }
  });
});

describe('closeDeadline', () => {
  it('gives the link one closeMs per graceful step plus one more (3 × closeMs)', () => {
    expect(CLOSE_STEPS).toBe(2);
    expect(closeDeadline({ connectMs: 500, closeMs: 50 })).toBe(150);
    expect(closeDeadline(DEFAULT_POLICY.timeouts)).toBe(6000);
  });

  it('is 0 when closeMs is 0', () => {
    expect(closeDeadline({ connectMs: 500, closeMs: 0 })).toBe(0);
  });
});
