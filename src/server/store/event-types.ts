/*
 * A migration that changes the event types the `events` table accepts (its CHECK constraint).
 * PostgreSQL alters the constraint; SQLite cannot, so the table is rebuilt from its own stored
 * definition with the new list, its rows copied and its indexes made again, in the migration's
 * transaction. Each new event type is a new migration with the whole list written out.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from './schema.js';

const list = (types: readonly string[]) => sql.join(types.map((v) => sql.lit(v)));

/** The migration that makes `types` exactly the event types the store accepts. */
export function eventTypesMigration(dialect: StoreDialect, types: readonly string[]): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`alter table events drop constraint events_type_check`.execute(db);
        await sql`alter table events add constraint events_type_check check (type in (${list(types)}))`.execute(db);
        return;
      }
      const { rows } = await sql<{ type: string; sql: string }>`select type, sql from sqlite_master where tbl_name = 'events' and sql is not null`.execute(db);
      const table = rows.find((r) => r.type === 'table')?.sql ?? '';
      const check = /constraint "events_type_check" check \("type" in \([^)]*\)\)/;
      if (!check.test(table)) throw new Error('the events table has no events_type_check constraint to change');
      const quoted = types.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ');
      const rebuilt = table.replace(check, `constraint "events_type_check" check ("type" in (${quoted}))`).replace(/^create table "events"/i, 'create table "events_rebuilt"');
      await sql.raw(rebuilt).execute(db);
      await sql`insert into events_rebuilt select * from events`.execute(db);
      await sql`drop table events`.execute(db);
      await sql`alter table events_rebuilt rename to events`.execute(db);
      for (const index of rows.filter((r) => r.type === 'index')) await sql.raw(index.sql).execute(db);
    },
  };
}
