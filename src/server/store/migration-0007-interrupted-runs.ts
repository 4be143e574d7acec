/*
 * Migration 0007: a run left `running` by a crash is marked `interrupted` at the next start, and
 * the control plane records the permit requests it refuses as `permit_refused` events. Both widen
 * a CHECK constraint's list of allowed values (runs.status, events.type); existing rows stay valid.
 *
 * PostgreSQL drops and re-adds the constraint. SQLite cannot alter a constraint, so the tables are
 * rebuilt from their own CREATE statements with the list widened. `runs` is the parent of
 * `run_results` (ON DELETE CASCADE), and foreign keys are on inside the migration's transaction,
 * where they cannot be turned off: dropping `runs` would delete every run's results. So both are
 * renamed aside first (the rename carries the foreign key along), recreated, refilled, and the
 * old pair dropped child first, when nothing references them any more.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { EVENT_TYPES_0004, RUN_STATUSES_0001 } from './migration-values.js';
import type { StoreDialect } from './schema.js';

/** A CHECK constraint whose list of values grows by one. */
interface Widening {
  readonly table: string;
  readonly constraint: string;
  readonly column: string;
  readonly values: readonly string[];
  readonly added: string;
}

const WIDENINGS: readonly Widening[] = [
  { table: 'runs', constraint: 'runs_status_check', column: 'status', values: RUN_STATUSES_0001, added: 'interrupted' },
  { table: 'events', constraint: 'events_type_check', column: 'type', values: EVENT_TYPES_0004, added: 'permit_refused' },
];

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const inList = (w: Widening, values: readonly string[]) => sql`${sql.ref(w.column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;

export function interruptedRuns(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        for (const w of WIDENINGS) {
          await db.schema.alterTable(w.table).dropConstraint(w.constraint).execute();
          await db.schema.alterTable(w.table).addCheckConstraint(w.constraint, inList(w, [...w.values, w.added])).execute();
        }
        return;
      }
      // run_results is rebuilt beside its parent only to keep its foreign key on the new `runs`.
      await rebuildSqlite(db, ['runs', 'run_results', 'events'], (table, text) => {
        const w = WIDENINGS.find((x) => x.table === table);
        if (!w) return text;
        const from = list(w.values);
        if (!text.includes(from)) throw new Error(`migration 0007: the ${w.constraint} constraint of ${table} is not the one expected`);
        return text.replace(from, list([...w.values, w.added]));
      });
    },
  };
}

/**
 * Rebuilds SQLite tables (parents before children) from their CREATE statements as `edit` changes
 * them, keeping their rows and indexes.
 */
async function rebuildSqlite(db: Kysely<unknown>, tables: readonly string[], edit: (table: string, text: string) => string): Promise<void> {
  const schema = new Map<string, { create: string; indexes: string[] }>();
  for (const table of tables) {
    const rows = (await sql<{ type: string; sql: string | null }>`select type, sql from sqlite_master where tbl_name = ${table}`.execute(db)).rows;
    const create = rows.find((r) => r.type === 'table')?.sql;
    if (!create) throw new Error(`migration 0007: no table ${table}`);
    schema.set(table, { create: edit(table, create), indexes: rows.flatMap((r) => (r.type === 'index' && r.sql ? [r.sql] : [])) });
  }
  for (const table of tables) await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}_before_0007`)}`.execute(db);
  for (const table of tables) {
    const { create } = schema.get(table) as { create: string };
    await sql.raw(create).execute(db);
    await sql`insert into ${sql.table(table)} select * from ${sql.table(`${table}_before_0007`)}`.execute(db);
  }
  for (const table of [...tables].reverse()) await sql`drop table ${sql.table(`${table}_before_0007`)}`.execute(db);
  for (const table of tables) for (const index of (schema.get(table) as { indexes: string[] }).indexes) await sql.raw(index).execute(db);
}
