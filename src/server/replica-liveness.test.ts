/*
 * Replica liveness on one database shared by control planes (real SQLite file / PostgreSQL
 * schema, one store per replica), time on a fake clock.
 */
import pino from 'pino';
import { expect, it } from 'vitest';
import { describeStore } from '../../test/store/back-ends.js';
import { run } from '../../test/store/fixtures.js';
import { FakeClock } from './fleet/fake-clock.test-support.js';
import { REPLICA_HEARTBEAT_MS, REPLICA_STALE_AFTER, ReplicaLiveness } from './replica-liveness.js';
import type { Store } from './store/index.js';

const logger = pino({ level: 'silent' });
const interruptions = async (store: Store) => (await store.listAudit({ action: 'run.interrupted', limit: 100 })).map((a) => a.runId);

await describeStore('replica liveness', 'src/server/replica-liveness.test.ts', ({ harness, openOn }) => {
  /** Control planes' stores on one database (each its own connections), migrated. */
  async function replicas(n: number): Promise<Store[]> {
    const target = await harness().fresh();
    const stores = Array.from({ length: n }, () => openOn(target));
    await stores[0]!.migrate();
    return stores;
  }

  it('a run executing on A is not interrupted when B starts; once A stops heart-beating, B interrupts it exactly once', async () => {
    const [storeA, storeB, storeC] = await replicas(3);
    const clock = new FakeClock();
    const a = new ReplicaLiveness({ store: storeA!, logger, clock, id: 'replica-a' });
    expect(await a.start()).toEqual([]);
    const onA = run({ replicaId: a.id, startedAt: clock.now() });
    await storeA!.createRun(onA);

    const b = new ReplicaLiveness({ store: storeB!, logger, clock, id: 'replica-b' });
    const c = new ReplicaLiveness({ store: storeC!, logger, clock, id: 'replica-c' });
    expect(await b.start()).toEqual([]);
    expect((await storeB!.getRun(onA.id))?.run.status).toBe('running');

    // A stops heart-beating without any clean close (its process died): from the store's side, silence.
    await a.stop();
    await c.start();
    // Within staleAfter heartbeats A still counts as alive.
    for (let i = 0; i < REPLICA_STALE_AFTER; i++) {
      await clock.advance(REPLICA_HEARTBEAT_MS);
      await Promise.all([b.idle(), c.idle()]); // the sweeps this advance started have ended
      expect((await storeB!.getRun(onA.id))?.run.status, `after ${i + 1} heartbeats`).toBe('running');
    }
    await clock.advance(REPLICA_HEARTBEAT_MS);
    await Promise.all([b.stop(), c.stop()]);
    const after = (await storeB!.getRun(onA.id))?.run;
    expect(after).toMatchObject({ status: 'interrupted', finishedAt: clock.now(), replicaId: 'replica-a' });
    // B and C both swept at that moment: one of them interrupted it, and it is audited once.
    expect(await interruptions(storeB!)).toEqual([onA.id]);
    const [entry] = await storeB!.listAudit({ action: 'run.interrupted', limit: 1 });
    expect(entry?.detail).toMatchObject({ replica: 'replica-a', startedBy: onA.principal });
  });

  it('a starting replica interrupts at once the running runs that name no replica (written by an older version)', async () => {
    const [store] = await replicas(1);
    const legacy = run();
    await store!.createRun(legacy);
    const live = new ReplicaLiveness({ store: store!, logger, clock: new FakeClock() });
    expect((await live.start()).map((r) => r.id)).toEqual([legacy.id]);
    await live.stop();
    expect(await interruptions(store!)).toEqual([legacy.id]);
  });
});
