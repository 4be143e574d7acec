import { describe, expect, it } from 'vitest';

import { rollupPoints, Ring, Series } from './tsdb-series.js';

const T0 = 1_700_000_040; // epoch seconds, 40 s into a minute

describe('Ring', () => {
  it('grows instead of evicting a point still within its capacity, and keeps every point', () => {
    const ring = new Ring(1, 4, 16);
    for (let k = T0; k < T0 + 10; k++) {
      const slot = ring.claim(k); // may grow the ring: a new data array
      ring.data[slot] = k - T0;
    }
    expect(ring.cap).toBe(16);
    for (let k = T0; k < T0 + 10; k++) expect(ring.data[ring.find(k)]).toBe(k - T0);
  });

  it('refuses a key older than it keeps, and forgets points a full lap behind', () => {
    const ring = new Ring(1, 4, 4);
    for (let k = T0; k < T0 + 6; k++) ring.data[ring.claim(k)] = k - T0;
    expect(ring.claim(T0)).toBe(-1);
    expect(ring.find(T0 + 1)).toBe(-1);
    expect(ring.find(T0 + 5)).toBeGreaterThanOrEqual(0);
  });

  it('stores no keys: a slot\'s key follows from its place in the window, a gap is an empty slot', () => {
    const ring = new Ring(1, 8, 8);
    for (const k of [T0, T0 + 1, T0 + 4]) ring.data[ring.claim(k)] = k - T0;
    expect(ring.bytes).toBe(8 * 4);
    expect([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4].map((k) => ring.find(k) >= 0)).toEqual([true, true, false, false, true]);
    // A jump of more than a lap empties every slot it passes.
    ring.data[ring.claim(T0 + 30)] = 30;
    expect([T0 + 4, T0 + 23, T0 + 30].map((k) => ring.find(k) >= 0)).toEqual([false, false, true]);
  });
});

describe('Series', () => {
  it('keeps the latest value exactly and rolls seconds up into minutes (a second written twice counts once)', () => {
    const s = new Series({}, 3600, 60);
    s.append(T0 * 1000, 1);
    s.append(T0 * 1000 + 500, 3); // the same second again: replaces 1
    s.append((T0 + 1) * 1000, 5);
    expect(s.lastValue).toBe(5);
    const [minute] = rollupPoints(s.minutes!, T0 - 60, T0 + 1);
    expect(minute).toEqual({ time: Math.floor(T0 / 60) * 60_000, avg: 4, count: 2, min: 1, max: 5 });
  });

  it('ignores values that are not finite', () => {
    const s = new Series({}, 3600, 0);
    s.append(T0 * 1000, Number.NaN);
    expect(s.lastSec).toBe(0);
    expect(s.minutes).toBeUndefined();
  });
});
