import { describe, expect, it } from 'vitest';
import { WarnLimiter } from './warn-limiter.js';

function setup(maxKeys?: number) {
  const lines: string[] = [];
  let now = 1_000_000;
  const clock = { now: () => now };
  const limiter = new WarnLimiter({ warn: (_fields: unknown, message?: string) => void lines.push(message ?? '') } as never, clock, maxKeys);
  return { limiter, lines, advance: (ms: number) => (now += ms) };
}

describe('WarnLimiter', () => {
  it('logs a key once a minute, however often it is asked', () => {
    const { limiter, lines, advance } = setup();
    for (let i = 0; i < 1000; i++) limiter.once('web-1 protocol', {}, 'bad frame');
    expect(lines).toEqual(['bad frame']);
    advance(59_999);
    limiter.once('web-1 protocol', {}, 'bad frame');
    expect(lines).toHaveLength(1);
    advance(1);
    limiter.once('web-1 protocol', {}, 'bad frame');
    expect(lines).toHaveLength(2);
    limiter.once('web-2 protocol', {}, 'other agent');
    expect(lines).toHaveLength(3);
  });

  it('remembers at most its cap of keys, even when every message names a new one', () => {
    const { limiter, lines } = setup(100);
    for (let i = 0; i < 10_000; i++) limiter.once(`forged-${i} malformed`, {}, 'x');
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(lines).toHaveLength(10_000);
    // The newest keys are the ones kept: a repeat of the last is still held back.
    expect(limiter.once('forged-9999 malformed', {}, 'x')).toBe(false);
  });
});
