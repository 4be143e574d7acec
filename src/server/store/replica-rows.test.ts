/*
 * Replica liveness: heartbeats and the runs no live replica executes (replica-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY, expectStoreError, run } from '../../../test/store/fixtures.js';

const STALE = 30_000;

await describeStore('replicas', 'src/server/store/replica-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('interrupts the running runs of a replica that stopped heartbeating, and those naming no replica; not a live one\'s', async () => {
    const store = await freshStore();
    await store.heartbeatReplica('a', T0);
    await store.heartbeatReplica('b', T0);
    const onA = run({ replicaId: 'a' });
    const onB = run({ replicaId: 'b' });
    const onGone = run({ replicaId: 'never-heartbeated' });
    const legacy = run(); // written before 0010: no replica
    const finishedOnB = run({ replicaId: 'b', status: 'succeeded', finishedAt: T0 + 1 });
    for (const r of [onA, onB, onGone, legacy, finishedOnB]) await store.createRun(r);

    // Both replicas heartbeated at or after staleBefore (T0): only the orphans go.
    await store.heartbeatReplica('a', T0 + STALE);
    const first = await store.interruptOrphanedRuns(T0, T0 + STALE);
    expect(first.map((r) => r.id).sort()).toEqual([onGone.id, legacy.id].sort());
    expect(first.find((r) => r.id === legacy.id)).toEqual({ ...legacy, status: 'interrupted', finishedAt: T0 + STALE });
    expect(first.find((r) => r.id === onGone.id)?.replicaId).toBe('never-heartbeated');

    // b last heartbeated at T0, which is now before staleBefore: its running run goes, its finished one stays.
    const second = await store.interruptOrphanedRuns(T0 + 1, T0 + STALE + 1);
    expect(second.map((r) => r.id)).toEqual([onB.id]);
    expect((await store.getRun(onA.id))?.run).toEqual(onA);
    expect((await store.getRun(finishedOnB.id))?.run).toEqual(finishedOnB);
    // Once: a second sweep finds nothing left.
    expect(await store.interruptOrphanedRuns(T0 + 1, T0 + STALE + 2)).toEqual([]);
  });

  it('forgets a stale replica, which a later heartbeat records again', async () => {
    const store = await freshStore();
    await store.heartbeatReplica('paused', T0);
    await store.interruptOrphanedRuns(T0 + 1, T0 + STALE);
    // Its row is gone: its new run is orphaned until it heartbeats again...
    const r = run({ replicaId: 'paused' });
    await store.createRun(r);
    await store.heartbeatReplica('paused', T0 + STALE + 5);
    // ...and after that heartbeat it is live.
    expect(await store.interruptOrphanedRuns(T0 + STALE, T0 + STALE + 6)).toEqual([]);
    expect((await store.getRun(r.id))?.run.status).toBe('running');
  });

  it('two replicas sweeping at once from two connections: each orphaned run is returned exactly once', async () => {
    const target = await harness().fresh();
    const [a, b] = [openOn(target), openOn(target)];
    await a!.migrate();
    const runs = Array.from({ length: 40 }, (_, i) => run({ replicaId: i % 2 ? 'dead' : undefined }));
    for (const r of runs) await a!.createRun(r);
    const swept = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a! : b!).interruptOrphanedRuns(T0, T0 + i)));
    const ids = swept.flat().map((r) => r.id);
    expect(ids.sort()).toEqual(runs.map((r) => r.id).sort());
  });

  it('takes any text as an id, and refuses a bad time (STORE_INVALID)', async () => {
    const store = await freshStore();
    await store.heartbeatReplica(TRICKY, T0);
    await store.createRun(run({ replicaId: TRICKY }));
    expect(await store.interruptOrphanedRuns(T0, T0)).toEqual([]);
    await expectStoreError(store.heartbeatReplica('a', 1.5), 'STORE_INVALID');
    await expectStoreError(store.heartbeatReplica('a\u0000b', T0), 'STORE_INVALID');
    await expectStoreError(store.interruptOrphanedRuns(Number.NaN, T0), 'STORE_INVALID');
  });
});
