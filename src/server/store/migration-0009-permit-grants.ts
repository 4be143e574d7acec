import type { Kysely, Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/**
 * 0009: the circuit breaker's grants, in the store instead of one replica's memory, so that
 * several control-plane replicas count the same window (permit-rows.ts). No key: a host may be
 * granted the same bot twice in one millisecond, and each grant counts.
 */
export function permitGrantsMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'permit_grants')
        .addColumn('bot', t.key, (c) => c.notNull())
        .addColumn('host', t.key, (c) => c.notNull())
        .addColumn('at', t.time, (c) => c.notNull())
        .execute();
      // Every permit reads (and prunes) one bot's grants from a moment on.
      await db.schema.createIndex('permit_grants_bot_at_idx').on('permit_grants').columns(['bot', 'at']).execute();
    },
  };
}
