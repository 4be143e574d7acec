/*
 * The tokens table: API and join tokens, by the sha256 of their secret. Counting a join token's
 * uses is enrollment's (enrollment-queries.ts). KyselyStore calls these inside its #run, which
 * classifies errors and refuses after close.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoreDatabase, StoreDialect, TokensTable } from './schema.js';
import type { TokenRecord } from './types.js';
import { checkInt32, checkTexts, isStorableText } from './values.js';

export async function createToken(db: Kysely<StoreDatabase>, token: TokenRecord): Promise<void> {
  checkTexts('createToken', token);
  checkInt32('createToken', 'maxUses', token.maxUses);
  checkInt32('createToken', 'uses', token.uses);
  await db
    .insertInto('tokens')
    .values({
      id: token.id,
      name: token.name,
      role: token.role,
      hash: token.hash,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      revoked_at: token.revokedAt,
      created_by: token.createdBy,
      max_uses: token.maxUses,
      uses: token.uses,
    })
    .execute();
}

export async function findTokenByHash(db: Kysely<StoreDatabase>, hash: string): Promise<TokenRecord | undefined> {
  if (!isStorableText(hash)) return undefined;
  const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  return row === undefined ? undefined : toToken(row);
}

export async function listTokens(db: Kysely<StoreDatabase>): Promise<TokenRecord[]> {
  const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toToken);
}

/** Marks the token revoked at `at`; false when there is no such token or it was already revoked
 *  (the first revocation time is kept). */
export async function revokeToken(db: Kysely<StoreDatabase>, id: string, at: number): Promise<boolean> {
  if (!isStorableText(id)) return false;
  const result = await db
    .updateTable('tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether an admin token that is not revoked exists. Expiry is not considered: the store has
 *  no clock (the auth layer checks expiresAt against its injected clock). */
export async function hasAdmin(db: Kysely<StoreDatabase>): Promise<boolean> {
  const row = await db
    .selectFrom('tokens')
    .select('id')
    .where('role', '=', 'admin')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** First key of the two-key transaction lock around createFirstAdmin ("Bw" + 2; 1 is migrations'). */
const FIRST_ADMIN_LOCK_CLASS = 0x4277_0002;

/**
 * Stores `token` (an admin token) only if no admin token exists: true when it was stored. Replicas
 * starting together on an empty store each ask; exactly one stores it. PostgreSQL: a transaction
 * lock keyed by the schema makes the check and the insert one step across processes (under READ
 * COMMITTED two plain check-then-inserts would both see no admin). SQLite: BEGIN IMMEDIATE takes
 * the write lock before the check, so another process waits and then sees the admin.
 */
export async function createFirstAdmin(db: Kysely<StoreDatabase>, dialect: StoreDialect, token: TokenRecord): Promise<boolean> {
  const checkThenCreate = async (conn: Kysely<StoreDatabase>) => {
    if (await hasAdmin(conn)) return false;
    await createToken(conn, token);
    return true;
  };
  if (dialect === 'postgres') {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(FIRST_ADMIN_LOCK_CLASS)}, hashtext(current_schema()))`.execute(trx);
      return checkThenCreate(trx);
    });
  }
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const created = await checkThenCreate(conn);
      await sql`commit`.execute(conn);
      return created;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

function toToken(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    maxUses: row.max_uses,
    uses: row.uses,
  };
}
