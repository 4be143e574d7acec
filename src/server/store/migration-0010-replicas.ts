import { sql, type Kysely, type Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/**
 * 0010: replica liveness (replica-rows.ts). Each control-plane replica heartbeats a `replicas` row,
 * and each run records the replica executing it (`runs.replica_id`), so that a starting replica
 * interrupts only the runs of replicas that stopped heartbeating, not those another live replica
 * is running. Runs stored before 0010 have no replica: they count as orphaned.
 */
export function replicasMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'replicas')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('started_at', t.time, (c) => c.notNull())
        .addColumn('heartbeat_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema.alterTable('runs').addColumn('replica_id', 'text').execute();
      // The sweep reads the running runs only; a partial index keeps that cheap however many runs are kept.
      await db.schema.createIndex('runs_running_idx').on('runs').column('replica_id').where(sql.ref('status'), '=', sql.lit('running')).execute();
    },
  };
}
