/*
 * The store's one suite, run on both back ends: each feature's test file
 * (src/server/store/*.test.ts) hands its tests to describeStore, which runs them against SQLite
 * (a temporary file per test) and PostgreSQL (a schema per test, in a database per test file,
 * dropped in afterAll).
 *
 * PostgreSQL: BREAKWATER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test.
 * With BREAKWATER_REQUIRE_SERVICES=1 an unreachable server fails the suite; otherwise the suite is
 * skipped with a warning saying why (describeWithPostgres, test/helpers.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { openPostgresStore, openSqliteStore, type Store, type StoreDialect } from '../../src/server/store/index.js';
import { PG_URL, describeWithPostgres, onSharedDatabase } from '../helpers.js';
import type { Database0001 } from './fixtures.js';

/** One empty database (a SQLite file, a PostgreSQL schema) that stores can be opened on. */
export interface Target {
  open(): Store;
  /** Names recorded in Kysely's migration table. */
  migrationsRecorded(): Promise<string[]>;
  /** A plain Kysely on the database, bypassing the store (to build an older schema); the caller
   *  destroys it. */
  raw(): Promise<{ db: Kysely<Database0001>; dialect: StoreDialect; migrationTableSchema?: string }>;
}

export interface Harness {
  /** A new empty database. */
  fresh(): Promise<Target>;
}

/** What a feature's tests get from describeStore, whichever back end they run on. */
export interface StoreSuite {
  /** The back end's databases. */
  harness(): Harness;
  /** Opens a store on `target`, closed after the test. */
  openOn(target: Target): Store;
  /** A migrated store on a new, empty database, closed after the test. */
  freshStore(): Promise<Store>;
}

/**
 * Runs `body` (a feature's tests) on SQLite and on PostgreSQL, as `Store on SQLite > feature` and
 * `Store on PostgreSQL > feature`; `file` names the test file in the warning when PostgreSQL is
 * skipped.
 *
 * @example
 *   await describeStore('tokens', 'src/server/store/token-rows.test.ts', ({ freshStore }) => {
 *     it('lists what it created', async () => {
 *       const store = await freshStore();
 *       await store.createToken(token());
 *       expect(await store.listTokens()).toHaveLength(1);
 *     });
 *   });
 */
export async function describeStore(feature: string, file: string, body: (suite: StoreSuite) => void): Promise<void> {
  describe('Store on SQLite', () => {
    const { harness } = sqliteBackEnd();
    describe(feature, () => body(storeSuite(harness)));
  });
  await describeWithPostgres('Store on PostgreSQL', file, () => {
    const { harness } = postgresBackEnd();
    describe(feature, () => body(storeSuite(harness)));
  });
}

function storeSuite(harness: () => Harness): StoreSuite {
  const opened: Store[] = [];
  const openOn = (target: Target): Store => {
    const store = target.open();
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return {
    harness,
    openOn,
    freshStore: async () => {
      const store = openOn(await harness().fresh());
      await store.migrate();
      return store;
    },
  };
}

/** SQLite databases in a temporary folder of this describe block (removed in afterAll). */
export function sqliteBackEnd(): { harness: () => Harness; dir: () => string; file: (name: string) => string } {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'breakwater-store-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  /** A new file name in the folder; `name` says what it is for. */
  const file = (name: string): string => path.join(dir, `${name}-${++n}.sqlite`);

  const harness = (): Harness => ({
    fresh: () => {
      const db = file('store');
      return Promise.resolve({
        open: () => openSqliteStore(db),
        raw: () =>
          Promise.resolve({
            db: new Kysely<Database0001>({ dialect: new SqliteDialect({ database: new Database(db) }) }),
            dialect: 'sqlite' as const,
          }),
        migrationsRecorded: () => {
          const raw = new Database(db, { readonly: true });
          try {
            const rows = raw.prepare('select name from kysely_migration order by name').all() as { name: string }[];
            return Promise.resolve(rows.map((r) => r.name));
          } finally {
            raw.close();
          }
        },
      });
    },
  });
  return { harness, dir: () => dir, file };
}

/**
 * PostgreSQL schemas in a database of this describe block's own (created in beforeAll, dropped in
 * afterAll), and an admin connection to look at them. A database, not only schemas in the shared
 * one: Kysely's migrator looks at the tables of every schema of its database, and fails when
 * another test file drops its schemas at that moment.
 */
export function postgresBackEnd(): { harness: () => Harness; url: () => string; schema: () => string; admin: () => pg.Client } {
  const prefix = `bw_store_test_${randomBytes(4).toString('hex')}`;
  const own = new URL(PG_URL);
  own.pathname = `/${prefix}`;
  const url = own.toString();
  let n = 0;
  let client: pg.Client | undefined;

  const onShared = onSharedDatabase;

  beforeAll(async () => {
    await onShared(`create database "${prefix}"`);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await onShared(`drop database if exists "${prefix}" with (force)`);
  });

  const schema = (): string => `${prefix}_${++n}`;
  const admin = (): pg.Client => {
    if (client === undefined) throw new Error('the admin connection is opened in beforeAll');
    return client;
  };

  const harness = (): Harness => ({
    fresh: () => {
      const name = schema();
      return Promise.resolve({
        open: () => openPostgresStore(url, { schema: name, maxConnections: 4 }),
        raw: async () => {
          await admin().query(`create schema if not exists "${name}"`);
          const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${name}` });
          // As the store's own pool does: a connection the server ends while the pool holds it (the
          // database dropped with force after the file, also when it is ending) emits 'error' on the
          // pool, which without a listener is an uncaught exception (it failed a CI run once).
          pool.on('error', () => undefined);
          return { db: new Kysely<Database0001>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' as const, migrationTableSchema: name };
        },
        migrationsRecorded: async () => {
          const { rows } = await admin().query<{ name: string }>(`select name from "${name}".kysely_migration order by name`);
          return rows.map((r) => r.name);
        },
      });
    },
  });
  return { harness, url: () => url, schema, admin };
}
