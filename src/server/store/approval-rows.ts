/*
 * The approvals table: bot runs waiting for a person, and the decision each got. KyselyStore
 * calls these inside its #run, which classifies errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import { StoreError } from './errors.js';
import type { ApprovalsTable, StoreDatabase } from './schema.js';
import type { ApprovalRecord, ApprovalStatus, Page } from './types.js';
import { checkTexts, checkTime, encodeJson, isStorableText, pageBefore, pageLimit, type JsonReader, recordOf } from './values.js';

/** The decisions decideApproval takes, checked at run time (a cast or plain JavaScript can pass anything). */
const DECISIONS: ReadonlySet<string> = new Set<ApprovalStatus>(['approved', 'denied', 'expired']);

/** What decideApproval records. */
export type ApprovalDecision = { status: Exclude<ApprovalStatus, 'pending'>; by: string; at: number; runId?: string };

/** A pending approval has no decision (decidedBy, decidedAt, runId null); a decided one has
 *  decidedBy and decidedAt: anything else is STORE_INVALID. */
export async function createApproval(db: Kysely<StoreDatabase>, approval: ApprovalRecord): Promise<void> {
  const operation = 'createApproval';
  checkTexts(operation, approval);
  await db
    .insertInto('approvals')
    .values({
      id: approval.id,
      created_at: approval.createdAt,
      expires_at: approval.expiresAt,
      bot: approval.bot,
      action: approval.action,
      host: approval.host,
      resource: approval.resource,
      statement: approval.statement,
      details: encodeJson(operation, 'details', approval.details),
      status: approval.status,
      decided_by: approval.decidedBy,
      decided_at: approval.decidedAt,
      run_id: approval.runId,
    })
    .execute();
}

export async function getApproval(db: Kysely<StoreDatabase>, json: JsonReader, id: string): Promise<ApprovalRecord | undefined> {
  if (!isStorableText(id)) return undefined;
  const row = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toApproval(json, row);
}

/** Newest first (by createdAt, then id), optionally with one status; `before` pages backwards
 *  by createdAt. A status is listed as stored: a pending approval past its expiresAt stays
 *  `pending` until someone decides it `expired`. */
export async function listApprovals(
  db: Kysely<StoreDatabase>,
  json: JsonReader,
  filter: Page & { status?: ApprovalStatus },
): Promise<ApprovalRecord[]> {
  const operation = 'listApprovals';
  const limit = pageLimit(operation, filter.limit);
  const before = pageBefore(operation, filter.before);
  if (limit === 0) return [];
  if (filter.status !== undefined && !isStorableText(filter.status)) return [];
  let query = db.selectFrom('approvals').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (before !== undefined) query = query.where('created_at', '<', before);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => toApproval(json, row));
}

/**
 * Moves a pending approval to `decision.status` in one conditional UPDATE, so of two people
 * deciding at once exactly one gets true. False when there is no such approval, when it is no
 * longer pending, or (approved/denied) when `decision.at` is at or past its expiresAt: an
 * approval that has run out cannot be approved late even if nobody has marked it expired yet.
 * Marking it `expired` is allowed whenever it is pending.
 */
export async function decideApproval(db: Kysely<StoreDatabase>, id: string, decision: ApprovalDecision): Promise<boolean> {
  const operation = 'decideApproval';
  checkTexts(operation, decision);
  if (!DECISIONS.has(decision.status)) {
    throw new StoreError('STORE_INVALID', operation, `status must be approved, denied or expired, got ${String(decision.status)}`);
  }
  checkTime(operation, 'at', decision.at);
  if (!isStorableText(id)) return false;
  let query = db
    .updateTable('approvals')
    .set({ status: decision.status, decided_by: decision.by, decided_at: decision.at, run_id: decision.runId ?? null })
    .where('id', '=', id)
    .where('status', '=', 'pending');
  if (decision.status !== 'expired') query = query.where('expires_at', '>', decision.at);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toApproval(json: JsonReader, row: Selectable<ApprovalsTable>): ApprovalRecord {
  return recordOf<ApprovalRecord>(json, row, ['details']);
}
