/*
 * The audit table: who did what to what, append-only. KyselyStore calls these inside its #run,
 * which classifies errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuditTable, StoreDatabase } from './schema.js';
import { anyColumnContains, usableTextFilter } from './text-match.js';
import type { AuditRecord, Page } from './types.js';
import { checkTexts, encodeJson, isStorableText, pageBefore, pageLimit, type JsonReader, recordOf } from './values.js';

export async function appendAudit(db: Kysely<StoreDatabase>, entry: AuditRecord): Promise<void> {
  checkTexts('appendAudit', entry);
  await db
    .insertInto('audit')
    .values({
      id: entry.id,
      time: entry.time,
      principal: entry.principal,
      action: entry.action,
      target: entry.target,
      run_id: entry.runId,
      outcome: entry.outcome,
      detail: encodeJson('appendAudit', 'detail', entry.detail),
    })
    .execute();
}

/** The columns the audit log's text filter searches. */
const AUDIT_TEXT_COLUMNS = ['principal', 'action', 'target'] as const;

/**
 * Newest first (by time, then id: audit ids sort in the order one process made them, so entries of one
 * millisecond keep their order), optionally one principal's and/or one action's entries (exact),
 * and/or those whose principal, action or target contains `text` (any case).
 */
export async function listAudit(
  db: Kysely<StoreDatabase>,
  json: JsonReader,
  page: Page & { principal?: string; action?: string; text?: string },
): Promise<AuditRecord[]> {
  const limit = pageLimit('listAudit', page.limit);
  const before = pageBefore('listAudit', page.before);
  if (limit === 0) return [];
  // A filter no stored entry can match (PostgreSQL would reject it rather than find nothing).
  if (page.principal !== undefined && !isStorableText(page.principal)) return [];
  if (page.action !== undefined && !isStorableText(page.action)) return [];
  if (!usableTextFilter('listAudit', page.text)) return [];
  let query = db.selectFrom('audit').selectAll();
  if (before !== undefined) query = query.where('time', '<', before);
  if (page.principal !== undefined) query = query.where('principal', '=', page.principal);
  if (page.action !== undefined) query = query.where('action', '=', page.action);
  const text = page.text;
  if (text !== undefined) query = query.where((eb) => anyColumnContains(eb, AUDIT_TEXT_COLUMNS, text));
  const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => toAudit(json, row));
}

function toAudit(json: JsonReader, row: Selectable<AuditTable>): AuditRecord {
  return recordOf<AuditRecord>(json, row, ['detail']);
}
