import type { Kysely, Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/**
 * 0008: claims of schedule ticks, so that of several control-plane replicas exactly one runs a
 * schedule's tick (tick-claim-rows.ts). The primary key is the exclusion: the first insert of a
 * (name, tick) wins, every other one conflicts and is skipped.
 */
export function tickClaimsMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'tick_claims')
        .addColumn('name', t.key, (c) => c.notNull())
        .addColumn('tick', t.time, (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('tick_claims_pkey', ['name', 'tick'])
        .execute();
      // Pruning deletes by tick across names (schedules that were removed leave claims behind).
      await db.schema.createIndex('tick_claims_tick_idx').on('tick_claims').column('tick').execute();
    },
  };
}
