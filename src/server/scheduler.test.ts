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

const MINUTE = 60_000;

function cron(name: string, expression: string, enabled = true): ScheduleDefinition {
  return { kind: 'schedule', name, description: '', cron: expression, everySeconds: null, run: 'host | count()', enabled } as unknown as ScheduleDefinition;
}

/** A scheduler that records (schedule, ISO time) for each run; `hold` keeps a run going until released. */
function recording(hold?: Promise<void>) {
  const runs: [string, string][] = [];
  const scheduler = new Scheduler(async (s) => {
    runs.push([s.name, new Date().toISOString()]);
    await hold;
  }, pino({ enabled: false }));
  return { runs, scheduler };
}

describe('Scheduler with cron expressions', () => {
  // On vitest's fake clock, which fakes Date and the timers croner waits with: an hour of ticks
  // takes no time and the run times are exact.
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a cron schedule at the times its expression names, and only then', async () => {
    // Local times: croner reads cron expressions in the process's time zone, as the server does.
    const at = (h: number, m: number) => new Date(2026, 2, 2, h, m).toISOString();
    vi.useFakeTimers({ now: new Date(2026, 2, 2, 2, 58, 30) });
    const { runs, scheduler } = recording();
    scheduler.set([cron('every-20-min', '*/20 * * * *'), cron('nightly', '0 3 * * *')]);
    await vi.advanceTimersByTimeAsync(65 * MINUTE);
    scheduler.stop();
    expect(runs.sort((x, y) => x[1].localeCompare(y[1]) || x[0].localeCompare(y[0]))).toEqual([
      ['every-20-min', at(3, 0)],
      ['nightly', at(3, 0)],
      ['every-20-min', at(3, 20)],
      ['every-20-min', at(3, 40)],
      ['every-20-min', at(4, 0)],
    ]);
  });

  it('does not run a disabled schedule, nor any after stop() or after set() replaced it', async () => {
    vi.useFakeTimers({ now: new Date(2026, 2, 2, 0, 0, 30) });
    const { runs, scheduler } = recording();
    scheduler.set([cron('off', '* * * * *', false), cron('old', '* * * * *')]);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(runs.map((r) => r[0])).toEqual(['old']);
    scheduler.set([cron('new', '* * * * *')]);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(runs.map((r) => r[0])).toEqual(['old', 'new', 'new']);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(runs).toHaveLength(3);
  });

  it('skips the ticks that come while the previous run is still going, then runs again', async () => {
    vi.useFakeTimers({ now: new Date(2026, 2, 2, 0, 0, 30) });
    let release!: () => void;
    const { runs, scheduler } = recording(new Promise<void>((r) => (release = r)));
    scheduler.set([cron('slow', '* * * * *')]);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(runs).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(runs).toHaveLength(2);
    scheduler.stop();
  });
});

describe('Scheduler claiming its ticks (several replicas)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A scheduler whose claims are recorded and answered by `answer`; runs are counted. */
  function claiming(answer: (n: number) => Promise<boolean>) {
    const claims: [string, string][] = [];
    let runs = 0;
    const scheduler = new Scheduler(
      async () => {
        runs++;
      },
      pino({ enabled: false }),
      undefined,
      (key, tick) => {
        claims.push([key, new Date(tick).toISOString()]);
        return answer(claims.length);
      },
    );
    return { claims, scheduler, runs: () => runs };
  }

  it('claims the tick the expression names (not when its timer woke) and the `every` period\'s slot since the epoch', async () => {
    const at = (h: number, m: number, s = 0) => new Date(2026, 2, 2, h, m, s).toISOString();
    // 7 s past the minute: an `every: 60s` timer wakes at :07 each minute, and claims the minute.
    vi.useFakeTimers({ now: new Date(2026, 2, 2, 2, 59, 7) });
    const { claims, scheduler, runs } = claiming(() => Promise.resolve(true));
    scheduler.set([cron('every-20-min', '*/20 * * * *'), { ...schedule(60), name: 'minutely' }]);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    scheduler.stop();
    expect(claims).toEqual([
      ['every-20-min cron */20 * * * *', at(3, 0)],
      ['minutely every 60s', at(3, 0)],
      ['minutely every 60s', at(3, 1)],
    ]);
    expect(runs()).toBe(3);
  });

  it('runs only the ticks it claimed; a claim that fails skips that tick and the next one is claimed again', async () => {
    vi.useFakeTimers({ now: new Date(2026, 2, 2, 0, 0, 30) });
    // Won, lost, failed (the store is down), won.
    const answers = [true, false, 'fail', true];
    const { claims, scheduler, runs } = claiming((n) => (answers[n - 1] === 'fail' ? Promise.reject(new Error('store unreachable')) : Promise.resolve(answers[n - 1] === true)));
    scheduler.set([cron('minutely', '* * * * *')]);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    scheduler.stop();
    expect(claims).toHaveLength(4);
    expect(runs()).toBe(2);
  });
});

describe('Scheduler.next and runNow', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("says when an `every` timer fires next, moving on with each run, and nothing for a schedule it does not run", async () => {
    vi.useFakeTimers();
    const scheduler = new Scheduler(async () => undefined, pino({ enabled: false }));
    const start = Date.now();
    scheduler.set([schedule(60), cron('off', '* * * * *', false)]);
    expect(scheduler.next('monthly')).toBe(start + 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(scheduler.next('monthly')).toBe(start + 120_000);
    expect(scheduler.next('off')).toBeUndefined();
    scheduler.stop();
    expect(scheduler.next('monthly')).toBeUndefined();
  });

  it('refuses a run-now while a run of the schedule is going, and one whose claim another holder has', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const claimed = new Set<string>();
    const scheduler = new Scheduler(async () => undefined, pino({ enabled: false }), undefined, async (key, tick) => !claimed.has(`${key}@${tick}`) && Boolean(claimed.add(`${key}@${tick}`)));
    const s = schedule(60);
    const first = scheduler.runNow(s, 'monthly now', 1000, () => hold.then(() => 'ran'));
    expect(scheduler.busy('monthly')).toBe(true);
    await expect(scheduler.runNow(s, 'monthly now', 2000, async () => 'again')).rejects.toThrow('schedule monthly is running now: wait for that run to end, then run it again');
    release();
    expect(await first).toBe('ran');
    expect(scheduler.busy('monthly')).toBe(false);
    await expect(scheduler.runNow(s, 'monthly now', 1000, async () => 'twice')).rejects.toThrow(/^schedule monthly was already run now at 1970-01-01T00:00:01.000Z/);
    expect(await scheduler.runNow(s, 'monthly now', 2000, async () => 'next second')).toBe('next second');
  });
});
