/*
 * The definition_versions table: each applied set of definitions, versions counting up from 1.
 * KyselyStore calls these inside its #run, which classifies errors and refuses after close.
 */
import type { Kysely, Selectable } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import type { DefinitionVersionsTable, StoreDatabase } from './schema.js';
import type { DefinitionVersionRecord, Page } from './types.js';
import { checkInt32, checkTexts, encodeJson, MAX_INT32, pageBefore, pageLimit, type JsonReader } from './values.js';

type DefinitionVersionSummary = Omit<DefinitionVersionRecord, 'definitions'>;

/** Whether `version` could be a stored definitions version (a lookup by one that could not finds
 *  nothing; PostgreSQL would reject a 1.5 or a 2^40 where SQLite finds nothing). */
function isVersion(version: unknown): version is number {
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= MAX_INT32;
}

/**
 * Stores `record` as version `expectedCurrent + 1` (1 when `expectedCurrent` is null) if the
 * current version is still `expectedCurrent`; otherwise STORE_CONFLICT naming the current one.
 *
 * Atomic without a transaction: versions are only ever added, one above the current, and the
 * version is the primary key. Of two applies planned against the same version, both may pass
 * the check below, but only one insert of that version number can succeed; the other hits the
 * primary key (PostgreSQL: waits for the first to commit, then fails) and becomes the conflict.
 * A caller planning against a version that does not exist yet fails the check, so versions
 * never have gaps.
 */
export async function saveDefinitionVersion(
  db: Kysely<StoreDatabase>,
  record: Omit<DefinitionVersionRecord, 'version'>,
  expectedCurrent: number | null,
): Promise<number> {
  const operation = 'saveDefinitionVersion';
  if (expectedCurrent !== null && !isVersion(expectedCurrent)) {
    throw new StoreError(
      'STORE_INVALID',
      operation,
      `expectedCurrent must be null or a version (an integer >= 1), got ${String(expectedCurrent)}`,
    );
  }
  checkTexts(operation, record);
  if (!Array.isArray(record.definitions)) throw new StoreError('STORE_INVALID', operation, 'definitions must be an array');
  const summary: unknown = record.summary;
  if (typeof summary !== 'object' || summary === null) {
    throw new StoreError('STORE_INVALID', operation, 'summary must be an object { create, update, delete }');
  }
  for (const key of ['create', 'update', 'delete'] as const) checkInt32(operation, `summary.${key}`, record.summary[key]);
  const version = (expectedCurrent ?? 0) + 1;
  const row = {
    version,
    created_at: record.createdAt,
    created_by: record.createdBy,
    definitions: encodeJson(operation, 'definitions', record.definitions),
    summary_create: record.summary.create,
    summary_update: record.summary.update,
    summary_delete: record.summary.delete,
  };
  const current = await currentVersion(db);
  if (current !== expectedCurrent) throw definitionsConflict(operation, current, expectedCurrent);
  try {
    await db.insertInto('definition_versions').values(row).execute();
  } catch (error) {
    const classified = toStoreError(operation, error);
    if (classified.code !== 'STORE_CONFLICT') throw classified;
    throw definitionsConflict(operation, await currentVersion(db), expectedCurrent, error);
  }
  return version;
}

/** The highest version, or undefined before the first apply. */
export async function currentDefinitions(db: Kysely<StoreDatabase>, json: JsonReader): Promise<DefinitionVersionRecord | undefined> {
  const row = await db.selectFrom('definition_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : toDefinitionVersion(json, row);
}

export async function getDefinitionVersion(
  db: Kysely<StoreDatabase>,
  json: JsonReader,
  version: number,
): Promise<DefinitionVersionRecord | undefined> {
  if (!isVersion(version)) return undefined;
  const row = await db.selectFrom('definition_versions').selectAll().where('version', '=', version).executeTakeFirst();
  return row === undefined ? undefined : toDefinitionVersion(json, row);
}

/** Newest first (by createdAt, then version), without the definitions themselves; `before`
 *  pages backwards by createdAt; limit 100 by default, 1000 at most. */
export async function listDefinitionVersions(db: Kysely<StoreDatabase>, page: Page): Promise<DefinitionVersionSummary[]> {
  const operation = 'listDefinitionVersions';
  const limit = pageLimit(operation, page.limit);
  const before = pageBefore(operation, page.before);
  if (limit === 0) return [];
  let query = db
    .selectFrom('definition_versions')
    .select(['version', 'created_at', 'created_by', 'summary_create', 'summary_update', 'summary_delete']);
  if (before !== undefined) query = query.where('created_at', '<', before);
  const rows = await query.orderBy('created_at', 'desc').orderBy('version', 'desc').limit(limit).execute();
  return rows.map(toDefinitionVersionSummary);
}

/** The current definitions version, null before the first. */
async function currentVersion(db: Kysely<StoreDatabase>): Promise<number | null> {
  const row = await db.selectFrom('definition_versions').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row?.version ?? null;
}

function definitionsConflict(operation: string, current: number | null, expected: number | null, cause?: unknown): StoreError {
  const at = current === null ? 'no definitions version yet' : `definitions are at version ${current}`;
  const planned = expected === null ? 'no version' : `version ${expected}`;
  return new StoreError(
    'STORE_CONFLICT',
    operation,
    `${at}, but this apply was planned against ${planned} (another apply got in first?): plan again against the current version`,
    cause === undefined ? undefined : { cause },
  );
}

type DefinitionVersionSummaryRow = Pick<
  Selectable<DefinitionVersionsTable>,
  'version' | 'created_at' | 'created_by' | 'summary_create' | 'summary_update' | 'summary_delete'
>;

function toDefinitionVersionSummary(row: DefinitionVersionSummaryRow): DefinitionVersionSummary {
  return {
    version: row.version,
    createdAt: row.created_at,
    createdBy: row.created_by,
    summary: { create: row.summary_create, update: row.summary_update, delete: row.summary_delete },
  };
}

function toDefinitionVersion(json: JsonReader, row: Selectable<DefinitionVersionsTable>): DefinitionVersionRecord {
  return { ...toDefinitionVersionSummary(row), definitions: json<unknown[]>(row.definitions) };
}
