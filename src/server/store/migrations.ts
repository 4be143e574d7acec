/*
 * Schema migrations, in code (no migration files to ship next to the bundle). Each migration is
 * written once for both dialects; the few differences are the column types below (JSON is JSONB in
 * PostgreSQL and TEXT in SQLite; times are BIGINT in PostgreSQL and INTEGER, which is 64-bit, in
 * SQLite) and SQLite tables being STRICT, so that SQLite rejects a mistyped value the way
 * PostgreSQL does (a 1.5 in an integer column, text in a time column) instead of storing it.
 *
 * Migrations are history: never edit one that has shipped; add the next number. The allowed values
 * in the CHECK constraints are written out here on purpose rather than derived from types.ts, so a
 * change to the types shows up as a new migration.
 */
import { sql, type CreateTableBuilder, type Kysely, type RawBuilder } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { StoreError, toStoreError } from './errors.js';
import type { StoreDialect } from './schema.js';

/** `column in ('a', 'b')` with literal values (DDL takes no parameters). */
function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

function dialectTypes(dialect: StoreDialect) {
  return {
    /** ms since the epoch, durations: 64-bit integers. */
    time: dialect === 'postgres' ? 'bigint' : 'integer',
    json: dialect === 'postgres' ? 'jsonb' : 'text',
    /** Text that is sorted or compared as a key (ids, names): byte order in both databases.
     *  SQLite's default collation is already binary; PostgreSQL's follows the database's locale
     *  (en_US would sort `Web-1` after `app-1`), so pages and ties would differ between back ends. */
    key: dialect === 'postgres' ? sql`text collate "C"` : sql`text`,
  } as const;
}

/** Ends a CREATE TABLE: STRICT in SQLite (type checks like PostgreSQL's), nothing in PostgreSQL. */
function strict<TB extends string, C extends string>(
  dialect: StoreDialect,
  builder: CreateTableBuilder<TB, C>,
): CreateTableBuilder<TB, C> {
  return dialect === 'sqlite' ? builder.modifyEnd(sql`strict`) : builder;
}

function initial(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await strict(
        dialect,
        db.schema
          .createTable('tokens')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('name', t.key, (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('expires_at', t.time)
          .addColumn('revoked_at', t.time)
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addUniqueConstraint('tokens_hash_key', ['hash'])
          .addCheckConstraint('tokens_role_check', oneOf('role', ['agent', 'viewer', 'operator', 'admin'])),
      ).execute();

      await strict(
        dialect,
        db.schema
          .createTable('agents')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('name', t.key, (c) => c.notNull())
          .addColumn('host_id', 'text', (c) => c.notNull())
          .addColumn('credential_hash', 'text', (c) => c.notNull())
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('facts', t.json, (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('enrolled_at', t.time, (c) => c.notNull())
          .addColumn('last_seen_at', t.time)
          .addColumn('enrolled_with', 'text', (c) => c.notNull())
          // upsertAgent is keyed by name (ON CONFLICT (name)); agents authenticate by credential hash.
          .addUniqueConstraint('agents_name_key', ['name'])
          .addUniqueConstraint('agents_credential_hash_key', ['credential_hash'])
          .addCheckConstraint('agents_status_check', oneOf('status', ['connected', 'disconnected'])),
      ).execute();

      await strict(
        dialect,
        db.schema
          .createTable('runs')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('principal', 'text', (c) => c.notNull())
          .addColumn('statement', 'text', (c) => c.notNull())
          .addColumn('plan', t.json, (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', t.time, (c) => c.notNull())
          .addColumn('finished_at', t.time)
          .addColumn('targets', 'integer', (c) => c.notNull())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addCheckConstraint(
            'runs_status_check',
            oneOf('status', ['running', 'succeeded', 'failed', 'cancelled', 'dry_run']),
          )
          .addCheckConstraint('runs_counts_check', sql`targets >= 0 and failures >= 0`),
      ).execute();
      // listRuns: newest first, paged by started_at; id breaks ties so pages are stable.
      await db.schema.createIndex('runs_started_at_idx').on('runs').columns(['started_at desc', 'id desc']).execute();

      await strict(
        dialect,
        db.schema
          .createTable('run_results')
          .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
            // SQLite: INTEGER PRIMARY KEY is the rowid, ascending with each insert.
            dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
          )
          .addColumn('run_id', t.key, (c) => c.notNull().references('runs.id').onDelete('cascade'))
          .addColumn('resource_id', 'text', (c) => c.notNull())
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('exit_code', 'integer')
          .addColumn('stdout', 'text')
          .addColumn('stderr', 'text')
          .addColumn('error', 'text')
          .addColumn('result_values', t.json, (c) => c.notNull())
          .addColumn('duration_ms', t.time)
          .addCheckConstraint(
            'run_results_status_check',
            oneOf('status', ['ok', 'error', 'timeout', 'offline', 'cancelled']),
          ),
      ).execute();
      // getRun: a run's results in insertion order (also serves the foreign key's lookups).
      await db.schema.createIndex('run_results_run_id_idx').on('run_results').columns(['run_id', 'seq']).execute();

      await strict(
        dialect,
        db.schema
          .createTable('audit')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('time', t.time, (c) => c.notNull())
          .addColumn('principal', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          // No foreign key: the trail must take every entry (a denied run never gets a run row).
          .addColumn('run_id', t.key)
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('detail', t.json, (c) => c.notNull())
          .addCheckConstraint('audit_outcome_check', oneOf('outcome', ['ok', 'denied', 'failed'])),
      ).execute();
      // listAudit: newest first, optionally for one principal or one action.
      await db.schema.createIndex('audit_time_idx').on('audit').columns(['time desc', 'id desc']).execute();
      await db.schema
        .createIndex('audit_principal_time_idx')
        .on('audit')
        .columns(['principal', 'time desc', 'id desc'])
        .execute();
      await db.schema
        .createIndex('audit_action_time_idx')
        .on('audit')
        .columns(['action', 'time desc', 'id desc'])
        .execute();
    },
  };
}

/** All migrations for a dialect, by name; names sort in the order they run. */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}

export interface RunMigrationsOptions {
  /** PostgreSQL: the schema of Kysely's bookkeeping tables (the store's own schema). */
  readonly migrationTableSchema?: string;
  /** The caller already holds a transaction around the whole migration (SQLite). */
  readonly disableTransactions?: boolean;
}

/**
 * Brings the schema up to date with Kysely's Migrator. The caller provides the cross-process
 * exclusion (kysely-store.ts: an advisory lock in PostgreSQL, BEGIN IMMEDIATE in SQLite).
 */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  dialect: StoreDialect,
  options: RunMigrationsOptions = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(options.migrationTableSchema === undefined ? {} : { migrationTableSchema: options.migrationTableSchema }),
    ...(options.disableTransactions === undefined ? {} : { disableTransactions: options.disableTransactions }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const classified = toStoreError('migrate', error);
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const message = error instanceof Error ? error.message : String(error);
  throw new StoreError(
    classified.code,
    'migrate',
    failed === undefined ? message : `migration ${failed} failed: ${message}`,
    { cause: error },
  );
}
