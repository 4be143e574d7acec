import { describe, expect, it } from 'vitest';

import { sleep, systemClock } from './clock.js';
import { FakeClock } from './fake-clock.test-support.js';

describe('sleep', () => {
  it('wakes when the clock reaches the time, not before', async () => {
    const clock = new FakeClock();
    let woke = false;
    const wait = sleep(clock, 1000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await wait;
    expect(woke).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('wakes at once when aborted, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const wait = sleep(clock, 60_000, stop.signal);
    stop.abort();
    await wait;
    expect(clock.pending).toBe(0);
    await sleep(clock, 60_000, stop.signal);
    await sleep(clock, -5);
    expect(clock.pending).toBe(0);
  });

  it('runs on the system clock too', async () => {
    const before = systemClock.now();
    await sleep(systemClock, 5);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before + 4);
  });
});
