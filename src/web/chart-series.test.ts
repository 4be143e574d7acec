import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignSeries, appendSample } from './chart-series.js';

describe('chart series', () => {
  it("aligns several hosts' samples on the union of their times, gaps as null", () => {
    const samples = new Map([
      ['a', { xs: [1, 2], ys: [5, 6] }],
      ['b', { xs: [2.4, 3], ys: [7, 8] }],
    ]);
    expect(alignSeries(['a', 'b'], samples)).toEqual({ xs: [1, 2, 3], ys: [[5, 6, null], [null, 7, 8]] });
    expect(alignSeries(['b', 'missing'], samples)).toEqual({ xs: [2, 3], ys: [[7, 8], [null, null]] });
  });

  it('appends newer samples only, dropping those older than the range', () => {
    let s = appendSample(undefined, 10, 1, 0);
    s = appendSample(s, 11, 2, 0);
    s = appendSample(s, 11, 9, 0); // not newer: ignored
    expect(s).toEqual({ xs: [10, 11], ys: [1, 2] });
    expect(appendSample(s, 20, 3, 11)).toEqual({ xs: [11, 20], ys: [2, 3] });
    expect(appendSample(s, 30, 4, 25)).toEqual({ xs: [30], ys: [4] });
  });

  it('every aligned row has one value per time, each sample where its time is (fuzz)', () => {
    const host = fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 40 }).map((xs) => xs.sort((a, b) => a - b));
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 5 }), (hosts) => {
        const names = hosts.map((_, i) => `h${i}`);
        const samples = new Map(hosts.map((xs, i) => [`h${i}`, { xs, ys: xs.map((x) => x * 10 + i) }]));
        const { xs, ys } = alignSeries(names, samples);
        expect(xs).toEqual([...new Set(hosts.flat())].sort((a, b) => a - b));
        ys.forEach((row, i) => {
          expect(row).toHaveLength(xs.length);
          expect(row.filter((v) => v !== null)).toEqual((hosts[i] as number[]).map((x) => x * 10 + i));
        });
      }),
      { numRuns: 200 },
    );
  });
});
