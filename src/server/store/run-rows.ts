/*
 * The runs and run_results tables: one row per statement run, and its results per resource in
 * the order they streamed in. KyselyStore calls these inside its #run, which classifies errors
 * and refuses after close.
 */
import type { Kysely, RawBuilder, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { RunKind } from '../../definitions/index.js';
import { APPROVING_BOT, BOT_PREFIX, RUNBOOK_CELL, RUN_KINDS, SCHEDULE_PREFIX } from '../../definitions/index.js';
import { StoreError } from './errors.js';
import type { RunResultsTable, RunsTable, StoreDatabase } from './schema.js';
import { appendAudit } from './audit-rows.js';
import type { AuditRecord, RunFilter, RunRecord, RunResultRecord, Store } from './types.js';
import { checkTexts, encodeJson, isStorableText, pageBefore, pageLimit, sinceBound, type JsonReader, recordOf } from './values.js';

/** Rows per INSERT when writing results: well under both databases' bound-parameter limits. */
const INSERT_CHUNK = 500;

/** How a run ended (finishRun). */
export type RunEnd = Parameters<Store['finishRun']>[1];

export async function createRun(db: Kysely<StoreDatabase>, run: RunRecord): Promise<void> {
  checkTexts('createRun', run);
  await db.insertInto('runs').values(runRow('createRun', run)).execute();
}

/** A run as its row. */
function runRow(operation: string, run: RunRecord) {
  return {
    id: run.id,
    principal: run.principal,
    statement: run.statement,
    plan: encodeJson(operation, 'plan', run.plan),
    status: run.status,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    targets: run.targets,
    failures: run.failures,
    replica_id: run.replicaId ?? null,
  };
}

/** Throws STORE_NOT_FOUND for an unknown run. */
export async function finishRun(db: Kysely<StoreDatabase>, id: string, patch: RunEnd): Promise<void> {
  checkTexts('finishRun', patch);
  if (!isStorableText(id)) throw new StoreError('STORE_NOT_FOUND', 'finishRun', 'no run with that id');
  const result = await db
    .updateTable('runs')
    .set({ status: patch.status, finished_at: patch.finishedAt, targets: patch.targets, failures: patch.failures })
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new StoreError('STORE_NOT_FOUND', 'finishRun', `no run with id ${JSON.stringify(id)}`);
  }
}

export async function interruptRuns(db: Kysely<StoreDatabase>, json: JsonReader, at: number): Promise<RunRecord[]> {
  const rows = await db.updateTable('runs').set({ status: 'interrupted', finished_at: at }).where('status', '=', 'running').returningAll().execute();
  return rows.map((row) => toRun(json, row));
}

/** Writes the batch in one transaction: all of it or none of it. A result for a run that does
 *  not exist is STORE_INVALID. */
export async function addRunResults(db: Kysely<StoreDatabase>, results: readonly RunResultRecord[]): Promise<void> {
  if (results.length === 0) return;
  await db.transaction().execute((trx) => insertRunResults(trx, 'addRunResults', results));
}

/**
 * A run that is over when it is first recorded (a bot's run, from its `bot_ran` event): the run,
 * its results and its audit entry in one transaction, so none is ever stored without the others,
 * whichever moment the process dies at. Returns false and writes nothing when a run with that id
 * is stored already (a redelivered event).
 */
export async function recordFinishedRun(db: Kysely<StoreDatabase>, run: RunRecord, results: readonly RunResultRecord[], entry: AuditRecord): Promise<boolean> {
  const operation = 'recordFinishedRun';
  checkTexts(operation, run);
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('runs')
      .values(runRow(operation, run))
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted === undefined) return false;
    await insertRunResults(trx, operation, results);
    await appendAudit(trx, entry);
    return true;
  });
}

/** The results' rows, in chunks, on a transaction the caller holds. */
async function insertRunResults(trx: Kysely<StoreDatabase>, operation: string, results: readonly RunResultRecord[]): Promise<void> {
  const rows = results.map((r) => {
    checkTexts(operation, r);
    return {
      run_id: r.runId,
      resource_id: r.resourceId,
      resource_type: r.resourceType,
      host: r.host,
      status: r.status,
      exit_code: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      error: r.error,
      result_values: encodeJson(operation, 'values', r.values),
      duration_ms: r.durationMs,
    };
  });
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx.insertInto('run_results').values(rows.slice(i, i + INSERT_CHUNK)).execute();
  }
}

