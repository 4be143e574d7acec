import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from './index.js';

describe('parseDuration', () => {
  it('rejects a duration too long to be a number', () => {
    expect(parseDuration(`${'9'.repeat(400)}s`)).toBeUndefined();
    expect(parseDuration(`1.${'9'.repeat(400)}w`)).toBeCloseTo(2 * 604_800);
  });
});

describe('parseSize', () => {
  it('reads SI and IEC sizes into whole bytes', () => {
    expect(parseSize('100B')).toBe(100);
    expect(parseSize('512KB')).toBe(512_000);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('1.5GB')).toBe(1_500_000_000);
    expect(parseSize('1.1KB')).toBe(1100);
    expect(parseSize('2TiB')).toBe(2 * 1024 ** 4);
    expect(parseSize(' 4KiB ')).toBe(4096);
    expect(parseSize('0B')).toBe(0);
  });

  it('rejects what is not a size', () => {
    for (const bad of ['', '1024', '1mb', '1 MiB', '-1MiB', '1MiBs', '5m', '0.5B', '1.KB', 'MiB', '1e3KB']) {
      expect(parseSize(bad), bad).toBeUndefined();
    }
  });

  it('leaves durations to parseDuration', () => {
    expect(parseSize('5m')).toBeUndefined();
    expect(parseDuration('1MiB')).toBeUndefined();
  });
});
