import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNumber, isMeasure, isoTime, seconds } from './present.js';

const UNITS = ['seconds', 'bytes', 'percent', 'bytes_per_second', 'count', 'none', 'timestamp', 'identifier', undefined] as const;

describe('formatNumber', () => {
  it('shows a timestamp as ISO 8601 UTC to the second, not as a duration since 1970', () => {
    expect(formatNumber(1_700_000_000, 'timestamp')).toBe('2023-11-14T22:13:20Z');
    expect(formatNumber(1_700_000_000.6, 'timestamp')).toBe('2023-11-14T22:13:21Z');
    expect(formatNumber(1_700_000_000, 'seconds')).not.toMatch(/T/);
  });

  it('shows times before 1970 and times past what a date holds without failing', () => {
    expect(formatNumber(-86_400, 'timestamp')).toBe('1969-12-31T00:00:00Z');
    expect(formatNumber(1e300, 'timestamp')).toBe('1e+300');
  });

  it('shows an identifier exactly, never rounded', () => {
    expect(formatNumber(123_457, 'identifier')).toBe('123457');
    expect(formatNumber(42, 'identifier')).toBe('42');
  });

  it('shows ages and other durations with their unit, negative ones with a sign', () => {
    expect(formatNumber(200, 'seconds')).toBe('3.3m');
    expect(formatNumber(0.25, 'seconds')).toBe('250ms');
    expect(seconds(-5)).toBe('-5s');
    expect(seconds(-7200)).toBe('-2h');
  });

  it('shows NaN and infinities as "-" whatever the unit: nothing was measured', () => {
    for (const unit of UNITS) {
      expect(formatNumber(Number.NaN, unit)).toBe('-');
      expect(formatNumber(Number.POSITIVE_INFINITY, unit)).toBe('-');
      expect(formatNumber(Number.NEGATIVE_INFINITY, unit)).toBe('-');
    }
  });

  it('gives a short single-line text for any number and unit, never throwing', () => {
    fc.assert(
      fc.property(fc.double(), fc.constantFrom(...UNITS), (v, unit) => {
        const text = formatNumber(v, unit);
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThan(40);
        expect(text).not.toMatch(/\n|NaN|Invalid/);
      }),
      { seed: 20261206, numRuns: 500 },
    );
  });

  it('reads any time a date holds back as the same second', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e12, max: 8.64e12 }), (s) => {
        expect(Date.parse(isoTime(s)) / 1000).toBe(s);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });
});

describe('isMeasure', () => {
  it('summarises numbers that measure, not times, identifiers or text', () => {
    expect(isMeasure({ type: 'number', unit: 'percent' })).toBe(true);
    expect(isMeasure({ type: 'number', unit: 'seconds' })).toBe(true);
    expect(isMeasure({ type: 'number' })).toBe(true);
    expect(isMeasure({ type: 'number', unit: 'timestamp' })).toBe(false);
    expect(isMeasure({ type: 'number', unit: 'identifier' })).toBe(false);
    expect(isMeasure({ type: 'string' })).toBe(false);
  });
});
