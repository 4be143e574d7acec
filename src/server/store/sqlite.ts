/*
 * The embedded back end: one SQLite file through better-sqlite3 (synchronous, one connection;
 * Kysely serialises the store's queries on it).
 *
 * Pragmas: WAL (readers do not block the writer; another process may read the file while the
 * server runs), busy_timeout (wait for another process's write lock instead of failing at once),
 * foreign_keys (off by default in SQLite; run_results references runs).
 *
 * Open one store per file per process: better-sqlite3 waits for a lock synchronously, so two
 * connections of the same process on the same file can stall each other until busy_timeout.
 * migrate() is safe against that (an in-process queue per file) and against other processes
 * (BEGIN IMMEDIATE takes the write lock before the migrator looks at the schema).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import { KyselyStore } from './kysely-store.js';
import { runMigrations } from './migrations.js';
import type { StoreDatabase } from './schema.js';

export interface SqliteStoreOptions {
  /** How long to wait for another connection's lock before failing with STORE_UNAVAILABLE. */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Opens (creating if needed) the SQLite database at `file`; `':memory:'` for a private in-memory one. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): KyselyStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let database: Database.Database | undefined;
  try {
    database = new Database(file, { timeout: busyTimeoutMs });
    database.pragma('journal_mode = WAL'); // stays 'memory' for ':memory:'
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database?.close();
    // better-sqlite3 throws a plain TypeError for a missing directory: whatever stops the file
    // from opening is STORE_UNAVAILABLE unless the driver said something more precise.
    const classified = toStoreError('openSqliteStore', error);
    if (classified.code !== 'STORE_INTERNAL') throw classified;
    throw new StoreError('STORE_UNAVAILABLE', 'openSqliteStore', classified.message.replace(/^openSqliteStore: /, ''), {
      cause: error,
    });
  }
  const db = new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database }) });
  const inMemory = file === ':memory:' || file === '' || file.includes('mode=memory');
  const key = inMemory ? undefined : path.resolve(file);
  return new KyselyStore(db, {
    dialect: 'sqlite',
    migrate: (kdb) => inProcessQueue(key, () => migrateSqlite(kdb)),
  });
}

async function migrateSqlite(db: Kysely<StoreDatabase>): Promise<void> {
  await db.connection().execute(async (conn) => {
    // IMMEDIATE: take the write lock now, so a second process waits (busy_timeout) and then
    // finds the migrations done, instead of both reading "not migrated" and racing.
    await sql`begin immediate`.execute(conn);
    try {
      await runMigrations(conn, 'sqlite', { disableTransactions: true });
      await sql`commit`.execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/** Per-file promise chains: migrations of stores of this process on one file run one at a time. */
const queues = new Map<string, Promise<void>>();

async function inProcessQueue(key: string | undefined, task: () => Promise<void>): Promise<void> {
  if (key === undefined) return task();
  const run = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  try {
    await run;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}
