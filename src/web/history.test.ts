import { describe, expect, it } from 'vitest';
import { SparkHistory } from './history.js';

const perSecond = (from: number, values: readonly number[]) => values.map((v, i) => [(from + i) * 1000, v] as const);

describe('SparkHistory', () => {
  it('keeps the newest live values, at most `keep`', () => {
    const h = new SparkHistory(3, 2000);
    for (const [t, v] of perSecond(0, [1, 2, 3, 4])) h.push('web-1 cpu', t, v);
    expect(h.values('web-1 cpu')).toEqual([2, 3, 4]);
    expect(h.values('web-2 cpu')).toEqual([]);
  });

  it('prefills per-second samples thinned to one per step, counting back from the newest', () => {
    const h = new SparkHistory(60, 2000);
    h.prefill('k', perSecond(100, [0, 1, 2, 3, 4, 5, 6]));
    expect(h.values('k')).toEqual([0, 2, 4, 6]);
  });

  it('puts prefilled samples before live values that arrived first, leaving out what they cover', () => {
    const h = new SparkHistory(60, 2000);
    h.push('k', 106_000, 60);
    h.push('k', 108_000, 80);
    h.prefill('k', perSecond(100, [0, 1, 2, 3, 4, 5, 6, 7]));
    expect(h.values('k')).toEqual([0, 2, 4, 60, 80]);
  });

  it('prefills no more than fits beside the live values', () => {
    const h = new SparkHistory(3, 1000);
    h.push('k', 200_000, 9);
    h.prefill('k', perSecond(100, [1, 2, 3, 4, 5]));
    expect(h.values('k')).toEqual([4, 5, 9]);
    h.clear();
    expect(h.values('k')).toEqual([]);
  });
});
