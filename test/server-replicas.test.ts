import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../src/server/index.js';
import { startServer } from '../src/server/index.js';
import { PG_URL, describeWithPostgres } from './helpers.js';

/*
 * Control planes started together on one empty PostgreSQL schema (in this process, each with its
 * own pool): exactly one creates and shows the first admin token, each heartbeats its own replica
 * row, and each is ready (/readyz) while its store answers.
 */
await describeWithPostgres('replicas starting together on one PostgreSQL store', 'test/server-replicas.test.ts', () => {
  const schema = `bw_replicas_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'bw-replicas-'));
  let admin: pg.Client;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema "${schema}"`);
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await admin?.query(`drop schema if exists "${schema}" cascade`);
    await admin?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exactly one shows the first admin token; each heartbeats and is ready', async () => {
    const store = new URL(PG_URL);
    store.searchParams.set('options', `-c search_path=${schema}`);
    const started = await Promise.all([1, 2, 3].map((i) => startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, `r${i}`), store: store.toString() }, { logger: pino({ level: 'silent' }) })));
    servers.push(...started);
    expect(started.filter((s) => s.initialAdminToken !== undefined)).toHaveLength(1);
    const admins = await admin.query(`select id from "${schema}".tokens where role = 'admin'`);
    expect(admins.rowCount).toBe(1);
    const replicas = await admin.query(`select id from "${schema}".replicas`);
    expect(replicas.rowCount).toBe(3);
    for (const s of started) {
      const r = await fetch(`${s.url}/readyz`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ ready: true, checks: { store: 'ok' } });
    }
  }, 60_000);
});
