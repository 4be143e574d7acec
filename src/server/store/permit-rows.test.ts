/*
 * The circuit breaker's window in the store (permit-rows.ts): counted and granted atomically.
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY, event, expectStoreError } from '../../../test/store/fixtures.js';
import { KyselyStore, type PermitWindow } from './index.js';

/** Grants while the bot has fewer than `max` grants in the window, and says what it saw. */
const upTo = (max: number) => (window: PermitWindow) => {
  const total = [...window.granted.values()].reduce((a, b) => a + b, 0);
  return { grant: total < max, granted: new Map(window.granted), ran: new Map(window.ran) };
};

await describeStore('permit grants', 'src/server/store/permit-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('counts the grants and stored bot_ran events of the bot in the window, per host, and records a grant when told to', async () => {
    const store = await freshStore();
    await store.appendEvents([
      event({ id: 'r1', type: 'bot_ran', bot: 'clean', host: 'web-1', time: T0 - 10 }),
      event({ id: 'r2', type: 'bot_ran', bot: 'clean', host: 'web-1', time: T0 - 5 }),
      event({ id: 'r3', type: 'bot_ran', bot: 'other', host: 'web-1', time: T0 - 5 }),
      event({ id: 'r4', type: 'bot_ran', bot: 'clean', host: 'web-2', time: T0 - 1000 }),
    ]);
    const first = await store.grantPermit({ bot: 'clean', host: 'web-2', at: T0, since: T0 - 100 }, upTo(5));
    expect(first).toEqual({ grant: true, granted: new Map(), ran: new Map([['web-1', 2]]) });
    await store.grantPermit({ bot: 'clean', host: 'web-2', at: T0 + 1, since: T0 - 100 }, upTo(5));
    await store.grantPermit({ bot: 'other', host: 'web-3', at: T0 + 1, since: T0 - 100 }, upTo(5));
    const third = await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 2, since: T0 - 100 }, upTo(5));
    expect(third.granted).toEqual(new Map([['web-2', 2]]));
    const seen = await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 3, since: T0 - 100 }, () => ({ grant: false }));
    expect(seen).toEqual({ grant: false });
    expect((await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 4, since: T0 - 100 }, upTo(5))).granted).toEqual(new Map([['web-2', 2], ['web-1', 1]]));
  });

  it('permitWindow reads the window as grantPermit counts it, granting and pruning nothing', async () => {
    const store = await freshStore();
    await store.appendEvents([event({ id: 'r1', type: 'bot_ran', bot: 'clean', host: 'web-1', time: T0 - 5 })]);
    await store.grantPermit({ bot: 'clean', host: 'web-2', at: T0 - 50, since: T0 - 100 }, upTo(5));
    await store.grantPermit({ bot: 'clean', host: 'web-2', at: T0, since: T0 - 100 }, upTo(5));
    expect(await store.permitWindow('clean', T0 - 100)).toEqual({ granted: new Map([['web-2', 2]]), ran: new Map([['web-1', 1]]) });
    // A later window leaves the older grant out without deleting it; reading twice changes nothing.
    expect(await store.permitWindow('clean', T0 - 10)).toEqual({ granted: new Map([['web-2', 1]]), ran: new Map([['web-1', 1]]) });
    expect(await store.permitWindow('clean', T0 - 100)).toEqual({ granted: new Map([['web-2', 2]]), ran: new Map([['web-1', 1]]) });
    expect(await store.permitWindow('other', T0 - 100)).toEqual({ granted: new Map(), ran: new Map() });
    await expectStoreError(store.permitWindow('bad\u0000bot', T0), 'STORE_INVALID');
    expect((await store.permitWindow(TRICKY, T0)).granted.size).toBe(0);
    await expectStoreError(store.permitWindow('clean', Number.NaN), 'STORE_INVALID');
  });

  it('a refusal records nothing, and grants older than the window are pruned', async () => {
    const store = await freshStore();
    for (let i = 0; i < 3; i++) await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + i, since: T0 - 100 }, upTo(3));
    expect((await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 10, since: T0 - 100 }, upTo(3))).grant).toBe(false);
    // A window starting after the first grant: it is pruned, the other two still count.
    expect((await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 20, since: T0 + 1 }, upTo(3))).granted).toEqual(new Map([['web-1', 2]]));
    // Pruned, not only hidden: a wider window again does not find it.
    expect((await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0 + 30, since: T0 - 100 }, upTo(9))).granted).toEqual(new Map([['web-1', 3]]));
  });

  it('50 asks at once from two connections (SQLite: one, as the embedded server has) with a limit of 5: exactly 5 granted', async () => {
    const target = await harness().fresh();
    const first = openOn(target);
    await first.migrate();
    // better-sqlite3 waits for another connection's lock synchronously, blocking the event loop
    // that would commit the transaction it waits for (sqlite.ts): one SQLite file has one
    // connection per process, and its transactions take turns on it.
    const replicas = [first, first instanceof KyselyStore && first.dialect === 'sqlite' ? first : openOn(target)];
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => replicas[i % 2]!.grantPermit({ bot: 'clean', host: `web-${i}`, at: T0 + i, since: T0 - 100 }, upTo(5))),
    );
    expect(answers.filter((a) => a.grant)).toHaveLength(5);
    const after = await replicas[1]!.grantPermit({ bot: 'clean', host: 'web-x', at: T0 + 100, since: T0 - 100 }, upTo(5));
    expect([...after.granted.values()].reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('refuses names the databases cannot hold and times that are not integers, recording nothing; hostile text is stored as it is', async () => {
    const store = await freshStore();
    await expectStoreError(store.grantPermit({ bot: 'bad\u0000bot', host: 'web-1', at: T0, since: T0 - 1 }, upTo(5)), 'STORE_INVALID');
    await expectStoreError(store.grantPermit({ bot: 'clean', host: 'half \ud800', at: T0, since: T0 - 1 }, upTo(5)), 'STORE_INVALID');
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, '1' as unknown as number]) {
      await expectStoreError(store.grantPermit({ bot: 'clean', host: 'web-1', at: bad, since: T0 - 1 }, upTo(5)), 'STORE_INVALID');
      await expectStoreError(store.grantPermit({ bot: 'clean', host: 'web-1', at: T0, since: bad }, upTo(5)), 'STORE_INVALID');
    }
    await store.grantPermit({ bot: TRICKY, host: TRICKY, at: T0, since: T0 - 1 }, upTo(5));
    expect((await store.grantPermit({ bot: TRICKY, host: 'web-1', at: T0, since: T0 - 1 }, upTo(5))).granted).toEqual(new Map([[TRICKY, 1]]));
    expect((await store.grantPermit({ bot: 'clean', host: 'web-1', at: T0, since: T0 - 1 }, upTo(5))).granted).toEqual(new Map());
  });
});
