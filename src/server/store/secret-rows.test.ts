/*
 * Secrets (secret-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { uid, T0, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type SecretRecord } from './index.js';

await describeStore('secrets', 'src/server/store/secret-rows.test.ts', ({ freshStore }) => {
  const secret = (overrides: Partial<SecretRecord> = {}): SecretRecord => ({ name: uid('secret'), ciphertext: 'bm9uY2U=', keyId: '0123456789abcdef', updatedAt: T0, updatedBy: 'alice', ...overrides });

  it('puts (create, then replace by name), lists by name, deletes', async () => {
    const store = await freshStore();
    const b = secret({ name: 'b-db-password' });
    const a = secret({ name: 'a-api-key', updatedBy: TRICKY });
    await store.putSecret(b);
    await store.putSecret(a);
    expect(await store.listSecrets()).toEqual([a, b]);
    const b2 = { ...b, ciphertext: 'b3RoZXI=', keyId: 'fedcba9876543210', updatedAt: T0 + 1, updatedBy: 'bob' };
    await store.putSecret(b2);
    expect(await store.listSecrets()).toEqual([a, b2]);
    expect(await store.deleteSecret(a.name)).toBe(true);
    expect(await store.deleteSecret(a.name)).toBe(false);
    expect(await store.deleteSecret('\u0000')).toBe(false);
    expect(await store.listSecrets()).toEqual([b2]);
  });

  it('refuses text the databases cannot hold and a time that is not one', async () => {
    const store = await freshStore();
    await expectStoreError(store.putSecret(secret({ name: 'bad\u0000name' })), 'STORE_INVALID');
    await expectStoreError(store.putSecret(secret({ updatedAt: 1.5 })), 'STORE_INVALID');
    expect(await store.listSecrets()).toEqual([]);
  });
});
