/*
 * Events (event-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, run, event, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type EventRecord, type EventType } from './index.js';

await describeStore('events', 'src/server/store/event-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('appendEvents stores the batch and returns it; the same batch again returns []', async () => {
    const store = await freshStore();
    const batch = [
      event({ time: T0 + 1, type: 'bot_ran', bot: 'nginx-restarter', action: 'restart_nginx', runId: 'run-1', value: null, severity: null }),
      event({ time: T0 + 3, message: TRICKY, details: { nested: { list: [1, 'two', null, { x: -0.5 }] }, text: TRICKY }, value: 1e-7 }),
      event({
        time: T0 + 2,
        type: 'agent_joined',
        host: 'ünïcødé-主机-🚀',
        resource: null,
        alarm: null,
        severity: null,
        principal: 'agent:web-1',
        value: -42,
        details: {},
      }),
    ];
    expect(await store.appendEvents(batch)).toEqual(batch);
    expect(await store.appendEvents(batch)).toEqual([]);
    expect(await store.appendEvents([])).toEqual([]);
    expect(await store.listEvents()).toEqual([batch[1], batch[2], batch[0]]);
  });

  it('value keeps any finite double exactly', async () => {
    const store = await freshStore();
    const values = [0, 0.1, 1 / 3, -2.5, 1e21, 5e-324, -1.5e-300, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 60];
    const events = values.map((value, i) => event({ id: `v-${i}`, time: T0 + i, value }));
    await store.appendEvents(events);
    expect((await store.listEvents()).map((e) => e.value)).toEqual([...values].reverse());
  });

  it('partial overlap: only the new events are stored and returned, in the order given', async () => {
    const store = await freshStore();
    const [e1, e2, e3, e4, e5] = [1, 2, 3, 4, 5].map((i) => event({ id: `e${i}`, time: T0 + i }));
    expect(await store.appendEvents([e2!, e1!])).toEqual([e2, e1]);
    // A redelivered event is skipped even if its content differs: the stored one stays.
    const e2again = { ...e2!, message: 'redelivered, changed' };
    expect(await store.appendEvents([e4!, e2again, e3!, e1!])).toEqual([e4, e3]);
    // An id repeated within one batch counts once: its first occurrence.
    const e5dup = { ...e5!, message: 'second copy' };
    expect(await store.appendEvents([e5!, e5dup])).toEqual([e5]);
    expect(await store.listEvents()).toEqual([e5, e4, e3, e2, e1]);
  });

  it('concurrent deliveries of overlapping batches: every event is returned by exactly one call', async () => {
    const target = await harness().fresh();
    const stores = [openOn(target), openOn(target)];
    await stores[0]!.migrate();
    const all = Array.from({ length: 60 }, (_, i) => event({ id: `evt-${String(i).padStart(3, '0')}`, time: T0 + i }));
    // Overlapping windows, in different orders, over two store instances at once.
    const batches = [all.slice(0, 40), [...all.slice(20, 60)].reverse(), all.slice(10, 50), all];
    const returned = await Promise.all(batches.map((b, i) => stores[i % 2]!.appendEvents(b)));
    const ids = returned.flat().map((e) => e.id);
    expect(ids).toHaveLength(all.length);
    expect(new Set(ids)).toEqual(new Set(all.map((e) => e.id)));
    expect(await stores[1]!.listEvents({ limit: 1000 })).toEqual([...all].reverse());
  });

  it('appendEvents is atomic: a bad event rejects the whole batch', async () => {
    const store = await freshStore();
    const good = event();
    const bad: EventRecord[] = [
      event({ type: 'exploded' as EventType }),
      event({ value: Number.NaN }),
      event({ value: Number.POSITIVE_INFINITY }),
      event({ value: '3' as unknown as number }),
      event({ value: undefined as unknown as null }),
      event({ message: 'a\u0000b' }),
      event({ host: '\ud800' }),
      event({ details: { when: new Date() } }),
      event({ time: 1.5 }),
      event({ message: undefined as unknown as string }),
      event({ id: undefined as unknown as string }),
    ];
    for (const b of bad) await expectStoreError(store.appendEvents([good, b]), 'STORE_INVALID');
    expect(await store.listEvents()).toEqual([]);
    expect(await store.appendEvents([good])).toEqual([good]);
  });

  it('writes a batch larger than one statement whole, or not at all', async () => {
    const store = await freshStore();
    const batch = Array.from({ length: 2345 }, (_, i) => event({ time: T0 + i, value: i }));
    const bad = event({ type: 'exploded' as EventType });
    await expectStoreError(store.appendEvents([...batch, bad]), 'STORE_INVALID');
    expect(await store.countEvents({ type: 'alarm_fired', since: 0 })).toBe(0);
    expect(await store.appendEvents(batch)).toEqual(batch);
    const more = event({ time: T0 - 1 });
    expect(await store.appendEvents([...batch, more])).toEqual([more]);
    expect(await store.countEvents({ type: 'alarm_fired', since: 0 })).toBe(2346);
  });

  it('listEvents filters by type, alarm, bot, host and since, and pages backwards with `before`', async () => {
    const store = await freshStore();
    const types: EventType[] = ['alarm_fired', 'bot_ran', 'alarm_cleared', 'bot_skipped'];
    const all: EventRecord[] = [];
    for (let i = 0; i < 24; i++) {
      const type = types[i % 4]!;
      all.push(
        event({
          id: `e-${String(i).padStart(2, '0')}`,
          time: T0 + i * 10,
          type,
          host: i % 3 === 0 ? 'db-1' : 'web-1',
          alarm: type.startsWith('alarm') ? (i % 8 < 4 ? 'disk_full' : 'cpu_high') : null,
          bot: type.startsWith('bot') ? (i % 5 === 0 ? 'cleaner' : 'restarter') : null,
        }),
      );
    }
    // Shuffled, in two batches.
    const shuffled = [...all].sort((a, b) => ((a.time * 7919) % 23) - ((b.time * 7919) % 23));
    await store.appendEvents(shuffled.slice(0, 10));
    await store.appendEvents(shuffled.slice(10));
    const newest = [...all].reverse();

    expect(await store.listEvents()).toEqual(newest);
    expect(await store.listEvents({ type: 'bot_ran' })).toEqual(newest.filter((e) => e.type === 'bot_ran'));
    expect(await store.listEvents({ alarm: 'disk_full' })).toEqual(newest.filter((e) => e.alarm === 'disk_full'));
    expect(await store.listEvents({ bot: 'cleaner' })).toEqual(newest.filter((e) => e.bot === 'cleaner'));
    expect(await store.listEvents({ host: 'db-1' })).toEqual(newest.filter((e) => e.host === 'db-1'));
    // `since` is inclusive, `before` exclusive.
    expect(await store.listEvents({ since: T0 + 200 })).toEqual(newest.filter((e) => e.time >= T0 + 200));
    expect(await store.listEvents({ since: T0 + 195.5 })).toEqual(newest.filter((e) => e.time >= T0 + 200));
    expect(await store.listEvents({ since: T0 + 50, before: T0 + 100 })).toEqual(
      newest.filter((e) => e.time >= T0 + 50 && e.time < T0 + 100),
    );
    expect(await store.listEvents({ type: 'bot_skipped', host: 'web-1', bot: 'restarter', since: T0 + 30 })).toEqual(
      newest.filter((e) => e.type === 'bot_skipped' && e.host === 'web-1' && e.bot === 'restarter' && e.time >= T0 + 30),
    );
    expect(await store.listEvents({ type: 'no_such_type' })).toEqual([]);
    expect(await store.listEvents({ host: 'nowhere' })).toEqual([]);

    const alarms = newest.filter((e) => e.alarm !== null);
    const pages: EventRecord[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = await store.listEvents({ alarm: alarms[0]!.alarm!, limit: 2, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      pages.push(page);
      before = page[page.length - 1]!.time;
    }
    expect(pages.flat()).toEqual(alarms.filter((e) => e.alarm === alarms[0]!.alarm));
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);

    expect(await store.listEvents({ limit: 5 })).toEqual(newest.slice(0, 5));
    expect(await store.listEvents({ limit: 0 })).toEqual([]);
    await expectStoreError(store.listEvents({ limit: -1 }), 'STORE_INVALID');
    await expectStoreError(store.listEvents({ since: Number.NaN }), 'STORE_INVALID');
    await expectStoreError(store.listEvents({ before: Number.POSITIVE_INFINITY }), 'STORE_INVALID');
  });

  it('listEvents: same time is ordered by id, largest first, in byte order', async () => {
    const store = await freshStore();
    await store.appendEvents(['b', 'C', 'c', 'a'].map((id) => event({ id, time: T0 })));
    expect((await store.listEvents()).map((e) => e.id)).toEqual(['c', 'b', 'a', 'C']);
  });

  it('interrupted runs, permit_refused events, per-host counts and trimming (migration 0007 and what uses it)', async () => {
    const store = await freshStore();
    await store.createRun(run({ id: 'r-running', status: 'running', finishedAt: null }));
    await store.createRun(run({ id: 'r-done', status: 'succeeded' }));
    expect((await store.interruptRuns(T0)).map((r) => [r.id, r.status, r.finishedAt])).toEqual([['r-running', 'interrupted', T0]]);
    const es = [0, 1, 2].map((i) => event({ type: 'bot_ran', bot: 'b', host: 'web-1', time: T0 + i }));
    await store.appendEvents([...es, event({ type: 'bot_ran', bot: 'b', host: 'web-2', time: T0 }), event({ type: 'permit_refused', bot: 'b', host: 'web-1', time: T0 })]);
    expect(await store.countEventsByHost({ type: 'bot_ran', bot: 'b', since: T0 })).toEqual(new Map([['web-1', 3], ['web-2', 1]]));
    expect(await store.trimHostEvents('web-1', 2)).toBe(2);
    expect((await store.listEvents({ host: 'web-1' })).map((e) => e.time)).toEqual([T0 + 2, T0 + 1]);
  });

  it('countEvents counts one type (of one bot or alarm) since a time, inclusive', async () => {
    const store = await freshStore();
    const events: EventRecord[] = [];
    for (let i = 0; i < 10; i++) {
      events.push(event({ type: 'bot_ran', bot: i % 2 === 0 ? 'restarter' : 'cleaner', alarm: i < 3 ? 'nginx_down' : null, time: T0 + i * 1000 }));
    }
    events.push(event({ type: 'bot_skipped', bot: 'restarter', time: T0 + 500 }));
    events.push(event({ type: 'alarm_fired', alarm: 'nginx_down', time: T0 + 700 }));
    await store.appendEvents(events);

    expect(await store.countEvents({ type: 'bot_ran', since: T0 })).toBe(10);
    expect(await store.countEvents({ type: 'bot_ran', since: 0 })).toBe(10);
    expect(await store.countEvents({ type: 'bot_ran', since: T0 + 5000 })).toBe(5); // inclusive
    expect(await store.countEvents({ type: 'bot_ran', since: T0 + 4999.5 })).toBe(5);
    expect(await store.countEvents({ type: 'bot_ran', since: T0 + 5001 })).toBe(4);
    expect(await store.countEvents({ type: 'bot_ran', since: T0 + 9001 })).toBe(0);
    expect(await store.countEvents({ type: 'bot_ran', bot: 'restarter', since: T0 })).toBe(5);
    expect(await store.countEvents({ type: 'bot_ran', bot: 'restarter', since: T0 + 4000 })).toBe(3);
    expect(await store.countEvents({ type: 'bot_ran', bot: 'cleaner', since: T0 + 4000 })).toBe(3);
    expect(await store.countEvents({ type: 'bot_ran', alarm: 'nginx_down', since: T0 })).toBe(3);
    expect(await store.countEvents({ type: 'bot_ran', alarm: 'nginx_down', bot: 'restarter', since: T0 })).toBe(2);
    expect(await store.countEvents({ type: 'bot_skipped', bot: 'restarter', since: T0 })).toBe(1);
    expect(await store.countEvents({ type: 'alarm_fired', alarm: 'nginx_down', since: T0 })).toBe(1);
    expect(await store.countEvents({ type: 'bot_ran', bot: 'nobody', since: T0 })).toBe(0);
    expect(await store.countEvents({ type: 'no_such_type', since: T0 })).toBe(0);
    await expectStoreError(store.countEvents({ type: 'bot_ran', since: Number.NaN }), 'STORE_INVALID');
    await expectStoreError(store.countEvents({ type: 'bot_ran' } as { type: string; since: number }), 'STORE_INVALID');
  });
});