/** The run and its results in the order they were added. */
export async function getRun(
  db: Kysely<StoreDatabase>,
  json: JsonReader,
  id: string,
): Promise<{ run: RunRecord; results: RunResultRecord[] } | undefined> {
  if (!isStorableText(id)) return undefined;
  const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const resultRows = await db.selectFrom('run_results').selectAll().where('run_id', '=', id).orderBy('seq').execute();
  return { run: toRun(json, row), results: resultRows.map((r) => toRunResult(json, r)) };
}

/** A LIKE pattern matching `text` literally (escape character `\`). */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `principal` starts with `prefix`, compared exactly (LIKE ignores case on SQLite). */
const principalStartsWith = (prefix: string) => sql<boolean>`substr(principal, 1, ${sql.lit(prefix.length)}) = ${prefix}`;

/** A run approved by a person for `bot` (definitions' approverPrincipal), or any approved run. */
const approvedFor = (bot?: string) => sql<boolean>`principal like ${`%${likeLiteral(APPROVING_BOT)}${bot === undefined ? '%' : likeLiteral(bot)})`} escape '\\'`;

/** A run of a runbook's cell (definitions' runbookPrincipal: `alice (runbook:disk-full cell 3)`). */
const fromRunbook = () => sql<boolean>`principal like ${`%${likeLiteral(RUNBOOK_CELL)}% cell %)`} escape '\\'`;

/** How a run started (definitions' runKindOf), as a condition on its principal. */
function kindCondition(kind: RunKind): RawBuilder<boolean> {
  const person = sql<boolean>`not ${principalStartsWith(BOT_PREFIX)} and not ${principalStartsWith(SCHEDULE_PREFIX)}`;
  switch (kind) {
    case 'bot':
      return principalStartsWith(BOT_PREFIX);
    case 'schedule':
      return principalStartsWith(SCHEDULE_PREFIX);
    case 'approval':
      return sql<boolean>`(${person} and ${approvedFor()})`;
    case 'runbook':
      return sql<boolean>`(${person} and not ${approvedFor()} and ${fromRunbook()})`;
    case 'adhoc':
      return sql<boolean>`(${person} and not ${approvedFor()} and not ${fromRunbook()})`;
  }
}

/**
 * Newest first (by startedAt, then id), filtered (RunFilter); `before` pages backwards; limit 100
 * by default, 1000 at most. The host filter asks run_results by run (its index), per candidate run.
 */
export async function listRuns(db: Kysely<StoreDatabase>, json: JsonReader, filter: RunFilter): Promise<RunRecord[]> {
  const operation = 'listRuns';
  const limit = pageLimit(operation, filter.limit);
  const before = pageBefore(operation, filter.before);
  const since = sinceBound(operation, filter.since);
  if (limit === 0) return [];
  const { status, principal, kind, bot, host } = filter;
  if (kind !== undefined && !(RUN_KINDS as readonly string[]).includes(kind)) throw new StoreError('STORE_INVALID', operation, `kind must be one of ${RUN_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  // A filter no stored run can match (PostgreSQL would reject it rather than find nothing).
  if ([status, principal, bot, host].some((v) => v !== undefined && !isStorableText(v))) return [];
  let query = db.selectFrom('runs').selectAll();
  if (status !== undefined) query = query.where('status', '=', status);
  if (principal !== undefined) query = query.where('principal', '=', principal);
  if (kind !== undefined) query = query.where(kindCondition(kind));
  if (bot !== undefined) query = query.where(sql<boolean>`(${principalStartsWith(`${BOT_PREFIX}${bot}@`)} or ${approvedFor(bot)})`);
  if (host !== undefined) query = query.where(({ exists, selectFrom }) => exists(selectFrom('run_results').select('run_results.seq').whereRef('run_results.run_id', '=', 'runs.id').where('run_results.host', '=', host)));
  if (since !== undefined) query = query.where('started_at', '>=', since);
  if (before !== undefined) query = query.where('started_at', '<', before);
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => toRun(json, row));
}

/** A run row as a RunRecord; `replicaId` only when the row names one, so records of runs no
 *  replica executes (bot runs, the embedded mode) read as they did before 0010. */
export function toRun(json: JsonReader, row: Selectable<RunsTable>): RunRecord {
  const { replica_id: replicaId, ...rest } = row;
  const run = recordOf<RunRecord>(json, rest, ['plan']);
  return replicaId === null ? run : { ...run, replicaId };
}

function toRunResult(json: JsonReader, row: Selectable<RunResultsTable>): RunResultRecord {
  return {
    runId: row.run_id,
    resourceId: row.resource_id,
    resourceType: row.resource_type,
    host: row.host,
    status: row.status,
    exitCode: row.exit_code,
    stdout: row.stdout,
    stderr: row.stderr,
    error: row.error,
    values: json<Record<string, unknown>>(row.result_values),
    durationMs: row.duration_ms,
  };
}
