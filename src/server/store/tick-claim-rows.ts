import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import { checkTexts, checkTime } from './values.js';

/*
 * The tick_claims table (0008): once across replicas. KyselyStore calls these inside its #run,
 * which classifies errors and refuses after close.
 */

/**
 * How long a claim is kept after its tick. A claim must outlive the moment the slowest replica
 * could still ask for the same tick (its timer late, its query slow); an hour is far beyond that,
 * and keeps the table at (schedules × ticks per hour) rows at most.
 */
export const TICK_CLAIM_RETENTION_MS = 60 * 60_000;

/**
 * Claims `tick` of `name` for `holder`: true for exactly one caller, across every process sharing
 * the database (an insert on the primary key; the others conflict and do nothing). The winner
 * prunes the claims older than TICK_CLAIM_RETENTION_MS before its tick, of every name, so claims
 * of schedules removed since do not stay forever.
 */
export async function claimTick(db: Kysely<StoreDatabase>, name: string, tick: number, holder: string): Promise<boolean> {
  const operation = 'claimTick';
  checkTexts(operation, { name, holder });
  checkTime(operation, 'tick', tick);
  const inserted = await db
    .insertInto('tick_claims')
    .values({ name, tick, holder })
    .onConflict((oc) => oc.columns(['name', 'tick']).doNothing())
    // A row comes back only when this insert made it (the conflict clause returns nothing).
    .returning('holder')
    .executeTakeFirst();
  if (inserted === undefined) return false;
  await db.deleteFrom('tick_claims').where('tick', '<', tick - TICK_CLAIM_RETENTION_MS).execute();
  return true;
}
