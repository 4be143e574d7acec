import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationProvider } from './migrations.js';
import { openSqliteStore } from './sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-m4-'));
  dirs.push(dir);
  return join(dir, 'breakwater.db');
}

/** The tables 0007 rebuilds: their indexes must survive it (later migrations add tables of their own). */
const REBUILT = "('runs', 'run_results', 'events')";

const RUN = { principal: 'alice', statement: 'host | `sleep 60`', plan: {}, startedAt: 1000, finishedAt: null, targets: 0, failures: 0 } as const;

describe('migration 0007 (interrupted runs, refused permits) on SQLite', () => {
  it('keeps every run, its results and the indexes, and then takes the new values', async () => {
    const file = dbFile();
    // A database as 0003 left it, with a run and its results.
    const raw = new Database(file);
    raw.pragma('foreign_keys = ON');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    const upTo3 = await new Migrator({ db, provider: migrationProvider('sqlite') }).migrateTo('0003_runbooks');
    expect(upTo3.error).toBeUndefined();
    raw.prepare(`insert into runs (id, principal, statement, plan, status, started_at, finished_at, targets, failures) values ('r1', 'alice', 'host | \`sleep 60\`', '{}', 'running', 1000, null, 1, 0)`).run();
    raw.prepare(`insert into run_results (run_id, resource_id, resource_type, host, status, result_values) values ('r1', 'web-1', 'host', 'web-1', 'ok', '{}')`).run();
    const indexesBefore = raw.prepare(`select name from sqlite_master where type = 'index' and sql is not null and tbl_name in ${REBUILT} order by name`).all();
    expect(indexesBefore.length).toBeGreaterThan(0);
    await db.destroy();

    const store = openSqliteStore(file);
    await store.migrate();
    expect((await store.getRun('r1'))?.results).toHaveLength(1);
    expect(await store.interruptRuns(5000)).toEqual([expect.objectContaining({ id: 'r1', status: 'interrupted', finishedAt: 5000 })]);
    expect((await store.getRun('r1'))?.run).toMatchObject({ status: 'interrupted', finishedAt: 5000 });
    // The new event type is accepted, and the foreign key still cascades from the new `runs`.
    await store.appendEvents([{ id: 'e1', time: 1, type: 'permit_refused', host: 'web-1', resource: null, alarm: null, bot: 'b', action: null, severity: null, runId: null, principal: 'agent:web-1', message: 'm', value: null, details: {} }]);
    expect(await store.countEvents({ type: 'permit_refused', since: 0 })).toBe(1);
    await store.close();

    const check = new Database(file);
    // runs_running_idx is 0010's, made after this one rebuilt the tables.
    expect(check.prepare(`select name from sqlite_master where type = 'index' and sql is not null and tbl_name in ${REBUILT} and name != 'runs_running_idx' order by name`).all()).toEqual(indexesBefore);
    expect(check.prepare(`select count(*) as n from sqlite_master where name like '%before_0007%'`).get()).toEqual({ n: 0 });
    expect(check.pragma('foreign_key_check')).toEqual([]);
    check.close();
  });

  it('interruptRuns marks only the running ones, once', async () => {
    const store = openSqliteStore(':memory:');
    await store.migrate();
    await store.createRun({ ...RUN, id: 'a', status: 'running' });
    await store.createRun({ ...RUN, id: 'b', status: 'succeeded', finishedAt: 2000 });
    expect((await store.interruptRuns(3000)).map((r) => r.id)).toEqual(['a']);
    expect(await store.interruptRuns(4000)).toEqual([]);
    expect((await store.getRun('b'))?.run.status).toBe('succeeded');
    await store.close();
  });
});
