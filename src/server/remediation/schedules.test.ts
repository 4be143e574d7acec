import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Store } from '../store/index.js';
import { Schedules } from './schedules.js';
import { inventoryHost, statementsOn, tempStore, unreachableFleet } from '../../../test/remediation-fakes.js';

const TICK = { kind: 'schedule', name: 'tick', cron: null, everySeconds: 1, run: 'host | `echo tick`', enabled: true } as unknown as ScheduleDefinition;

let dispose: () => Promise<void>;
let store: Store;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  ({ store, dispose } = await tempStore());
});
afterEach(async () => {
  vi.useRealTimers();
  await dispose();
});

describe('Schedules', () => {
  it('runs a schedule\'s statement as schedule:<name> on each tick, recorded as a run, and logs it', async () => {
    const ran = new Promise<Record<string, unknown>>((resolve) => {
      const lines = new Writable({ write: (chunk: Buffer, _e, done) => (void (chunk.toString().includes('schedule ran') && resolve(JSON.parse(chunk.toString()) as Record<string, unknown>)), done()) });
      const schedules = new Schedules(statementsOn(store, unreachableFleet([inventoryHost('web-1', false)])), pino({ level: 'info' }, lines));
      schedules.set([TICK]);
      void vi.advanceTimersByTimeAsync(1000).then(() => schedules.stop());
    });

    const logged = await ran;
    expect(logged).toMatchObject({ schedule: 'tick', failed: 1 });
    const runs = await store.listRuns();
    expect(runs).toEqual([expect.objectContaining({ id: logged.runId, principal: 'schedule:tick', statement: 'host | `echo tick`', targets: 1, failures: 1 })]);
  });

  it('while held (maintenance), records the tick as schedule_skipped with the reason and runs nothing', async () => {
    const recorded = new Promise<{ type: string; message: string; details?: Record<string, unknown> }>((resolve) => {
      const schedules = new Schedules(statementsOn(store, unreachableFleet([inventoryHost('web-1', false)])), pino({ level: 'silent' }), undefined, undefined, {
        refusal: () => 'maintenance mode is on (set by ops: db upgrade); no new automated runs',
        record: async (e) => resolve(e),
      });
      schedules.set([TICK]);
      void vi.advanceTimersByTimeAsync(1000).then(() => schedules.stop());
    });

    expect(await recorded).toMatchObject({ type: 'schedule_skipped', principal: 'schedule:tick', message: 'schedule tick did not run: maintenance mode is on (set by ops: db upgrade); no new automated runs', details: { schedule: 'tick' } });
    expect(await store.listRuns()).toEqual([]);
  });
});
