import { sql, type Kysely, type Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import { eventTypesMigration } from './event-types.js';
import { EVENT_TYPES_0012 } from './migration-values.js';
import type { StoreDialect } from './schema.js';

/**
 * 0012: silences and switches (operating-rows.ts). A silence holds one alarm (or every alarm, `alarm`
 * null) on the hosts a host query selects until `ends_at`, or until someone ends it early
 * (`ended_at`, `ended_by`). A switch is the fleet's maintenance mode (`kind` maintenance, `name` '')
 * or one bot switched off (`kind` bot): a row exists while the switch is on. The events they record
 * are new event types.
 */
export function silencesSwitchesMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  const eventTypes = eventTypesMigration(dialect, EVENT_TYPES_0012);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'silences')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('alarm', 'text')
        .addColumn('hosts', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('ends_at', t.time, (c) => c.notNull())
        .addColumn('ended_at', t.time)
        .addColumn('ended_by', 'text')
        .addCheckConstraint('silences_ends_check', sql`ends_at > created_at`)
        .addCheckConstraint('silences_ended_check', sql`(ended_at is null and ended_by is null) or (ended_at is not null and ended_by is not null)`)
        .execute();
      // listSilences: those ending after a time (active and recently expired), newest end first.
      await db.schema.createIndex('silences_ends_at_idx').on('silences').columns(['ends_at desc', 'id desc']).execute();
      await createTable(db, dialect, 'switches')
        .addColumn('kind', t.key, (c) => c.notNull())
        .addColumn('name', t.key, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_at', t.time, (c) => c.notNull())
        .addPrimaryKeyConstraint('switches_pkey', ['kind', 'name'])
        .addCheckConstraint('switches_kind_check', sql`kind in ('maintenance', 'bot')`)
        .execute();
      await eventTypes.up(db);
    },
  };
}
