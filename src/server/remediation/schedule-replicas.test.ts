/*
 * Once across replicas: two Schedules (two control-plane replicas) over one store run a
 * schedule's statement once per tick; the replica that did not claim a tick skips it. On both back
 * ends (test/store/back-ends.ts), each replica with a connection of its own.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Store } from '../store/index.js';
import { Schedules } from './schedules.js';
import { inventoryHost, statementsOn, unreachableFleet } from '../../../test/remediation-fakes.js';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0 } from '../../../test/store/fixtures.js';

const TICK = { kind: 'schedule', name: 'tick', cron: null, everySeconds: 1, run: 'host | `echo tick`', enabled: true } as unknown as ScheduleDefinition;

/** A replica: Schedules on its own store connection, its log lines kept (debug and up). */
function replica(name: string, store: Store) {
  const logged: string[] = [];
  const lines = new Writable({ write: (chunk: Buffer, _e, done) => (logged.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const schedules = new Schedules(statementsOn(store, unreachableFleet([inventoryHost('web-1', false)])), pino({ level: 'debug' }, lines), undefined, name);
  const count = (message: string) => logged.filter((l) => (JSON.parse(l) as { msg: string }).msg === message).length;
  return { schedules, ran: () => count('schedule ran'), skipped: () => count('tick claimed by another replica: skipped here') };
}

/** Waits on the real clock (Date is faked here) until `probe` holds. */
async function settle(what: string, probe: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(() => {
  vi.useRealTimers();
});

await describeStore('schedules on two replicas', 'src/server/remediation/schedule-replicas.test.ts', ({ harness, openOn }) => {
  it('run the statement once per tick, whichever replica claims it; the other skips; one alone runs every tick', async () => {
    const target = await harness().fresh();
    const [storeA, storeB] = [openOn(target), openOn(target)];
    await storeA.migrate();
    // Only the interval and Date are fake: the stores' I/O and their timers stay real.
    vi.useFakeTimers({ now: T0 + 100, toFake: ['setInterval', 'clearInterval', 'Date'] });
    const a = replica('replica-a', storeA);
    const b = replica('replica-b', storeB);
    a.schedules.set([TICK]);
    // B starts 200 ms later: its timer wakes 200 ms after A's in every second, in the same tick.
    await vi.advanceTimersByTimeAsync(200);
    b.schedules.set([TICK]);
    const total = () => a.ran() + b.ran();
    try {
      for (let tick = 1; tick <= 3; tick++) {
        await vi.advanceTimersByTimeAsync(1000);
        await settle(`tick ${tick} run by one replica and skipped by the other`, () => total() === tick && a.skipped() + b.skipped() === tick);
      }
      // A replica goes away: the other runs every tick alone.
      a.schedules.stop();
      const aRan = a.ran();
      for (let tick = 4; tick <= 5; tick++) {
        await vi.advanceTimersByTimeAsync(1000);
        await settle(`tick ${tick} run by the one replica left`, () => total() === tick);
      }
      expect(a.ran()).toBe(aRan);
      expect(a.skipped() + b.skipped()).toBe(3);
    } finally {
      a.schedules.stop();
      b.schedules.stop();
    }
    vi.useRealTimers();
    const runs = (await storeB.listRuns()).filter((r) => r.principal === 'schedule:tick');
    expect(runs).toHaveLength(5);
    expect(runs.every((r) => r.statement === 'host | `echo tick`' && r.targets === 1)).toBe(true);
  });
});
