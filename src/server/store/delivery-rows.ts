/*
 * The deliveries table (0014): outbound deliveries that finally failed. KyselyStore calls these
 * inside its #run, which classifies errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DeliveriesTable, StoreDatabase } from './schema.js';
import type { DeliveryFilter, DeliveryRecord } from './types.js';
import { checkInt32, checkTexts, checkTime, isStorableText, pageBefore, pageLimit } from './values.js';

/** Records older than this are pruned when one is recorded: the list is for recent trouble. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;

/** Stores one delivery's final outcome and prunes those older than DELIVERY_RETENTION_MS. */
export async function recordDelivery(db: Kysely<StoreDatabase>, d: DeliveryRecord): Promise<void> {
  const operation = 'recordDelivery';
  checkTexts(operation, { id: d.id, integration: d.integration, type: d.type, target: d.target, eventId: d.eventId, eventType: d.eventType, status: d.status, error: d.error });
  checkInt32(operation, 'attempts', d.attempts);
  if (d.httpStatus !== null) checkInt32(operation, 'httpStatus', d.httpStatus);
  checkTime(operation, 'firstAt', d.firstAt);
  checkTime(operation, 'time', d.time);
  await db
    .insertInto('deliveries')
    .values({ id: d.id, integration: d.integration, type: d.type, target: d.target, event_id: d.eventId, event_type: d.eventType, status: d.status, attempts: d.attempts, http_status: d.httpStatus, error: d.error, first_at: d.firstAt, time: d.time })
    .execute();
  await db.deleteFrom('deliveries').where('time', '<', d.time - DELIVERY_RETENTION_MS).execute();
}

/** Newest first (by time, then id), optionally one integration's or one type's (exact). */
export async function listDeliveries(db: Kysely<StoreDatabase>, filter: DeliveryFilter): Promise<DeliveryRecord[]> {
  const limit = pageLimit('listDeliveries', filter.limit);
  const before = pageBefore('listDeliveries', filter.before);
  if (limit === 0) return [];
  if (filter.integration !== undefined && !isStorableText(filter.integration)) return [];
  if (filter.type !== undefined && !isStorableText(filter.type)) return [];
  let query = db.selectFrom('deliveries').selectAll();
  if (before !== undefined) query = query.where('time', '<', before);
  if (filter.integration !== undefined) query = query.where('integration', '=', filter.integration);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toDelivery);
}

function toDelivery(row: Selectable<DeliveriesTable>): DeliveryRecord {
  return {
    id: row.id,
    integration: row.integration,
    type: row.type,
    target: row.target,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: Number(row.attempts),
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: row.error,
    firstAt: Number(row.first_at),
    time: Number(row.time),
  };
}
