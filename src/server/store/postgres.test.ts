/*
 * What only the PostgreSQL back end has: its schema, column types and query plans, and what an
 * unreachable server does. The suite both back ends share is in the *-rows.test.ts files
 * (test/store/back-ends.ts).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeWithPostgres } from '../../../test/helpers.js';
import { postgresBackEnd } from '../../../test/store/back-ends.js';
import { INDEXED_QUERIES, expectStoreError, manyEvents, run } from '../../../test/store/fixtures.js';
import { StoreError, openPostgresStore } from './index.js';

await describeWithPostgres('Store on PostgreSQL', 'src/server/store/postgres.test.ts', () => {
  const { url, schema: newSchema, admin } = postgresBackEnd();

  describe('PostgreSQL specifics', () => {
    it('creates the schema, keeps the store inside it, returns BIGINT as number and JSONB parsed', async () => {
      const schema = newSchema();
      const store = openPostgresStore(url(), { schema });
      try {
        await store.migrate();
        const r = run({ startedAt: 2 ** 50 });
        await store.createRun(r);
        const got = await store.getRun(r.id);
        expect(typeof got?.run.startedAt).toBe('number');
        expect(got?.run).toEqual(r);
        const { rows } = await admin().query<{ table_name: string }>(
          `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
          [schema],
        );
        expect(rows.map((row) => row.table_name)).toEqual([
          'agents',
          'alert_notifications',
          'approvals',
          'audit',
          'definition_versions',
          'deliveries',
          'events',
          'kysely_migration',
          'kysely_migration_lock',
          'permit_grants',
          'replicas',
          'run_results',
          'runbook_runs',
          'runbooks',
          'runs',
          'secrets',
          'silences',
          'switches',
          'tick_claims',
          'tokens',
        ]);
        const types = await admin().query<{ data_type: string }>(
          `select data_type from information_schema.columns where table_schema = $1 and table_name = 'runs' and column_name in ('plan', 'started_at') order by column_name`,
          [schema],
        );
        expect(types.rows.map((row) => row.data_type)).toEqual(['jsonb', 'bigint']);
      } finally {
        await store.close();
      }
    });

    it('the hot queries on events and approvals use their indexes', async () => {
      const schema = newSchema();
      const store = openPostgresStore(url(), { schema });
      try {
        await store.migrate();
        await store.appendEvents(manyEvents());
      } finally {
        await store.close();
      }
      const client = new pg.Client({ connectionString: url(), options: `-c search_path=${schema}` });
      await client.connect();
      try {
        // As autovacuum would have by now (statistics, and the visibility map for index-only scans).
        await client.query('vacuum analyze events');
        await client.query('vacuum analyze approvals');
        // A small table may rightly be scanned whole, or its matches fetched by bitmap and sorted;
        // what is checked is that the index fits: found by the filters, already in the order.
        await client.query('set enable_seqscan = off');
        await client.query('set enable_bitmapscan = off');
        for (const q of INDEXED_QUERIES) {
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, [...q.params]);
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(plan, q.name).toContain(q.index);
          expect(plan, q.name).not.toMatch(/\bSort\b/);
        }
      } finally {
        await client.end();
      }
    });

    it('rejects a schema name that would need quoting', () => {
      expect(() => openPostgresStore(url(), { schema: 'Bad-Name; drop' })).toThrow(StoreError);
    });
  });
});

describe('Store on an unreachable PostgreSQL', () => {
  it('fails with STORE_UNAVAILABLE', async () => {
    // Port 1 on localhost: nothing listens there, the connection is refused at once.
    const store = openPostgresStore('postgres://postgres@127.0.0.1:1/test', { connectTimeoutMs: 2000 });
    try {
      const error = await expectStoreError(store.migrate(), 'STORE_UNAVAILABLE');
      expect(error.cause).toBeDefined();
      await expectStoreError(store.listRuns(), 'STORE_UNAVAILABLE');
    } finally {
      await store.close();
    }
  });
});
