import type { Kysely, Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/**
 * 0013: the outside alerts (Alertmanager's notifications) handed to agents, by fingerprint and
 * status, so a notification Alertmanager repeats does not run the bots again within their cooldown:
 * across a restart and across replicas (alert-notification-rows.ts). The primary key is the
 * exclusion, as in tick_claims.
 */
export function alertNotificationsMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'alert_notifications')
        .addColumn('integration', t.key, (c) => c.notNull())
        .addColumn('fingerprint', t.key, (c) => c.notNull())
        .addColumn('status', t.key, (c) => c.notNull())
        .addColumn('alert', 'text', (c) => c.notNull())
        .addColumn('sent_at', t.time, (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_notifications_pkey', ['integration', 'fingerprint', 'status'])
        .execute();
      // Pruning deletes by age across integrations.
      await db.schema.createIndex('alert_notifications_sent_at_idx').on('alert_notifications').column('sent_at').execute();
    },
  };
}
