import type { Kysely, Selectable } from 'kysely';
import type { SilencesTable, StoreDatabase, SwitchesTable } from './schema.js';
import type { SilenceRecord, SwitchRecord } from './types.js';
import { checkTexts, checkTime, isStorableText, pageLimit, sinceBound } from './values.js';

/*
 * The silences and switches tables (0012): what operators switched (src/server/remediation/operating.ts).
 * KyselyStore calls these inside its #run, which classifies errors and refuses after close.
 */

export async function createSilence(db: Kysely<StoreDatabase>, s: SilenceRecord): Promise<void> {
  const operation = 'createSilence';
  checkTexts(operation, s);
  for (const field of ['createdAt', 'endsAt'] as const) checkTime(operation, field, s[field]);
  if (s.endedAt !== null) checkTime(operation, 'endedAt', s.endedAt);
  await db
    .insertInto('silences')
    .values({ id: s.id, alarm: s.alarm, hosts: s.hosts, reason: s.reason, created_by: s.createdBy, created_at: s.createdAt, ends_at: s.endsAt, ended_at: s.endedAt, ended_by: s.endedBy })
    .execute();
}

export async function endSilence(db: Kysely<StoreDatabase>, id: string, by: string, at: number): Promise<SilenceRecord | undefined> {
  checkTexts('endSilence', { by });
  checkTime('endSilence', 'at', at);
  if (!isStorableText(id)) return undefined;
  // Only one in force: ended early already, or past its end, it stays as it was.
  const row = await db
    .updateTable('silences')
    .set({ ended_at: at, ended_by: by })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .where('ends_at', '>', at)
    .returningAll()
    .executeTakeFirst();
  return row && silenceOf(row);
}

export async function listSilences(db: Kysely<StoreDatabase>, since: number, limit?: number): Promise<SilenceRecord[]> {
  const from = sinceBound('listSilences', since) ?? 0;
  const rows = await db
    .selectFrom('silences')
    .selectAll()
    .where((eb) => eb.or([eb('ended_at', 'is', null).and('ends_at', '>=', from), eb('ended_at', '>=', from)]))
    .orderBy('ends_at', 'desc')
    .orderBy('id', 'desc')
    .limit(pageLimit('listSilences', limit))
    .execute();
  return rows.map(silenceOf);
}

export async function setSwitch(db: Kysely<StoreDatabase>, s: SwitchRecord): Promise<boolean> {
  checkTexts('setSwitch', s);
  checkTime('setSwitch', 'setAt', s.setAt);
  const existed = await db.selectFrom('switches').select('kind').where('kind', '=', s.kind).where('name', '=', s.name).executeTakeFirst();
  const row = { kind: s.kind, name: s.name, reason: s.reason, set_by: s.setBy, set_at: s.setAt };
  await db
    .insertInto('switches')
    .values(row)
    .onConflict((oc) => oc.columns(['kind', 'name']).doUpdateSet({ reason: row.reason, set_by: row.set_by, set_at: row.set_at }))
    .execute();
  return existed === undefined;
}

export async function clearSwitch(db: Kysely<StoreDatabase>, kind: SwitchRecord['kind'], name: string): Promise<SwitchRecord | undefined> {
  if (!isStorableText(name)) return undefined;
  const row = await db.deleteFrom('switches').where('kind', '=', kind).where('name', '=', name).returningAll().executeTakeFirst();
  return row && switchOf(row);
}

export async function listSwitches(db: Kysely<StoreDatabase>): Promise<SwitchRecord[]> {
  return (await db.selectFrom('switches').selectAll().orderBy('kind').orderBy('name').execute()).map(switchOf);
}

function silenceOf(r: Selectable<SilencesTable>): SilenceRecord {
  return {
    id: r.id,
    alarm: r.alarm,
    hosts: r.hosts,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    endsAt: Number(r.ends_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    endedBy: r.ended_by,
  };
}

function switchOf(r: Selectable<SwitchesTable>): SwitchRecord {
  return { kind: r.kind, name: r.name, reason: r.reason, setBy: r.set_by, setAt: Number(r.set_at) };
}
