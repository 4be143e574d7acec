import { describe, expect, it } from 'vitest';

import { Backoff } from './backoff.js';

/** Waits of `n` consecutive failures. */
const waits = (b: Backoff, n: number): number[] => Array.from({ length: n }, () => b.next());

describe('Backoff', () => {
  it('upper bounds double after each failure, from the base up to the cap', () => {
    const b = new Backoff(500, 30_000, () => 1);
    expect(waits(b, 9)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('stays at the cap however long the outage lasts (no overflow to Infinity or NaN)', () => {
    const b = new Backoff(500, 30_000, () => 1);
    const all = waits(b, 200);
    expect(all.slice(6).every((w) => w === 30_000)).toBe(true);
  });

  it('full jitter: each wait is the random fraction of the current bound', () => {
    const b = new Backoff(1000, 60_000, () => 0.25);
    expect(waits(b, 4)).toEqual([250, 500, 1000, 2000]);
    const zero = new Backoff(1000, 60_000, () => 0);
    expect(waits(zero, 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it('waits stay within [0, bound] for any random value in [0, 1)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const b = new Backoff(100, 5000, random);
    for (let i = 0; i < 50; i++) {
      const bound = Math.min(5000, 100 * 2 ** i);
      const w = b.next();
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(bound);
    }
  });

  it('reset starts again from the base after a successful connection', () => {
    const b = new Backoff(500, 30_000, () => 1);
    waits(b, 5);
    b.reset();
    expect(waits(b, 3)).toEqual([500, 1000, 2000]);
  });

  it('defaults: 500 ms base, 30 s cap', () => {
    const b = new Backoff(undefined, undefined, () => 1);
    expect(waits(b, 8)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
});
