import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ariaSort, nextSort, sortRows } from './table-sort.js';

interface Row {
  readonly name: string;
  readonly cpu?: number;
}
const rows: Row[] = [{ name: 'web-10', cpu: 5 }, { name: 'web-2', cpu: 40 }, { name: 'db-1' }, { name: 'web-1', cpu: 9.5 }];
const names = (rs: readonly Row[]) => rs.map((r) => r.name);

describe('table sorting', () => {
  it('sorts names naturally, as the CLI does: web-2 before web-10', () => {
    expect(names(sortRows(rows, { key: 'name', direction: 'asc' }, (r) => r.name))).toEqual(['db-1', 'web-1', 'web-2', 'web-10']);
    expect(names(sortRows(rows, { key: 'name', direction: 'desc' }, (r) => r.name))).toEqual(['web-10', 'web-2', 'web-1', 'db-1']);
  });

  it('sorts numbers numerically (40 above 9.5 and 5), hosts without a value last either way', () => {
    expect(names(sortRows(rows, { key: 'cpu', direction: 'desc' }, (r) => r.cpu))).toEqual(['web-2', 'web-1', 'web-10', 'db-1']);
    expect(names(sortRows(rows, { key: 'cpu', direction: 'asc' }, (r) => r.cpu))).toEqual(['web-10', 'web-1', 'web-2', 'db-1']);
  });

  it('a click on a new header sorts ascending, on the same header flips the direction', () => {
    expect(nextSort(undefined, 'cpu')).toEqual({ key: 'cpu', direction: 'asc' });
    expect(nextSort({ key: 'cpu', direction: 'asc' }, 'cpu')).toEqual({ key: 'cpu', direction: 'desc' });
    expect(nextSort({ key: 'cpu', direction: 'desc' }, 'cpu')).toEqual({ key: 'cpu', direction: 'asc' });
    expect(nextSort({ key: 'cpu', direction: 'desc' }, 'name')).toEqual({ key: 'name', direction: 'asc' });
    expect(ariaSort({ key: 'cpu', direction: 'desc' }, 'cpu')).toBe('descending');
    expect(ariaSort({ key: 'cpu', direction: 'desc' }, 'name')).toBe('none');
  });

  it('any values: the result is a permutation, ordered, with missing values at the end', () => {
    const value = fc.option(fc.oneof(fc.double({ noNaN: true }), fc.string()), { nil: undefined });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.constantFrom('asc' as const, 'desc' as const), (values, direction) => {
        const sorted = sortRows(values, { key: 'v', direction }, (v) => v);
        expect([...sorted].sort()).toEqual([...values].sort());
        const firstMissing = sorted.indexOf(undefined);
        if (firstMissing >= 0) expect(sorted.slice(firstMissing).every((v) => v === undefined)).toBe(true);
        const nums = sorted.filter((v): v is number => typeof v === 'number');
        if (nums.length === sorted.filter((v) => v !== undefined).length) {
          for (let i = 1; i < nums.length; i++) expect(direction === 'asc' ? nums[i - 1]! <= nums[i]! : nums[i - 1]! >= nums[i]!).toBe(true);
        }
      }),
      { seed: 13, numRuns: 200 },
    );
  });
});
