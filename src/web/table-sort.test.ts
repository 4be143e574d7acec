import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ariaSort, keepOrder, nextSort, sortArrow, sortFromParam, sortRows, sortToParam, sortedBy } from './table-sort.js';

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

describe('keepOrder', () => {
  it('keeps the previous order and puts new rows after it, in their order', () => {
    expect(names(keepOrder(['web-2', 'web-10'], rows, (r) => r.name))).toEqual(['web-2', 'web-10', 'db-1', 'web-1']);
    expect(names(keepOrder([], rows, (r) => r.name))).toEqual(names(rows));
    expect(names(keepOrder(['gone', 'web-1'], rows, (r) => r.name))).toEqual(['web-1', 'web-10', 'web-2', 'db-1']);
  });

  it('is a permutation of the rows that keeps the previous order among them (fuzz)', () => {
    const keys = fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 30 });
    fc.assert(
      fc.property(keys, keys, (previous, current) => {
        const out = keepOrder(previous, current, (k) => k);
        expect([...out].sort()).toEqual([...current].sort());
        const kept = out.filter((k) => previous.includes(k));
        expect(kept).toEqual(previous.filter((k) => current.includes(k)));
        expect(out.slice(kept.length)).toEqual(current.filter((k) => !previous.includes(k)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sortedBy', () => {
  const rows = [{ name: 'web-10', n: 1 }, { name: 'web-2', n: 3 }, { name: 'db-1', n: 2 }];
  const values = { name: (r: (typeof rows)[number]) => r.name, n: (r: (typeof rows)[number]) => r.n };

  it('sorts by the named column, and leaves the rows as they are with no order or an unknown column', () => {
    expect(sortedBy(rows, { key: 'name', direction: 'asc' }, values).map((r) => r.name)).toEqual(['db-1', 'web-2', 'web-10']);
    expect(sortedBy(rows, { key: 'n', direction: 'desc' }, values).map((r) => r.n)).toEqual([3, 2, 1]);
    expect(sortedBy(rows, undefined, values)).toBe(rows);
    expect(sortedBy(rows, { key: 'nope', direction: 'asc' }, values)).toBe(rows);
    expect(sortedBy(rows, { key: 'constructor', direction: 'asc' }, values)).toBe(rows);
  });
});

describe('sort in a URL parameter', () => {
  it('reads `key` and `-key` back as written, and nothing from other forms', () => {
    expect(sortFromParam('-targets')).toEqual({ key: 'targets', direction: 'desc' });
    expect(sortToParam(sortFromParam('-targets'))).toBe('-targets');
    expect(sortToParam(sortFromParam('who'))).toBe('who');
    for (const bad of [null, undefined, '', '-', '--x', 'a b', 'Who', 'x;y', '-'.repeat(500)]) expect(sortFromParam(bad)).toBeUndefined();
  });

  it('shows an arrow on the sorted column only', () => {
    expect(sortArrow({ key: 'a', direction: 'asc' }, 'a')).toBe(' ▲');
    expect(sortArrow({ key: 'a', direction: 'desc' }, 'a')).toBe(' ▼');
    expect(sortArrow({ key: 'a', direction: 'desc' }, 'b')).toBe('');
    expect(sortArrow(undefined, 'a')).toBe('');
  });
});
