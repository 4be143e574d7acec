import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleDefinition } from '../definitions/index.js';
import { Scheduler } from './scheduler.js';

const DAY_MS = 86_400_000;

function schedule(everySeconds: number): ScheduleDefinition {
  return { kind: 'schedule', name: 'monthly', cron: null, everySeconds, run: 'host | count()', enabled: true } as unknown as ScheduleDefinition;
}

describe('Scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs an `every` schedule once a period, also when the period is longer than a timer can wait (~24.8 days)', async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const scheduler = new Scheduler(async () => {
      runs.push(Date.now());
    }, pino({ enabled: false }));
    const start = Date.now();
    scheduler.set([schedule(30 * 86_400)]);
    await vi.advanceTimersByTimeAsync(DAY_MS);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    expect(runs).toEqual([start + 30 * DAY_MS]);
    await vi.advanceTimersByTimeAsync(30 * DAY_MS);
    expect(runs).toEqual([start + 30 * DAY_MS, start + 60 * DAY_MS]);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(30 * DAY_MS);
    expect(runs).toHaveLength(2);
  });

  it('runs a short `every` schedule once a period', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const scheduler = new Scheduler(async () => {
      runs++;
    }, pino({ enabled: false }));
    scheduler.set([schedule(60)]);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(runs).toBe(5);
    scheduler.stop();
  });
});
