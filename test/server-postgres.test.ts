import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import type { AuditRow, RunRow } from './scenarios/scenario-helpers.js';
import { query } from './scenarios/scenario-helpers.js';
import { PG_URL, describeWithPostgres } from './helpers.js';

/*
 * The control plane started with `--store postgres://...` (the real binary) and a real agent:
 * enrollment, a command run and its audit live in PostgreSQL and survive a restart of the server.
 * Each run gets a fresh schema, selected through the URL's search_path (libpq's `options`), and
 * dropped afterwards. PostgreSQL unreachable: skipped with a warning, or a failure with
 * BREAKWATER_REQUIRE_SERVICES=1 (CI).
 */

await describeWithPostgres('a server on PostgreSQL, end to end', 'test/server-postgres.test.ts', () => {
  const schema = `bw_e2e_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let lab: Lab | undefined;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema "${schema}"`);
    const store = new URL(PG_URL);
    store.searchParams.set('options', `-c search_path=${schema}`);
    lab = await startLab({ hosts: 1, store: store.toString() });
  }, 90_000);

  afterAll(async () => {
    await lab?.stop();
    await admin?.query(`drop schema if exists "${schema}" cascade`);
    await admin?.end();
  });

  const statement = 'host | `echo on-postgres`';

  it('keeps enrollment, runs and audit in PostgreSQL, and they survive a restart', async () => {
    if (!lab) throw new Error('no lab');
    // The store is PostgreSQL: no SQLite file beside the server, the agent's enrollment in the schema.
    expect(existsSync(join(lab.dir, 'server', 'breakwater.db'))).toBe(false);
    const agents = await admin.query<{ name: string }>(`select name from "${schema}".agents`);
    expect(agents.rows.map((r) => r.name)).toEqual(['web-1']);

    const rows = await query(lab, statement);
    expect(rows.map((r) => r.values)).toEqual([expect.objectContaining({ stdout: 'on-postgres\n', exit_code: 0 })]);
    const runId = (await lab.api<RunRow[]>('/api/v1/runs')).find((r) => r.statement === statement)?.id;
    expect(runId).toEqual(expect.any(String));

    await lab.restartServer();

    const after = await lab.api<{ run: RunRow; results: { host: string; stdout: string; exitCode: number }[] }>(`/api/v1/runs/${String(runId)}`);
    expect(after.run).toMatchObject({ statement, status: 'succeeded', principal: 'admin', targets: 1 });
    expect(after.results.map((r) => [r.host, r.stdout, r.exitCode])).toEqual([['web-1', 'on-postgres\n', 0]]);
    const audit = (await lab.api<AuditRow[]>('/api/v1/audit?limit=1000')).filter((a) => a.runId === runId);
    expect(audit).toContainEqual(expect.objectContaining({ action: 'run.start', principal: 'admin', target: statement, outcome: 'ok' }));
    // The agent comes back to the restarted server, still one host.
    await lab.waitConnected(['web-1']);
    const again = await lab.api<{ name: string; status: string }[]>('/api/v1/agents');
    expect(again.map((a) => [a.name, a.status])).toEqual([['web-1', 'connected']]);
  }, 90_000);
});
