/*
 * Once across replicas: claims of schedule ticks (tick-claim-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY, expectStoreError } from '../../../test/store/fixtures.js';
import { TICK_CLAIM_RETENTION_MS } from './tick-claim-rows.js';

await describeStore('tick claims', 'src/server/store/tick-claim-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('the first claim of a tick wins, later ones lose; other ticks and other names are claims of their own', async () => {
    const store = await freshStore();
    expect(await store.claimTick('nightly', T0, 'replica-a')).toBe(true);
    expect(await store.claimTick('nightly', T0, 'replica-b')).toBe(false);
    expect(await store.claimTick('nightly', T0, 'replica-a')).toBe(false);
    expect(await store.claimTick('nightly', T0 + 60_000, 'replica-b')).toBe(true);
    expect(await store.claimTick('hourly', T0, 'replica-b')).toBe(true);
    expect(await store.claimTick(TRICKY, T0, TRICKY)).toBe(true);
    expect(await store.claimTick(TRICKY, T0, 'replica-a')).toBe(false);
  });

  it('20 claims of one tick at once from two connections: exactly one wins, tick after tick', async () => {
    const target = await harness().fresh();
    const replicas = [openOn(target), openOn(target)];
    await replicas[0]!.migrate();
    for (let tick = 0; tick < 5; tick++) {
      const wins = await Promise.all(
        Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.claimTick('every-minute', T0 + tick * 60_000, `replica-${i % 2}-${i}`)),
      );
      expect(wins.filter(Boolean), `tick ${tick}`).toHaveLength(1);
    }
  });

  it('a winner prunes the claims older than the retention, of every name, and keeps the newer ones', async () => {
    const store = await freshStore();
    const later = T0 + TICK_CLAIM_RETENTION_MS + 1;
    expect(await store.claimTick('old', T0, 'replica-a')).toBe(true);
    expect(await store.claimTick('kept', T0 + 1, 'replica-a')).toBe(true);
    // A lost claim prunes nothing: only the winner of a tick does.
    expect(await store.claimTick('kept', T0 + 1, 'replica-b')).toBe(false);
    expect(await store.claimTick('now', later, 'replica-a')).toBe(true);
    // T0 is more than the retention before `later`: its claim is gone, so the tick is claimable again
    // (a replica would have to be an hour late to ask); T0 + 1 is exactly the retention before: kept.
    expect(await store.claimTick('old', T0, 'replica-b')).toBe(true);
    expect(await store.claimTick('kept', T0 + 1, 'replica-b')).toBe(false);
  });

  it('refuses a name or holder the databases cannot hold and a tick that is not an integer time', async () => {
    const store = await freshStore();
    await expectStoreError(store.claimTick('bad\u0000name', T0, 'replica-a'), 'STORE_INVALID');
    await expectStoreError(store.claimTick('nightly', T0, 'half \ud800 surrogate'), 'STORE_INVALID');
    for (const tick of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, '1' as unknown as number]) {
      await expectStoreError(store.claimTick('nightly', tick, 'replica-a'), 'STORE_INVALID');
    }
    // Nothing was claimed by the refused calls.
    expect(await store.claimTick('nightly', T0, 'replica-a')).toBe(true);
  });
});
