import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANGE, MAX_COMPARE, fleetSearch, parseFleetView, rangeSeconds } from './url-state.js';

describe("Fleet's view in the URL", () => {
  it('reads the filter, host, range, compared hosts and sort', () => {
    expect(parseFleetView('?q=role+%3D+%22web%22&host=web-1&range=15m&compare=web-1,db-3&sort=-cpu')).toEqual({ filter: 'role = "web"', host: 'web-1', range: '15m', compare: ['web-1', 'db-3'], sort: '-cpu' });
    expect(parseFleetView('')).toEqual({ filter: '', host: undefined, range: DEFAULT_RANGE, compare: [], sort: undefined });
  });

  it('round-trips a view, leaving defaults out of the URL', () => {
    const view = { filter: 'sort(-cpu_usage) | limit(3)', host: 'web-2', range: '90s', compare: ['a', 'b'], sort: 'name' };
    expect(parseFleetView(fleetSearch(view))).toEqual(view);
    expect(fleetSearch({ filter: '  ', host: undefined, range: DEFAULT_RANGE, compare: [], sort: undefined })).toBe('');
  });

  it('falls back to the defaults for a range the charts do not take, and cuts compared hosts', () => {
    expect(parseFleetView('?range=forever').range).toBe(DEFAULT_RANGE);
    expect(parseFleetView('?range=8d').range).toBe(DEFAULT_RANGE);
    expect(parseFleetView('?range=0m').range).toBe(DEFAULT_RANGE);
    expect(parseFleetView('?sort=cpu;drop').sort).toBeUndefined();
    const many = Array.from({ length: 20 }, (_, i) => `h${i}`).join(',');
    expect(parseFleetView(`?compare=${many},h1`).compare).toHaveLength(MAX_COMPARE);
    expect(parseFleetView('?compare=a,a,,b').compare).toEqual(['a', 'b']);
  });

  it('measures ranges in seconds', () => {
    expect(rangeSeconds('5m')).toBe(300);
    expect(rangeSeconds('6h')).toBe(21_600);
    expect(rangeSeconds('7d')).toBe(604_800);
    expect(rangeSeconds('1.5h')).toBeUndefined();
  });

  it('never throws and always yields a usable view, whatever the query string (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (search) => {
        const view = parseFleetView(search);
        expect(rangeSeconds(view.range)).toBeGreaterThan(0);
        expect(view.compare.length).toBeLessThanOrEqual(MAX_COMPARE);
        expect(parseFleetView(fleetSearch(view))).toEqual({ ...view, filter: view.filter.trim() });
      }),
      { numRuns: 300 },
    );
  });
});
