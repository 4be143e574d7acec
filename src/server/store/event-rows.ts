/*
 * The events table: the fleet's timeline, idempotent by event id, and the counts the circuit
 * breaker and event retention ask for. KyselyStore calls these inside its #run, which classifies
 * errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import { StoreError } from './errors.js';
import type { EventsTable, StoreDatabase } from './schema.js';
import { anyColumnContains, usableTextFilter } from './text-match.js';
import type { EventRecord, Page } from './types.js';
import { checkFiniteNumber, checkTexts, encodeJson, isStorableText, pageBefore, pageLimit, sinceBound, type JsonReader, recordOf } from './values.js';

/** Events per INSERT: a whole protocol message (at most 1000 events) in one statement, so the
 *  usual batch needs no transaction. 14 columns x 1000 rows = 14,000 parameters, under SQLite's
 *  32,766 and PostgreSQL's 65,535. */
const EVENT_CHUNK = 1000;

/** What listEvents filters on; `text` is a substring of host, alarm, bot or message (any case). */
export type EventFilter = Page & { type?: string; alarm?: string; bot?: string; host?: string; since?: number; text?: string };

/** The columns the events' text filter searches. */
const EVENT_TEXT_COLUMNS = ['host', 'alarm', 'bot', 'message'] as const;

/** A filter's event type as the column's type: a type no event has simply matches nothing. */
const asType = (type: string) => type as EventRecord['type'];

/**
 * Inserts the events whose id is not stored yet, all or none, and returns those (in the order
 * given). An id repeated within the batch counts once: its first occurrence. Of two
 * concurrent calls delivering the same event, exactly one returns it.
 */
export async function appendEvents(db: Kysely<StoreDatabase>, events: readonly EventRecord[]): Promise<EventRecord[]> {
  const operation = 'appendEvents';
  const byId = new Map<string, EventRecord>();
  for (const event of events) if (!byId.has(event.id)) byId.set(event.id, event);
  const rows = [...byId.values()].map((e) => {
    checkTexts(operation, e);
    checkFiniteNumber(operation, 'value', e.value);
    return {
      id: e.id,
      time: e.time,
      type: e.type,
      host: e.host,
      resource: e.resource,
      alarm: e.alarm,
      bot: e.bot,
      action: e.action,
      severity: e.severity,
      run_id: e.runId,
      principal: e.principal,
      message: e.message,
      value: e.value,
      details: encodeJson(operation, 'details', e.details),
    };
  });
  if (rows.length === 0) return [];
  // One order for every caller (PostgreSQL: two batches that overlap wait for each other's
  // rows in the same order instead of deadlocking).
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const inserted = new Set<string>();
  const insert = async (trx: Kysely<StoreDatabase>, chunk: typeof rows): Promise<void> => {
    const returned = await trx
      .insertInto('events')
      .values(chunk)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const { id } of returned) inserted.add(id);
  };
  if (rows.length <= EVENT_CHUNK) {
    // One statement is atomic by itself, and holds SQLite's write lock for no longer than it runs.
    await insert(db, rows);
  } else {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += EVENT_CHUNK) await insert(trx, rows.slice(i, i + EVENT_CHUNK));
    });
  }
  return [...byId.values()].filter((e) => inserted.has(e.id));
}

/** Newest first (by time, then id). `since` is inclusive, `before` exclusive; `text` matches a
 *  substring; the other filters are exact matches. Limit 100 by default, 1000 at most. */
export async function listEvents(db: Kysely<StoreDatabase>, json: JsonReader, filter: EventFilter): Promise<EventRecord[]> {
  const operation = 'listEvents';
  const limit = pageLimit(operation, filter.limit);
  const before = pageBefore(operation, filter.before);
  const since = sinceBound(operation, filter.since);
  if (limit === 0) return [];
  const { type, alarm, bot, host } = filter;
  // A filter no stored event can match (PostgreSQL would reject it rather than find nothing).
  if ([type, alarm, bot, host].some((v) => v !== undefined && !isStorableText(v))) return [];
  const text = filter.text;
  if (!usableTextFilter(operation, text)) return [];
  let query = db.selectFrom('events').selectAll();
  if (text !== undefined) query = query.where((eb) => anyColumnContains(eb, EVENT_TEXT_COLUMNS, text));
  if (type !== undefined) query = query.where('type', '=', asType(type));
  if (alarm !== undefined) query = query.where('alarm', '=', alarm);
  if (bot !== undefined) query = query.where('bot', '=', bot);
  if (host !== undefined) query = query.where('host', '=', host);
  if (since !== undefined) query = query.where('time', '>=', since);
  if (before !== undefined) query = query.where('time', '<', before);
  const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => toEvent(json, row));
}

/** How many events of `type` (and of that bot and/or alarm) have time >= `since`. */
export async function countEvents(
  db: Kysely<StoreDatabase>,
  filter: { type: string; bot?: string; alarm?: string; since: number },
): Promise<number> {
  const operation = 'countEvents';
  const since = sinceBound(operation, filter.since);
  if (since === undefined) throw new StoreError('STORE_INVALID', operation, 'since is required');
  const { type, bot, alarm } = filter;
  if (typeof type !== 'string') throw new StoreError('STORE_INVALID', operation, 'type is required');
  if ([type, bot, alarm].some((v) => v !== undefined && !isStorableText(v))) return 0;
  let query = db.selectFrom('events').where('type', '=', asType(type)).where('time', '>=', since);
  if (bot !== undefined) query = query.where('bot', '=', bot);
  if (alarm !== undefined) query = query.where('alarm', '=', alarm);
  const row = await query.select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Deletes the host's events older than its newest `keep` (ties with the oldest kept stay). */
export async function trimHostEvents(db: Kysely<StoreDatabase>, host: string, keep: number): Promise<number> {
  const operation = 'trimHostEvents';
  if (!Number.isSafeInteger(keep) || keep < 1) throw new StoreError('STORE_INVALID', operation, `keep must be a whole number of at least 1, found ${keep}`);
  if (!isStorableText(host)) return 0;
  // The time of the oldest event kept (events_host_time_idx); nothing to do when there are fewer.
  const edge = await db.selectFrom('events').select('time').where('host', '=', host).orderBy('time', 'desc').orderBy('id', 'desc').offset(keep - 1).limit(1).executeTakeFirst();
  if (edge === undefined) return 0;
  const result = await db.deleteFrom('events').where('host', '=', host).where('time', '<', edge.time).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** countEvents per host, leaving out events without a host. */
export async function countEventsByHost(
  db: Kysely<StoreDatabase>,
  filter: { type: string; bot: string; since: number },
): Promise<Map<string, number>> {
  const operation = 'countEventsByHost';
  const since = sinceBound(operation, filter.since);
  if (since === undefined) throw new StoreError('STORE_INVALID', operation, 'since is required');
  if (![filter.type, filter.bot].every(isStorableText)) return new Map();
  const rows = await db
    .selectFrom('events')
    .where('type', '=', asType(filter.type))
    .where('bot', '=', filter.bot)
    .where('time', '>=', since)
    .where('host', 'is not', null)
    .groupBy('host')
    .select((eb) => ['host', eb.fn.countAll<number | string | bigint>().as('n')])
    .execute();
  return new Map(rows.map((r) => [r.host as string, Number(r.n)]));
}

function toEvent(json: JsonReader, row: Selectable<EventsTable>): EventRecord {
  return recordOf<EventRecord>(json, row, ['details']);
}
