/*
 * What only the SQLite back end has: a file that outlives the store, ':memory:', its query plans.
 * The suite both back ends share is in the *-rows.test.ts files (test/store/back-ends.ts).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteBackEnd } from '../../../test/store/back-ends.js';
import { INDEXED_QUERIES, TRICKY, agent, audit, manyEvents, result, run, token } from '../../../test/store/fixtures.js';
import { StoreError, openSqliteStore } from './index.js';

describe('Store on SQLite', () => {
  const { dir, file: newFile } = sqliteBackEnd();

  describe('SQLite specifics', () => {
    it('keeps the data across close and reopen of the file', async () => {
      const file = newFile('persist');
      const t = token({ role: 'admin' });
      const a = agent({ tags: { note: TRICKY } });
      const r = run();
      const results = [result(r.id), result(r.id, { status: 'offline', exitCode: null })];
      const e = audit({ runId: r.id });

      const first = openSqliteStore(file);
      await first.migrate();
      await first.createToken(t);
      await first.upsertAgent(a);
      await first.createRun(r);
      await first.addRunResults(results);
      await first.appendAudit(e);
      await first.close();

      const second = openSqliteStore(file);
      try {
        await second.migrate();
        expect(await second.findTokenByHash(t.hash)).toEqual(t);
        expect(await second.hasAdmin()).toBe(true);
        expect(await second.getAgentByName(a.name)).toEqual(a);
        expect(await second.getRun(r.id)).toEqual({ run: r, results });
        expect(await second.listAudit()).toEqual([e]);
      } finally {
        await second.close();
      }

      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
    });

    it("works on ':memory:'", async () => {
      const store = openSqliteStore(':memory:');
      try {
        await store.migrate();
        await store.migrate();
        const t = token();
        await store.createToken(t);
        expect(await store.findTokenByHash(t.hash)).toEqual(t);
      } finally {
        await store.close();
      }
    });

    it('the hot queries on events and approvals use their indexes', async () => {
      const file = newFile('plans');
      const store = openSqliteStore(file);
      try {
        await store.migrate();
        await store.appendEvents(manyEvents());
      } finally {
        await store.close();
      }
      const raw = new Database(file, { readonly: true });
      try {
        for (const q of INDEXED_QUERIES) {
          const plan = raw.prepare(`explain query plan ${q.sql.replace(/\$\d+/g, '?')}`).all(...q.params) as { detail: string }[];
          const details = plan.map((p) => p.detail).join('\n');
          expect(details, q.name).toMatch(new RegExp(`USING (COVERING )?INDEX ${q.index}\\b`));
          expect(details, q.name).not.toMatch(/TEMP B-TREE/);
        }
      } finally {
        raw.close();
      }
    });

    it('a file that cannot be opened is STORE_UNAVAILABLE', () => {
      let caught: unknown;
      try {
        openSqliteStore(path.join(dir(), 'no-such-dir', 'deeper', 'store.sqlite'));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).code).toBe('STORE_UNAVAILABLE');
    });
  });
});
