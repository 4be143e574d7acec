/*
 * The scaled back end: PostgreSQL through a pg Pool, for several control plane replicas.
 *
 * - BIGINT (times, durations) comes back as a JS number: this pool's type parser reads int8 with
 *   Number(), for this pool only (pg's global parsers are left alone). Times in ms are far below
 *   2^53.
 * - JSONB comes back parsed by pg; it is written as JSON text, which PostgreSQL casts.
 * - `schema`: the store lives in that schema (created by migrate() if missing) and every pooled
 *   connection starts with search_path set to it, so tests and tenants can be isolated.
 * - migrate() holds a session advisory lock (keyed by the schema) on one connection for the whole
 *   migration, including Kysely's bookkeeping tables, so replicas starting together take turns.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { StoreError } from './errors.js';
import { KyselyStore } from './kysely-store.js';
import { runMigrations } from './migrations.js';
import type { StoreDatabase } from './schema.js';

export interface PostgresStoreOptions {
  /** Schema for the store's tables (lower-case letters, digits, `_`); default: the URL's search_path. */
  readonly schema?: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing with STORE_UNAVAILABLE (default 10 s). */
  readonly connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;
/** First key of the two-key advisory lock taken around migrations ("Bw" + 1); the second is the
 *  schema name's hash. */
const MIGRATION_LOCK_CLASS = 0x4277_0001;

const parseInt8 = (value: string): number => Number(value);

/** pg's parsers, except int8 as number; passed to this pool only. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): KyselyStore {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new StoreError(
      'STORE_INVALID',
      'openPostgresStore',
      `schema must match ${SCHEMA_NAME.source}, got ${JSON.stringify(schema)}`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    types,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'breakwater',
    // A startup parameter, so it holds from the connection's first query (no race with a
    // 'connect' handler). The name is validated above, so it needs no quoting.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle pooled connection that dies emits 'error' on the pool; without a listener that would
  // crash the process. The pool drops it; the next query opens a new one or fails as
  // STORE_UNAVAILABLE.
  pool.on('error', () => undefined);
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, { dialect: 'postgres', migrate: (kdb) => migratePostgres(kdb, schema) });
}

async function migratePostgres(db: Kysely<StoreDatabase>, schema: string | undefined): Promise<void> {
  await db.connection().execute(async (conn) => {
    const target =
      schema ?? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(conn)).rows[0]?.schema;
    if (target === undefined || target === null) {
      throw new StoreError('STORE_INVALID', 'migrate', 'the search_path names no existing schema to migrate');
    }
    const key = sql`${sql.lit(MIGRATION_LOCK_CLASS)}, hashtext(${target}::text)`;
    await sql`select pg_advisory_lock(${key})`.execute(conn);
    let failed = true;
    try {
      if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
      // Kysely's bookkeeping tables go in the same schema. (Without this, its "does the table
      // exist" check looks in every schema and may find another store's.)
      await runMigrations(conn, 'postgres', { migrationTableSchema: target });
      failed = false;
    } finally {
      // If the connection broke, the server has released the lock with the session; an unlock
      // error must not hide the migration's own.
      await sql`select pg_advisory_unlock(${key})`.execute(conn).catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  });
}
