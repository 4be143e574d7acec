/*
 * Silences and switches (operating-rows.ts). One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY } from '../../../test/store/fixtures.js';
import type { SilenceRecord } from './types.js';

const silence = (over: Partial<SilenceRecord> = {}): SilenceRecord => ({
  id: 's1',
  alarm: 'data-disk-full',
  hosts: 'host[role=web]',
  reason: 'disk swap on web-1',
  createdBy: 'ops',
  createdAt: T0,
  endsAt: T0 + 3_600_000,
  endedAt: null,
  endedBy: null,
  ...over,
});

await describeStore('silences and switches', 'src/server/store/operating-rows.test.ts', ({ freshStore }) => {
  it('lists silences in force and those that ended since a time, newest end first; ends one early once', async () => {
    const store = await freshStore();
    await store.createSilence(silence());
    await store.createSilence(silence({ id: 'every', alarm: null, endsAt: T0 + 7_200_000, reason: TRICKY }));
    await store.createSilence(silence({ id: 'old', endsAt: T0 + 1000 }));
    expect((await store.listSilences(T0 + 60_000)).map((s) => s.id)).toEqual(['every', 's1']);
    expect((await store.listSilences(T0)).map((s) => s.id)).toEqual(['every', 's1', 'old']);
    expect((await store.listSilences(T0, 1)).map((s) => s.id)).toEqual(['every']);

    const ended = await store.endSilence('s1', 'lead', T0 + 120_000);
    expect(ended).toMatchObject({ id: 's1', endedAt: T0 + 120_000, endedBy: 'lead', endsAt: T0 + 3_600_000 });
    // Ended already, past its end, or unknown: nothing to end.
    expect(await store.endSilence('s1', 'lead', T0 + 130_000)).toBeUndefined();
    expect(await store.endSilence('old', 'lead', T0 + 130_000)).toBeUndefined();
    expect(await store.endSilence('nope', 'lead', T0)).toBeUndefined();
    expect(await store.endSilence('\ud800', 'lead', T0)).toBeUndefined();
    // Ended early, it is listed as recently ended while its end time is still ahead.
    expect((await store.listSilences(T0 + 120_000)).map((s) => s.id)).toEqual(['every', 's1']);
    expect((await store.listSilences(T0 + 200_000)).map((s) => s.id)).toEqual(['every']);
    expect((await store.listSilences(T0)).find((s) => s.id === 'every')?.reason).toBe(TRICKY);
  });

  it('refuses a silence that ends before it starts', async () => {
    const store = await freshStore();
    await expect(store.createSilence(silence({ endsAt: T0 }))).rejects.toMatchObject({ code: 'STORE_INVALID' });
  });

  it('a switch is on while its row exists; setting it again says so and keeps one row', async () => {
    const store = await freshStore();
    expect(await store.setSwitch({ kind: 'maintenance', name: '', reason: 'db upgrade', setBy: 'ops', setAt: T0 })).toBe(true);
    expect(await store.setSwitch({ kind: 'maintenance', name: '', reason: 'db upgrade, longer', setBy: 'lead', setAt: T0 + 1 })).toBe(false);
    expect(await store.setSwitch({ kind: 'bot', name: 'clean-data-logs', reason: 'incident', setBy: 'ops', setAt: T0 })).toBe(true);
    expect(await store.listSwitches()).toEqual([
      { kind: 'bot', name: 'clean-data-logs', reason: 'incident', setBy: 'ops', setAt: T0 },
      { kind: 'maintenance', name: '', reason: 'db upgrade, longer', setBy: 'lead', setAt: T0 + 1 },
    ]);
    expect(await store.clearSwitch('bot', 'clean-data-logs')).toMatchObject({ name: 'clean-data-logs', setBy: 'ops' });
    expect(await store.clearSwitch('bot', 'clean-data-logs')).toBeUndefined();
    expect(await store.listSwitches()).toHaveLength(1);
  });
});
