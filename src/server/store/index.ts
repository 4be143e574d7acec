/*
 * The control plane's persistent state: one Store implementation over Kysely (kysely-store.ts,
 * composing one file of queries per table group: *-rows.ts, enrollment-queries.ts) with two back
 * ends, SQLite (embedded default) and PostgreSQL (several replicas). Its tests, one file per
 * feature beside the queries, each run on both back ends (test/store/back-ends.ts).
 */
export type * from './types.js';
export { KyselyStore, type KyselyStoreOptions } from './kysely-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './values.js';
export { migrations } from './migrations.js';
export type { StoreDatabase, StoreDialect } from './schema.js';
