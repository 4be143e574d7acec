/*
 * Tokens (token-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, token, expectStoreError } from '../../../test/store/fixtures.js';
import { type Role } from './index.js';

await describeStore('tokens', 'src/server/store/token-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('creates, finds by hash, lists, revokes', async () => {
    const store = await freshStore();
    const a = token({ name: 'first', createdAt: T0, expiresAt: T0 + 86_400_000 });
    const b = token({ name: 'second', createdAt: T0 + 1, role: 'viewer' });
    await store.createToken(b);
    await store.createToken(a);
    expect(await store.findTokenByHash(a.hash)).toEqual(a);
    expect(await store.findTokenByHash('0'.repeat(64))).toBeUndefined();
    expect(await store.listTokens()).toEqual([a, b]); // by creation time

    expect(await store.revokeToken(a.id, T0 + 100)).toBe(true);
    expect(await store.revokeToken(a.id, T0 + 200)).toBe(false); // already revoked: first time kept
    expect(await store.revokeToken('no-such-token', T0)).toBe(false);
    expect(await store.findTokenByHash(a.hash)).toEqual({ ...a, revokedAt: T0 + 100 });
    expect((await store.findTokenByHash(b.hash))?.revokedAt).toBeNull();
  });

  it('hasAdmin: only a non-revoked admin token counts', async () => {
    const store = await freshStore();
    expect(await store.hasAdmin()).toBe(false);
    await store.createToken(token({ role: 'operator' }));
    await store.createToken(token({ role: 'agent' }));
    expect(await store.hasAdmin()).toBe(false);
    const admin = token({ role: 'admin' });
    await store.createToken(admin);
    expect(await store.hasAdmin()).toBe(true);
    await store.revokeToken(admin.id, T0 + 1);
    expect(await store.hasAdmin()).toBe(false);
  });

  it('rejects a duplicate hash or id (STORE_CONFLICT) and a bad role or type (STORE_INVALID)', async () => {
    const store = await freshStore();
    const t = token();
    await store.createToken(t);
    const conflict = await expectStoreError(store.createToken(token({ hash: t.hash })), 'STORE_CONFLICT');
    expect(conflict.cause).toBeDefined();
    expect(conflict.operation).toBe('createToken');
    await expectStoreError(store.createToken(token({ id: t.id })), 'STORE_CONFLICT');
    await expectStoreError(store.createToken(token({ role: 'root' as Role })), 'STORE_INVALID');
    await expectStoreError(store.createToken(token({ name: undefined as unknown as string })), 'STORE_INVALID');
    await expectStoreError(store.createToken(token({ createdAt: 1.5 })), 'STORE_INVALID');
    await expectStoreError(store.createToken(token({ createdAt: 'yesterday' as unknown as number })), 'STORE_INVALID');
    expect(await store.listTokens()).toEqual([t]);
  });

  it('createFirstAdmin: of stores racing on one empty database, exactly one creates the admin', async () => {
    const target = await harness().fresh();
    const first = openOn(target);
    await first.migrate();
    // PostgreSQL: one store (its own connection pool) per replica. SQLite: one store per file per
    // process (sqlite.ts), so the race is concurrent calls on that store.
    const postgres = (first as { dialect?: string }).dialect === 'postgres';
    const racers = Array.from({ length: 6 }, () => (postgres ? openOn(target) : first));
    const candidates = racers.map(() => token({ role: 'admin' }));
    const created = await Promise.all(racers.map((store, i) => store.createFirstAdmin(candidates[i]!)));
    expect(created.filter(Boolean)).toHaveLength(1);
    const admins = (await first.listTokens()).filter((t) => t.role === 'admin');
    expect(admins).toEqual([candidates[created.indexOf(true)]]);
    expect(await first.createFirstAdmin(token({ role: 'admin' }))).toBe(false);
  });

  it('createFirstAdmin: a revoked admin does not count, so a new first admin can be created', async () => {
    const store = await freshStore();
    const old = token({ role: 'admin' });
    expect(await store.createFirstAdmin(old)).toBe(true);
    await store.revokeToken(old.id, T0 + 1);
    expect(await store.createFirstAdmin(token({ role: 'admin' }))).toBe(true);
  });
});
