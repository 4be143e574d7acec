import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import type { SecretRecord } from './types.js';
import { checkTexts, checkTime, isStorableText } from './values.js';

/*
 * The secrets table (0006). Rows hold ciphertext only; src/server/secrets
 * encrypts and decrypts. KyselyStore calls these inside its #run, which
 * classifies errors and refuses after close.
 */

export async function putSecret(db: Kysely<StoreDatabase>, secret: SecretRecord): Promise<void> {
  checkTexts('putSecret', secret);
  checkTime('putSecret', 'updatedAt', secret.updatedAt);
  const row = { name: secret.name, ciphertext: secret.ciphertext, key_id: secret.keyId, updated_at: secret.updatedAt, updated_by: secret.updatedBy };
  await db
    .insertInto('secrets')
    .values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet({ ciphertext: row.ciphertext, key_id: row.key_id, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}

export async function listSecrets(db: Kysely<StoreDatabase>): Promise<SecretRecord[]> {
  const rows = await db.selectFrom('secrets').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, ciphertext: r.ciphertext, keyId: r.key_id, updatedAt: Number(r.updated_at), updatedBy: r.updated_by }));
}

export async function deleteSecret(db: Kysely<StoreDatabase>, name: string): Promise<boolean> {
  if (!isStorableText(name)) return false;
  const result = await db.deleteFrom('secrets').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
