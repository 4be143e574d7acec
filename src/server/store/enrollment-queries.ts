/*
 * The store's enrollment queries (join-token uses, host identity, revoking and deleting agents),
 * beside agent-rows.ts and token-rows.ts; kysely-store.ts delegates to them. Each is one statement
 * or one transaction, so that what enrollment checks and what it writes cannot be split by a
 * concurrent request.
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import type { AgentRecord, EnrollOutcome } from './types.js';
import { agentColumns } from './agent-rows.js';
import { checkTime, isStorableText } from './values.js';

/** Counts one use of a token if it is unrevoked, unexpired at `at` and under its limit: one
 *  conditional UPDATE, so concurrent uses of a one-use token count once. */
export async function useToken(db: Kysely<StoreDatabase>, id: string, at: number): Promise<boolean> {
  checkTime('useToken', 'at', at);
  if (!isStorableText(id)) return false;
  const result = await db
    .updateTable('tokens')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Thrown inside the enrollment transaction to roll it back. */
class Refused extends Error {
  constructor(readonly outcome: Exclude<EnrollOutcome, 'enrolled'>) {
    super(outcome);
  }
}

/** See Store.enrollAgent. */
export async function enrollAgent(db: Kysely<StoreDatabase>, agent: AgentRecord, at: number): Promise<EnrollOutcome> {
  const columns = agentColumns('enrollAgent', agent);
  const tokenId = agent.enrolledWithId;
  if (tokenId === null) throw new TypeError('enrollAgent: the agent record names no join token (enrolledWithId)');
  try {
    await db.transaction().execute(async (trx) => {
      if (!(await useToken(trx, tokenId, at))) throw new Refused('token_refused');
      // The same name from another host id is not replaced: the row stays, nothing is written.
      const written = await trx
        .insertInto('agents')
        .values({ name: agent.name, ...columns })
        .onConflict((oc) => oc.column('name').doUpdateSet(columns).where('agents.host_id', '=', agent.hostId))
        .executeTakeFirst();
      if ((written.numInsertedOrUpdatedRows ?? 0n) === 0n) throw new Refused('host_mismatch');
    });
    return 'enrolled';
  } catch (err) {
    if (err instanceof Refused) return err.outcome;
    throw err;
  }
}

/** Marks the agent's credential revoked; false when there is no such agent or it was revoked already. */
export async function revokeAgent(db: Kysely<StoreDatabase>, name: string, at: number): Promise<boolean> {
  checkTime('revokeAgent', 'at', at);
  if (!isStorableText(name)) return false;
  const result = await db
    .updateTable('agents')
    .set({ revoked_at: at, status: 'disconnected' })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Removes the agent (and with it its credential); false when there was none. */
export async function deleteAgent(db: Kysely<StoreDatabase>, name: string): Promise<boolean> {
  if (!isStorableText(name)) return false;
  const result = await db.deleteFrom('agents').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
