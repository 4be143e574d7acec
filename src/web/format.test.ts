import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cell, localTime } from './format.js';

const T = 1_700_000_000;

describe('localTime', () => {
  it("shows only the clock for a time today, in the browser's zone", () => {
    const d = new Date(T * 1000);
    expect(localTime(T, d)).toBe([d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':'));
  });

  it('adds the date for a time on another day, reading back as the same instant', () => {
    const text = localTime(T, new Date((T + 3 * 86_400) * 1000));
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(new Date(text.replace(' ', 'T')).getTime() / 1000).toBe(T);
  });

  it('shows NaN as "-" and a time past what a date holds as the number', () => {
    expect(localTime(Number.NaN)).toBe('-');
    expect(localTime(1e300)).toBe('1e+300');
  });

  it('never throws nor shows "Invalid Date", whatever the number', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(localTime(v)).not.toMatch(/Invalid|NaN|\n/);
      }),
      { seed: 20261206, numRuns: 500 },
    );
  });
});

describe('cell', () => {
  it('shows a timestamp column as a time and an age column as a duration', () => {
    expect(cell(T, { name: 'time', type: 'number', unit: 'timestamp' })).toBe(localTime(T));
    expect(cell(200, { name: 'age', type: 'number', unit: 'seconds' })).toBe('3.3m');
    expect(cell(4242, { name: 'pid', type: 'number', unit: 'identifier' })).toBe('4242');
  });
});
