/*
 * 0005: enrollment and identity. Join tokens may be limited to a number of uses (counted here, so
 * two agents enrolling at once with a one-use token cannot both succeed); an agent remembers which
 * join token issued its credential (revoking the token leaves the credential alone, and an admin
 * can still see where a host came from), and a credential can be revoked without forgetting the
 * host.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from './schema.js';

export function enrollment(dialect: StoreDialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // null: unlimited (every token created before this migration, and user tokens).
      await db.schema.alterTable('tokens').addColumn('max_uses', 'integer').execute();
      await db.schema.alterTable('tokens').addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // null: enrolled before this migration, when only the token's name was kept (enrolled_with).
      await db.schema.alterTable('agents').addColumn('enrolled_with_id', 'text').execute();
      await db.schema.alterTable('agents').addColumn('revoked_at', time).execute();
    },
  };
}
