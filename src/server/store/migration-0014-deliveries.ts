import type { Kysely, Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/**
 * 0014: outbound deliveries (webhook, PagerDuty, Slack) that finally failed, for people to see
 * (GET /api/v1/deliveries, `breakwater get deliveries`). Pruned by age (delivery-rows.ts).
 */
export function deliveriesMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'deliveries')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('integration', t.key, (c) => c.notNull())
        .addColumn('type', t.key, (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('status', t.key, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('first_at', t.time, (c) => c.notNull())
        .addColumn('time', t.time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deliveries_time_idx').on('deliveries').columns(['time', 'id']).execute();
    },
  };
}
