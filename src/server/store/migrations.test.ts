/*
 * The schema: migrate() on a new database, concurrently, and on databases older migrations left; a closed store.
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { Migrator } from 'kysely';
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { token, agent, definitionVersion, event, approval, MIGRATIONS, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { migrations, type EventType } from './index.js';

await describeStore('schema', 'src/server/store/migrations.test.ts', ({ freshStore, harness, openOn }) => {
  it('migrate() creates the schema and can be called again and again', async () => {
    const target = await harness().fresh();
    const store = openOn(target);
    await store.migrate();
    await store.migrate();
    await store.migrate();
    expect(await target.migrationsRecorded()).toEqual(MIGRATIONS);
    await store.createToken(token());
    expect(await store.listTokens()).toHaveLength(1);
  });

  it('concurrent migrate() from several store instances on one database', async () => {
    const target = await harness().fresh();
    const stores = [openOn(target), openOn(target), openOn(target)];
    await Promise.all(stores.map((s) => s.migrate()));
    expect(await target.migrationsRecorded()).toEqual(MIGRATIONS);
    const t = token();
    await stores[0]!.createToken(t);
    expect(await stores[2]!.findTokenByHash(t.hash)).toEqual(t);
    // And once more, all at once, on the migrated schema.
    await Promise.all(stores.map((s) => s.migrate()));
    expect(await target.migrationsRecorded()).toEqual(MIGRATIONS);
  });

  it('upgrades a database made by migration 0001 alone: its rows stay, agents get definitionsVersion null', async () => {
    const target = await harness().fresh();
    const old = agent({ name: 'old-host', tags: { note: TRICKY } });
    const oldToken = token({ role: 'admin' });
    const raw = await target.raw();
    try {
      const migrator = new Migrator({
        db: raw.db,
        provider: { getMigrations: () => Promise.resolve(migrations(raw.dialect)) },
        ...(raw.migrationTableSchema === undefined ? {} : { migrationTableSchema: raw.migrationTableSchema }),
      });
      const { error } = await migrator.migrateTo('0001_initial');
      expect(error).toBeUndefined();
      await raw.db
        .insertInto('agents')
        .values({
          id: old.id,
          name: old.name,
          host_id: old.hostId,
          credential_hash: old.credentialHash,
          tags: JSON.stringify(old.tags),
          facts: JSON.stringify(old.facts),
          status: old.status,
          enrolled_at: old.enrolledAt,
          last_seen_at: old.lastSeenAt,
          enrolled_with: old.enrolledWith,
        })
        .execute();
      await raw.db
        .insertInto('tokens')
        .values({
          id: oldToken.id,
          name: oldToken.name,
          role: oldToken.role,
          hash: oldToken.hash,
          created_at: oldToken.createdAt,
          expires_at: oldToken.expiresAt,
          revoked_at: oldToken.revokedAt,
          created_by: oldToken.createdBy,
        })
        .execute();
    } finally {
      await raw.db.destroy();
    }
    expect(await target.migrationsRecorded()).toEqual(['0001_initial']);

    const store = openOn(target);
    await store.migrate();
    expect(await target.migrationsRecorded()).toEqual(MIGRATIONS);
    expect(await store.getAgentByName(old.name)).toEqual({ ...old, definitionsVersion: null });
    expect(await store.findTokenByHash(oldToken.hash)).toEqual(oldToken);

    // The upgraded schema takes the new column and the new tables.
    await store.updateAgentState(old.id, { definitionsVersion: 1 });
    expect((await store.getAgentByName(old.name))?.definitionsVersion).toBe(1);
    expect(await store.saveDefinitionVersion(definitionVersion(), null)).toBe(1);
    const e = event();
    expect(await store.appendEvents([e])).toEqual([e]);
    const a = approval();
    await store.createApproval(a);
    expect(await store.getApproval(a.id)).toEqual(a);
    await store.migrate();
    expect(await target.migrationsRecorded()).toEqual(MIGRATIONS);
  });

  it('0004 lets the events table take file_failed and keeps the events stored before it', async () => {
    const target = await harness().fresh();
    const raw = await target.raw();
    const old = event({ type: 'bot_ran', bot: 'cleaner', details: { note: TRICKY } });
    try {
      const migrator = new Migrator({
        db: raw.db,
        provider: { getMigrations: () => Promise.resolve(migrations(raw.dialect)) },
        ...(raw.migrationTableSchema === undefined ? {} : { migrationTableSchema: raw.migrationTableSchema }),
      });
      expect((await migrator.migrateTo('0003_runbooks')).error).toBeUndefined();
      const early = openOn(target);
      await expectStoreError(early.appendEvents([event({ type: 'file_failed' })]), 'STORE_INVALID');
      expect(await early.appendEvents([old])).toEqual([old]);
      await early.close();
    } finally {
      await raw.db.destroy();
    }
    const store = openOn(target);
    await store.migrate();
    expect(await store.listEvents({ bot: 'cleaner' })).toEqual([old]);
    const failed = event({ type: 'file_failed', alarm: null, details: { path: '/etc/app.conf' } });
    expect(await store.appendEvents([failed])).toEqual([failed]);
    expect(await store.listEvents({ type: 'file_failed' })).toEqual([failed]);
    await expectStoreError(store.appendEvents([event({ type: 'exploded' as EventType })]), 'STORE_INVALID');
  });

  it('a closed store refuses work with STORE_CLOSED; close() twice is fine', async () => {
    const store = await freshStore();
    await store.close();
    await store.close();
    await expectStoreError(store.listRuns(), 'STORE_CLOSED');
    await expectStoreError(store.createToken(token()), 'STORE_CLOSED');
  });
});
