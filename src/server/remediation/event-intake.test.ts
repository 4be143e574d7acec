import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../protocol/index.js';
import type { Store } from '../store/index.js';
import { EventIntake } from './event-intake.js';
import { tempStore } from '../../../test/remediation-fakes.js';

let dispose: () => Promise<void>;
let store: Store;
let notified: FleetEvent[];
let intake: EventIntake;

beforeEach(async () => {
  ({ store, dispose } = await tempStore());
  notified = [];
  intake = new EventIntake(store, { notify: (e) => notified.push(e) }, { now: () => 1_700_000_000_000 });
});
afterEach(async () => {
  await dispose();
});

const event = (id: string, patch: Partial<FleetEvent> = {}): FleetEvent => ({
  id, time: 1_700_000_000_000, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: 'agent:web-1', message: 'disk full', value: 95, details: {}, ...patch,
});

const botRan = event('ran-1', {
  type: 'bot_ran', alarm: null, bot: 'cleaner', action: 'clean_tmp', severity: null, principal: 'bot:cleaner@web-1', message: 'bot cleaner ran clean_tmp', value: null,
  details: { ok: true, args: { older: '1d' }, exitCode: 0, stdout: 'freed 2G', stderr: '', durationMs: 1500 },
});

describe('EventIntake', () => {
  it('stores the same events once, and notifies and publishes them once, however often they are delivered', async () => {
    const published: string[] = [];
    intake.bus.subscribe((e) => published.push(e.id));
    const batch = [event('e-1'), event('e-2', { type: 'alarm_cleared', message: 'disk fine' })];

    expect((await intake.storeEvents(batch)).map((e) => e.id)).toEqual(['e-1', 'e-2']);
    expect(await intake.storeEvents(batch)).toEqual([]);

    expect((await store.listEvents({})).map((e) => e.id).sort()).toEqual(['e-1', 'e-2']);
    expect(notified.map((e) => e.id)).toEqual(['e-1', 'e-2']);
    expect(published).toEqual(['e-1', 'e-2']);
  });

  it('makes a bot_ran event a run record and an audit entry under the bot on that host', async () => {
    await intake.storeEvents([botRan]);

    const run = await store.getRun('ran-1');
    expect(run?.run).toMatchObject({ principal: 'bot:cleaner@web-1', statement: 'bot cleaner: clean_tmp(older = "1d") on web-1', status: 'succeeded', startedAt: 1_700_000_000_000 - 1500, finishedAt: 1_700_000_000_000 });
    expect(run?.results).toEqual([expect.objectContaining({ host: 'web-1', status: 'ok', exitCode: 0, stdout: 'freed 2G' })]);
    expect(await store.listAudit({ action: 'run' })).toEqual([expect.objectContaining({ principal: 'bot:cleaner@web-1', target: 'bot cleaner: clean_tmp(older = "1d") on web-1', outcome: 'ok', runId: 'ran-1' })]);
  });

  it('writes the run record on redelivery when the event was stored before a crash, and only once', async () => {
    // The event is stored, the process died before its run record: the agent delivers it again.
    await store.appendEvents([botRan]);
    expect(await store.getRun('ran-1')).toBeUndefined();

    expect(await intake.storeEvents([botRan])).toEqual([]);
    await intake.storeEvents([botRan]);

    expect((await store.getRun('ran-1'))?.run.status).toBe('succeeded');
    expect(await store.listAudit({ action: 'run' })).toHaveLength(1);
    expect(notified).toEqual([]);
  });

  it('never stores a bot_ran event before its run record, so a crash between the two leaves no event without its run', async () => {
    // What a reader sees at the moment the event lands: its run must be there already.
    const runAtAppend: (string | undefined)[] = [];
    let crash = true;
    const watched = new Proxy(store, {
      get(target, key) {
        if (key !== 'appendEvents') return (target[key as keyof Store] as (...a: unknown[]) => unknown).bind(target);
        return async (events: Parameters<Store['appendEvents']>[0]) => {
          runAtAppend.push((await target.getRun('ran-1'))?.run.id);
          if (crash) {
            crash = false;
            throw new Error('killed between the run record and the event');
          }
          return target.appendEvents(events);
        };
      },
    });
    const crashing = new EventIntake(watched, { notify: (e) => notified.push(e) }, { now: () => 1_700_000_000_000 });

    await expect(crashing.storeEvents([botRan])).rejects.toThrow('killed');
    expect(await store.listEvents({})).toEqual([]);
    // The bus redelivers: the event lands, its run and audit entry stay single.
    expect((await crashing.storeEvents([botRan])).map((e) => e.id)).toEqual(['ran-1']);
    expect(runAtAppend).toEqual(['ran-1', 'ran-1']);
    expect(await store.listAudit({ action: 'run' })).toHaveLength(1);
    expect((await store.getRun('ran-1'))?.results).toHaveLength(1);
  });

  it('records the control plane\'s own events with the clock\'s time and nulls for the rest', async () => {
    await intake.record({ type: 'agent_joined', host: 'web-1', principal: 'agent:web-1', message: 'agent web-1 connected' });

    expect(await store.listEvents({})).toEqual([expect.objectContaining({ type: 'agent_joined', time: 1_700_000_000_000, host: 'web-1', bot: null, runId: null, details: {} })]);
  });
});
