/*
 * Released migrations must keep producing the same schema (migrations.ts: "Migrations are
 * history"), however their code is reshaped: the schema a fresh migrate() makes is compared with
 * the one recorded in fixtures/schema.<dialect>.txt, and with a database brought up one
 * migration at a time, as a server upgraded release by release would have been.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { MIGRATIONS } from '../../../test/store/fixtures.js';
import { migrations, type StoreDialect } from './index.js';

/** The schema as text: tables with their columns, constraints and indexes, in name order. */
async function schemaOf(db: Kysely<unknown>, dialect: StoreDialect): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(db);
    return rows.map((r) => `${r.type} ${r.name}\n${r.sql ?? ''}\n`).join('\n');
  }
  const columns = await sql<{ line: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(collation_name, '-') || ' ' || coalesce(column_default, '-') || ' ' || coalesce(is_identity, '-') as line
    from information_schema.columns where table_schema = current_schema() and table_name not like 'kysely_%'
    order by table_name, ordinal_position`.execute(db);
  const constraints = await sql<{ line: string }>`
    select c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) as line
    from pg_constraint c join pg_namespace n on n.oid = c.connamespace
    where n.nspname = current_schema() and c.conrelid::regclass::text not like 'kysely_%'
    order by 1`.execute(db);
  const indexes = await sql<{ line: string }>`
    select indexname || ' ' || replace(indexdef, current_schema() || '.', '') as line
    from pg_indexes where schemaname = current_schema() and tablename not like 'kysely_%' order by indexname`.execute(db);
  return [columns, constraints, indexes].map(({ rows }) => rows.map((r) => r.line).join('\n')).join('\n\n') + '\n';
}

await describeStore('schema history', 'src/server/store/migration-history.test.ts', ({ harness, openOn }) => {
  it('migrated one migration at a time or all at once, the schema is the one the released migrations made', async () => {
    const atOnce = await harness().fresh();
    const store = openOn(atOnce);
    await store.migrate();
    await store.close();
    const fresh = await atOnce.raw();
    const stepwise = await (await harness().fresh()).raw();
    try {
      const migrator = new Migrator({
        db: stepwise.db,
        provider: { getMigrations: () => Promise.resolve(migrations(stepwise.dialect)) },
        ...(stepwise.migrationTableSchema === undefined ? {} : { migrationTableSchema: stepwise.migrationTableSchema }),
      });
      for (const name of MIGRATIONS) expect((await migrator.migrateTo(name)).error, name).toBeUndefined();
      const schema = await schemaOf(fresh.db as Kysely<unknown>, fresh.dialect);
      expect(await schemaOf(stepwise.db as Kysely<unknown>, stepwise.dialect)).toBe(schema);
      await expect(schema).toMatchFileSnapshot(`./fixtures/schema.${fresh.dialect}.txt`);
    } finally {
      await fresh.db.destroy();
      await stepwise.db.destroy();
    }
  });
});
