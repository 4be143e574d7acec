import type { Kysely, Migration } from 'kysely';
import { createTable, dialectTypes } from './migrations.js';
import type { StoreDialect } from './schema.js';

/** 0006: secret values, encrypted at rest (the plain value is never stored; docs/security.md "## Secrets"). */
export function secretsMigration(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'secrets')
        .addColumn('name', t.key, (c) => c.primaryKey())
        .addColumn('ciphertext', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
