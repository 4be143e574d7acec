import { sql, type Kysely } from 'kysely';
import { countEventsByHost } from './event-rows.js';
import type { StoreDatabase, StoreDialect } from './schema.js';
import type { PermitRequest, PermitWindow } from './types.js';
import { checkTexts, checkTime } from './values.js';

/*
 * The permit_grants table (0009): the circuit breaker's window, shared by every replica.
 * KyselyStore calls these inside its #run, which classifies errors and refuses after close.
 */

/** First key of the two-key advisory lock taken around one bot's permit ("Bw" + 2); the second
 *  is the hash of the schema and the bot's name. The migration lock is 0x4277_0001 (postgres.ts). */
const PERMIT_LOCK_CLASS = 0x4277_0002;

/**
 * Counts `bot`'s window (the grants since `since`, and its stored `bot_ran` events, per host), asks
 * `decide`, and records a grant to `request.host` at `request.at` when the answer says `grant`, all
 * in one transaction, so two replicas asking at once see each other's grants: PostgreSQL holds an
 * advisory lock on the bot until the commit (READ COMMITTED then reads every grant committed before
 * the lock was taken); SQLite's one connection runs the transaction alone. Grants of the bot older
 * than `since` are pruned on the way.
 */
export async function grantPermit<T extends { readonly grant: boolean }>(
  db: Kysely<StoreDatabase>,
  dialect: StoreDialect,
  request: PermitRequest,
  decide: (window: PermitWindow) => T,
): Promise<T> {
  const operation = 'grantPermit';
  checkTexts(operation, { bot: request.bot, host: request.host });
  checkTime(operation, 'at', request.at);
  checkTime(operation, 'since', request.since);
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${sql.lit(PERMIT_LOCK_CLASS)}, hashtext(current_schema() || '/' || ${request.bot}::text))`.execute(trx);
    }
    await trx.deleteFrom('permit_grants').where('bot', '=', request.bot).where('at', '<', request.since).execute();
    const answer = decide(await countWindow(trx, request.bot, request.since));
    if (answer.grant) await trx.insertInto('permit_grants').values({ bot: request.bot, host: request.host, at: request.at }).execute();
    return answer;
  });
}

/**
 * `bot`'s window since `since` as grantPermit counts it, read without granting or pruning: what the
 * breaker would decide on now (the Automation page's "used / left"). Grants older than `since` that
 * the next grantPermit prunes are not counted here either.
 */
export async function permitWindow(db: Kysely<StoreDatabase>, bot: string, since: number): Promise<PermitWindow> {
  const operation = 'permitWindow';
  checkTexts(operation, { bot });
  checkTime(operation, 'since', since);
  return countWindow(db, bot, since);
}

/** The grants (since `since`) and stored `bot_ran` events of `bot`, per host. */
async function countWindow(db: Kysely<StoreDatabase>, bot: string, since: number): Promise<PermitWindow> {
  const rows = await db
    .selectFrom('permit_grants')
    .where('bot', '=', bot)
    .where('at', '>=', since)
    .groupBy('host')
    .select((eb) => ['host', eb.fn.countAll<number | string | bigint>().as('n')])
    .execute();
  const granted = new Map(rows.map((r) => [r.host, Number(r.n)]));
  const ran = await countEventsByHost(db, { type: 'bot_ran', bot, since });
  return { granted, ran };
}
