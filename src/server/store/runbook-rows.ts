/*
 * The runbooks and runbook_runs tables: runbooks edited in the web UI, and their saved runs.
 * KyselyStore calls these inside its #run, which classifies errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import { StoreError } from './errors.js';
import type { RunbookRunsTable, RunbooksTable, StoreDatabase } from './schema.js';
import type { Page, RunbookRecord, RunbookRunRecord } from './types.js';
import { checkTexts, checkTime, encodeJson, isStorableText, pageBefore, pageLimit, type JsonReader, recordOf } from './values.js';

/** STORE_CONFLICT when the id or the name is taken. */
export async function createRunbook(db: Kysely<StoreDatabase>, runbook: RunbookRecord): Promise<void> {
  const operation = 'createRunbook';
  checkTexts(operation, runbook);
  checkTime(operation, 'updatedAt', runbook.updatedAt);
  await db.insertInto('runbooks').values(runbookRow(operation, runbook)).execute();
}

/** STORE_NOT_FOUND when there is no runbook with this id, STORE_CONFLICT when the name is another's. */
export async function updateRunbook(db: Kysely<StoreDatabase>, runbook: RunbookRecord): Promise<void> {
  const operation = 'updateRunbook';
  checkTexts(operation, runbook);
  checkTime(operation, 'updatedAt', runbook.updatedAt);
  const { id: _id, ...row } = runbookRow(operation, runbook);
  const result = isStorableText(runbook.id) ? await db.updateTable('runbooks').set(row).where('id', '=', runbook.id).executeTakeFirst() : undefined;
  if (!result || result.numUpdatedRows === 0n) throw new StoreError('STORE_NOT_FOUND', operation, `no runbook with id ${runbook.id}`);
}

export async function getRunbook(db: Kysely<StoreDatabase>, json: JsonReader, id: string): Promise<RunbookRecord | undefined> {
  if (!isStorableText(id)) return undefined;
  const row = await db.selectFrom('runbooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRunbook(json, row);
}

export async function listRunbooks(db: Kysely<StoreDatabase>, json: JsonReader): Promise<RunbookRecord[]> {
  const rows = await db.selectFrom('runbooks').selectAll().orderBy('name').execute();
  return rows.map((row) => toRunbook(json, row));
}

/** Deletes the runbook and its saved runs; false when there was none. */
export async function deleteRunbook(db: Kysely<StoreDatabase>, id: string): Promise<boolean> {
  if (!isStorableText(id)) return false;
  return db.transaction().execute(async (trx) => {
    // Explicitly, not only by the foreign key's cascade: the same on every back end and pragma.
    await trx.deleteFrom('runbook_runs').where('runbook_id', '=', id).execute();
    const result = await trx.deleteFrom('runbooks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

/** STORE_INVALID when the runbook does not exist (the foreign key). */
export async function saveRunbookRun(db: Kysely<StoreDatabase>, run: RunbookRunRecord): Promise<void> {
  const operation = 'saveRunbookRun';
  checkTexts(operation, run);
  checkTime(operation, 'createdAt', run.createdAt);
  await db
    .insertInto('runbook_runs')
    .values({
      id: run.id,
      runbook_id: run.runbookId,
      created_at: run.createdAt,
      created_by: run.createdBy,
      params: encodeJson(operation, 'params', run.params),
      outputs: encodeJson(operation, 'outputs', run.outputs),
    })
    .execute();
}

/** Newest first; `before` pages backwards by createdAt. */
export async function listRunbookRuns(db: Kysely<StoreDatabase>, json: JsonReader, runbookId: string, page: Page): Promise<RunbookRunRecord[]> {
  const operation = 'listRunbookRuns';
  const limit = pageLimit(operation, page.limit);
  const before = pageBefore(operation, page.before);
  if (limit === 0 || !isStorableText(runbookId)) return [];
  let query = db.selectFrom('runbook_runs').selectAll().where('runbook_id', '=', runbookId);
  if (before !== undefined) query = query.where('created_at', '<', before);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => toRunbookRun(json, row));
}

export async function getRunbookRun(db: Kysely<StoreDatabase>, json: JsonReader, id: string): Promise<RunbookRunRecord | undefined> {
  if (!isStorableText(id)) return undefined;
  const row = await db.selectFrom('runbook_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRunbookRun(json, row);
}

/** The runbook's columns (its JSON checked and encoded). */
function runbookRow(operation: string, r: RunbookRecord) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    params: encodeJson(operation, 'params', r.params),
    cells: encodeJson(operation, 'cells', r.cells),
    updated_at: r.updatedAt,
    updated_by: r.updatedBy,
  };
}

function toRunbook(json: JsonReader, row: Selectable<RunbooksTable>): RunbookRecord {
  return recordOf<RunbookRecord>(json, row, ['params', 'cells']);
}

function toRunbookRun(json: JsonReader, row: Selectable<RunbookRunsTable>): RunbookRunRecord {
  return recordOf<RunbookRunRecord>(json, row, ['params', 'outputs']);
}
