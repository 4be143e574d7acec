import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import type { RunRecord } from './types.js';
import { toRun } from './run-rows.js';
import { checkTexts, checkTime, type JsonReader } from './values.js';

/*
 * The replicas table (0010) and the runs it orphans. KyselyStore calls these inside its #run,
 * which classifies errors and refuses after close.
 */

/** Records that replica `id` is alive at `at` (its first heartbeat also records when it started). */
export async function heartbeatReplica(db: Kysely<StoreDatabase>, id: string, at: number): Promise<void> {
  const operation = 'heartbeatReplica';
  checkTexts(operation, { id });
  checkTime(operation, 'at', at);
  await db
    .insertInto('replicas')
    .values({ id, started_at: at, heartbeat_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at }))
    .execute();
}

/**
 * Marks `interrupted` (finished at `at`) the running runs whose replica last heartbeated before
 * `staleBefore`, or has no row, or that name no replica (written before 0010), and returns them;
 * then forgets the stale replicas. One conditional UPDATE: when several replicas sweep at once,
 * each run is returned to exactly one of them (PostgreSQL re-checks `status = 'running'` on a row
 * another transaction changed; SQLite runs one writer at a time), so each is audited once.
 */
export async function interruptOrphanedRuns(db: Kysely<StoreDatabase>, json: JsonReader, staleBefore: number, at: number): Promise<RunRecord[]> {
  const operation = 'interruptOrphanedRuns';
  checkTime(operation, 'staleBefore', staleBefore);
  checkTime(operation, 'at', at);
  const live = db.selectFrom('replicas').select('id').where('heartbeat_at', '>=', staleBefore);
  const rows = await db
    .updateTable('runs')
    .set({ status: 'interrupted', finished_at: at })
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('replica_id', 'is', null), eb('replica_id', 'not in', live)]))
    .returningAll()
    .execute();
  // A replica paused past the staleness (not dead) heartbeats again and is recorded afresh.
  await db.deleteFrom('replicas').where('heartbeat_at', '<', staleBefore).execute();
  return rows.map((row) => toRun(json, row));
}
