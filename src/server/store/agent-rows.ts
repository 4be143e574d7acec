/*
 * The agents table: one row per enrolled host, keyed by name. Enrolling, revoking and deleting
 * are enrollment's (enrollment-queries.ts). KyselyStore calls these inside its #run, which
 * classifies errors and refuses after close.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { StoreError } from './errors.js';
import type { AgentsTable, StoreDatabase } from './schema.js';
import type { AgentRecord, Store } from './types.js';
import { checkInt32, checkTexts, checkTime, encodeJson, isStorableText, type JsonReader, recordOf } from './values.js';

/** What updateAgentState may change. */
export type AgentStatePatch = Parameters<Store['updateAgentState']>[1];

/** Every column of an agent but its name (the key upserts conflict on). */
export function agentColumns(operation: string, agent: AgentRecord) {
  checkTexts(operation, agent);
  checkInt32(operation, 'definitionsVersion', agent.definitionsVersion);
  return {
    id: agent.id,
    host_id: agent.hostId,
    credential_hash: agent.credentialHash,
    tags: encodeJson(operation, 'tags', agent.tags),
    facts: encodeJson(operation, 'facts', agent.facts),
    status: agent.status,
    enrolled_at: agent.enrolledAt,
    last_seen_at: agent.lastSeenAt,
    enrolled_with: agent.enrolledWith,
    definitions_version: agent.definitionsVersion,
    enrolled_with_id: agent.enrolledWithId,
    revoked_at: agent.revokedAt,
  };
}

/** Inserts, or replaces every field (id included) of the agent with the same name, so that
 *  afterwards getAgentByName(agent.name) equals `agent`. */
export async function upsertAgent(db: Kysely<StoreDatabase>, agent: AgentRecord): Promise<void> {
  const fields = agentColumns('upsertAgent', agent);
  await db
    .insertInto('agents')
    .values({ name: agent.name, ...fields })
    .onConflict((oc) => oc.column('name').doUpdateSet(fields))
    .execute();
}

/** The agent whose credential hash or name (`by`) is `key`; undefined when there is none. */
export async function findAgent(
  db: Kysely<StoreDatabase>,
  json: JsonReader,
  by: 'credential_hash' | 'name',
  key: string,
): Promise<AgentRecord | undefined> {
  if (!isStorableText(key)) return undefined;
  const row = await db.selectFrom('agents').selectAll().where(by, '=', key).executeTakeFirst();
  return row === undefined ? undefined : toAgent(json, row);
}

export async function listAgents(db: Kysely<StoreDatabase>, json: JsonReader): Promise<AgentRecord[]> {
  const rows = await db.selectFrom('agents').selectAll().orderBy('name').execute();
  return rows.map((row) => toAgent(json, row));
}

/** Sets only the fields present in `patch`. Throws STORE_NOT_FOUND for an unknown id. */
export async function updateAgentState(db: Kysely<StoreDatabase>, id: string, patch: AgentStatePatch): Promise<void> {
  const operation = 'updateAgentState';
  checkTexts(operation, { status: patch.status });
  if (patch.definitionsVersion !== undefined) checkInt32(operation, 'definitionsVersion', patch.definitionsVersion);
  const set = {
    ...(patch.status === undefined ? {} : { status: patch.status }),
    ...(patch.lastSeenAt === undefined ? {} : { last_seen_at: patch.lastSeenAt }),
    ...(patch.tags === undefined ? {} : { tags: encodeJson(operation, 'tags', patch.tags) }),
    ...(patch.facts === undefined ? {} : { facts: encodeJson(operation, 'facts', patch.facts) }),
    ...(patch.definitionsVersion === undefined ? {} : { definitions_version: patch.definitionsVersion }),
  };
  let found: boolean;
  if (!isStorableText(id)) {
    found = false;
  } else if (Object.keys(set).length === 0) {
    found = (await db.selectFrom('agents').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  } else {
    const result = await db.updateTable('agents').set(set).where('id', '=', id).executeTakeFirst();
    found = result.numUpdatedRows > 0n;
  }
  if (!found) throw new StoreError('STORE_NOT_FOUND', operation, `no agent with id ${JSON.stringify(id)}`);
}

/** Agents per touchAgents statement: three bound values each, far under both databases' limits. */
const TOUCH_CHUNK = 1000;

/**
 * Writes many agents' lastSeenAt in one UPDATE per TOUCH_CHUNK agents (a CASE on the id), instead
 * of one statement per agent: presence's periodic writes at fleet scale. An id that names no agent
 * is skipped (it was deleted meanwhile); a time only moves forward.
 */
export async function touchAgents(db: Kysely<StoreDatabase>, seen: readonly { readonly id: string; readonly at: number }[]): Promise<void> {
  const operation = 'touchAgents';
  const rows = seen.filter((s) => isStorableText(s.id));
  for (const s of rows) checkTime(operation, 'at', s.at);
  for (let i = 0; i < rows.length; i += TOUCH_CHUNK) {
    const chunk = rows.slice(i, i + TOUCH_CHUNK);
    const at = sql<number>`case ${sql.join(chunk.map((s) => sql`when id = ${s.id} then cast(${s.at} as bigint)`), sql` `)} end`;
    await db
      .updateTable('agents')
      .set({ last_seen_at: sql`case when last_seen_at is null or last_seen_at < ${at} then ${at} else last_seen_at end` })
      .where('id', 'in', chunk.map((s) => s.id))
      .execute();
  }
}

function toAgent(json: JsonReader, row: Selectable<AgentsTable>): AgentRecord {
  return recordOf<AgentRecord>(json, row, ['tags', 'facts']);
}
