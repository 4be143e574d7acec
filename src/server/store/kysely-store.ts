/*
 * The Store, once, over Kysely: the same queries run on SQLite and PostgreSQL. What differs per
 * back end is passed in by the factories (sqlite.ts, postgres.ts): how a migration is made safe
 * against other processes, and how JSON columns come back (text from SQLite, already parsed from
 * PostgreSQL's JSONB).
 *
 * Every method turns driver errors into StoreError (errors.ts) and checks its input first where
 * the two databases would otherwise disagree (values.ts).
 */
import type { Kysely, Selectable } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import { deleteSecret, listSecrets, putSecret } from './secret-rows.js';
import { agentColumns, deleteAgent, enrollAgent, revokeAgent, useToken } from './enrollment-queries.js';
import type {
  AgentsTable,
  ApprovalsTable,
  AuditTable,
  DefinitionVersionsTable,
  EventsTable,
  RunbookRunsTable,
  RunbooksTable,
  RunResultsTable,
  RunsTable,
  StoreDatabase,
  StoreDialect,
  TokensTable,
} from './schema.js';
import type {
  AgentRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditRecord,
  DefinitionVersionRecord,
  EnrollOutcome,
  EventRecord,
  Page,
  RunRecord,
  RunbookRecord,
  RunbookRunRecord,
  RunResultRecord,
  RunStatus,
  Store,
  SecretRecord,
  TokenRecord,
} from './types.js';
import {
  checkFiniteNumber,
  checkInt32,
  checkTexts,
  checkTime,
  encodeJson,
  isStorableText,
  MAX_INT32,
  pageBefore,
  pageLimit,
  sinceBound,
} from './values.js';

export interface KyselyStoreOptions {
  readonly dialect: StoreDialect;
  /**
   * Brings the schema up to date, excluding other processes doing the same (PostgreSQL: an
   * advisory lock; SQLite: BEGIN IMMEDIATE). Errors are turned into StoreError by the caller.
   */
  readonly migrate: (db: Kysely<StoreDatabase>) => Promise<void>;
}

/** Rows per INSERT when writing results: well under both databases' bound-parameter limits. */
const INSERT_CHUNK = 500;

/** Events per INSERT: a whole protocol message (at most 1000 events) in one statement, so the
 *  usual batch needs no transaction. 14 columns x 1000 rows = 14,000 parameters, under SQLite's
 *  32,766 and PostgreSQL's 65,535. */
const EVENT_CHUNK = 1000;

/** The decisions decideApproval takes, checked at run time (a cast or plain JavaScript can pass anything). */
const DECISIONS: ReadonlySet<string> = new Set<ApprovalStatus>(['approved', 'denied', 'expired']);

/** Whether `version` could be a stored definitions version (a lookup by one that could not finds
 *  nothing; PostgreSQL would reject a 1.5 or a 2^40 where SQLite finds nothing). */
function isVersion(version: unknown): version is number {
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= MAX_INT32;
}

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly #db: Kysely<StoreDatabase>;
  readonly #migrate: (db: Kysely<StoreDatabase>) => Promise<void>;
  #closed = false;

  constructor(db: Kysely<StoreDatabase>, options: KyselyStoreOptions) {
    this.#db = db;
    this.dialect = options.dialect;
    this.#migrate = options.migrate;
  }

  /** Runs one store operation: refuses after close, and classifies whatever it throws. */
  async #run<T>(operation: string, body: (db: Kysely<StoreDatabase>) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('STORE_CLOSED', operation, 'the store is closed');
    try {
      return await body(this.#db);
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  /** A JSON column's value as read: SQLite gives the text, pg has already parsed the JSONB. */
  #json<T>(value: unknown): T {
    if (this.dialect === 'postgres') return value as T;
    if (typeof value !== 'string') throw new Error(`expected JSON text from SQLite, got ${typeof value}`);
    return JSON.parse(value) as T;
  }

  // ---- secrets (secret-rows.ts) ----------------------------------------------------------------

  putSecret(secret: SecretRecord): Promise<void> {
    return this.#run('putSecret', (db) => putSecret(db, secret));
  }

  listSecrets(): Promise<SecretRecord[]> {
    return this.#run('listSecrets', (db) => listSecrets(db));
  }

  deleteSecret(name: string): Promise<boolean> {
    return this.#run('deleteSecret', (db) => deleteSecret(db, name));
  }

  // ---- schema ---------------------------------------------------------------------------------

  migrate(): Promise<void> {
    return this.#run('migrate', (db) => this.#migrate(db));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#db.destroy();
    } catch (error) {
      throw toStoreError('close', error);
    }
  }

  // ---- tokens ---------------------------------------------------------------------------------

  createToken(token: TokenRecord): Promise<void> {
    return this.#run('createToken', async (db) => {
      checkTexts('createToken', token);
      checkInt32('createToken', 'maxUses', token.maxUses);
      checkInt32('createToken', 'uses', token.uses);
      await db
        .insertInto('tokens')
        .values({
          id: token.id,
          name: token.name,
          role: token.role,
          hash: token.hash,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          revoked_at: token.revokedAt,
          created_by: token.createdBy,
          max_uses: token.maxUses,
          uses: token.uses,
        })
        .execute();
    });
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#run('findTokenByHash', async (db) => {
      if (!isStorableText(hash)) return undefined;
      const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : toToken(row);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.#run('listTokens', async (db) => {
      const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toToken);
    });
  }

  /** Marks the token revoked at `at`; false when there is no such token or it was already revoked
   *  (the first revocation time is kept). */
  revokeToken(id: string, at: number): Promise<boolean> {
    return this.#run('revokeToken', async (db) => {
      if (!isStorableText(id)) return false;
      const result = await db
        .updateTable('tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  /** Whether an admin token that is not revoked exists. Expiry is not considered: the store has
   *  no clock (the auth layer checks expiresAt against its injected clock). */
  hasAdmin(): Promise<boolean> {
    return this.#run('hasAdmin', async (db) => {
      const row = await db
        .selectFrom('tokens')
        .select('id')
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  // ---- agents ---------------------------------------------------------------------------------

  /** Inserts, or replaces every field (id included) of the agent with the same name, so that
   *  afterwards getAgentByName(agent.name) equals `agent`. */
  upsertAgent(agent: AgentRecord): Promise<void> {
    return this.#run('upsertAgent', async (db) => {
      const fields = agentColumns('upsertAgent', agent);
      await db
        .insertInto('agents')
        .values({ name: agent.name, ...fields })
        .onConflict((oc) => oc.column('name').doUpdateSet(fields))
        .execute();
    });
  }

  useToken(id: string, at: number): Promise<boolean> {
    return this.#run('useToken', (db) => useToken(db, id, at));
  }

  enrollAgent(agent: AgentRecord, at: number): Promise<EnrollOutcome> {
    return this.#run('enrollAgent', (db) => enrollAgent(db, agent, at));
  }

  revokeAgent(name: string, at: number): Promise<boolean> {
    return this.#run('revokeAgent', (db) => revokeAgent(db, name, at));
  }

  deleteAgent(name: string): Promise<boolean> {
    return this.#run('deleteAgent', (db) => deleteAgent(db, name));
  }

  findAgentByCredentialHash(hash: string): Promise<AgentRecord | undefined> {
    return this.#run('findAgentByCredentialHash', async (db) => {
      if (!isStorableText(hash)) return undefined;
      const row = await db.selectFrom('agents').selectAll().where('credential_hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : this.#toAgent(row);
    });
  }

  getAgentByName(name: string): Promise<AgentRecord | undefined> {
    return this.#run('getAgentByName', async (db) => {
      if (!isStorableText(name)) return undefined;
      const row = await db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : this.#toAgent(row);
    });
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.#run('listAgents', async (db) => {
      const rows = await db.selectFrom('agents').selectAll().orderBy('name').execute();
      return rows.map((row) => this.#toAgent(row));
    });
  }

  /** Sets only the fields present in `patch`. Throws STORE_NOT_FOUND for an unknown id. */
  updateAgentState(
    id: string,
    patch: {
      status?: AgentRecord['status'];
      lastSeenAt?: number;
      tags?: Record<string, string>;
      facts?: Record<string, string>;
      definitionsVersion?: number;
    },
  ): Promise<void> {
    const operation = 'updateAgentState';
    return this.#run(operation, async (db) => {
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
    });
  }

  #toAgent(row: Selectable<AgentsTable>): AgentRecord {
    return {
      id: row.id,
      name: row.name,
      hostId: row.host_id,
      credentialHash: row.credential_hash,
      tags: this.#json<Record<string, string>>(row.tags),
      facts: this.#json<Record<string, string>>(row.facts),
      status: row.status,
      enrolledAt: row.enrolled_at,
      lastSeenAt: row.last_seen_at,
      enrolledWith: row.enrolled_with,
      definitionsVersion: row.definitions_version,
      enrolledWithId: row.enrolled_with_id,
      revokedAt: row.revoked_at,
    };
  }

  // ---- runs -----------------------------------------------------------------------------------

  createRun(run: RunRecord): Promise<void> {
    return this.#run('createRun', async (db) => {
      checkTexts('createRun', run);
      await db
        .insertInto('runs')
        .values({
          id: run.id,
          principal: run.principal,
          statement: run.statement,
          plan: encodeJson('createRun', 'plan', run.plan),
          status: run.status,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          targets: run.targets,
          failures: run.failures,
        })
        .execute();
    });
  }

  /** Throws STORE_NOT_FOUND for an unknown run. */
  finishRun(id: string, patch: { status: RunStatus; finishedAt: number; targets: number; failures: number }): Promise<void> {
    return this.#run('finishRun', async (db) => {
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
    });
  }

  interruptRuns(at: number): Promise<RunRecord[]> {
    return this.#run('interruptRuns', async (db) => {
      const rows = await db.updateTable('runs').set({ status: 'interrupted', finished_at: at }).where('status', '=', 'running').returningAll().execute();
      return rows.map((row) => this.#toRun(row));
    });
  }

  /** Writes the batch in one transaction: all of it or none of it. A result for a run that does
   *  not exist is STORE_INVALID. */
  addRunResults(results: readonly RunResultRecord[]): Promise<void> {
    const operation = 'addRunResults';
    return this.#run(operation, async (db) => {
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
      if (rows.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await trx.insertInto('run_results').values(rows.slice(i, i + INSERT_CHUNK)).execute();
        }
      });
    });
  }

  /** The run and its results in the order they were added. */
  getRun(id: string): Promise<{ run: RunRecord; results: RunResultRecord[] } | undefined> {
    return this.#run('getRun', async (db) => {
      if (!isStorableText(id)) return undefined;
      const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      const resultRows = await db
        .selectFrom('run_results')
        .selectAll()
        .where('run_id', '=', id)
        .orderBy('seq')
        .execute();
      return { run: this.#toRun(row), results: resultRows.map((r) => this.#toRunResult(r)) };
    });
  }

  /** Newest first (by startedAt, then id); `before` pages backwards; limit 100 by default, 1000 at most. */
  listRuns(page: Page = {}): Promise<RunRecord[]> {
    return this.#run('listRuns', async (db) => {
      const limit = pageLimit('listRuns', page.limit);
      const before = pageBefore('listRuns', page.before);
      if (limit === 0) return [];
      let query = db.selectFrom('runs').selectAll();
      if (before !== undefined) query = query.where('started_at', '<', before);
      const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => this.#toRun(row));
    });
  }

  #toRun(row: Selectable<RunsTable>): RunRecord {
    return {
      id: row.id,
      principal: row.principal,
      statement: row.statement,
      plan: this.#json<unknown>(row.plan),
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      targets: row.targets,
      failures: row.failures,
    };
  }

  #toRunResult(row: Selectable<RunResultsTable>): RunResultRecord {
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
      values: this.#json<Record<string, unknown>>(row.result_values),
      durationMs: row.duration_ms,
    };
  }

  // ---- audit ----------------------------------------------------------------------------------

  appendAudit(entry: AuditRecord): Promise<void> {
    return this.#run('appendAudit', async (db) => {
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
    });
  }

  /** Newest first (by time, then id), optionally one principal's and/or one action's entries. */
  listAudit(page: Page & { principal?: string; action?: string } = {}): Promise<AuditRecord[]> {
    return this.#run('listAudit', async (db) => {
      const limit = pageLimit('listAudit', page.limit);
      const before = pageBefore('listAudit', page.before);
      if (limit === 0) return [];
      // A filter no stored entry can match (PostgreSQL would reject it rather than find nothing).
      if (page.principal !== undefined && !isStorableText(page.principal)) return [];
      if (page.action !== undefined && !isStorableText(page.action)) return [];
      let query = db.selectFrom('audit').selectAll();
      if (before !== undefined) query = query.where('time', '<', before);
      if (page.principal !== undefined) query = query.where('principal', '=', page.principal);
      if (page.action !== undefined) query = query.where('action', '=', page.action);
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => this.#toAudit(row));
    });
  }

  #toAudit(row: Selectable<AuditTable>): AuditRecord {
    return {
      id: row.id,
      time: row.time,
      principal: row.principal,
      action: row.action,
      target: row.target,
      runId: row.run_id,
      outcome: row.outcome,
      detail: this.#json<Record<string, unknown>>(row.detail),
    };
  }

  // ---- definitions ----------------------------------------------------------------------------

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
  saveDefinitionVersion(record: Omit<DefinitionVersionRecord, 'version'>, expectedCurrent: number | null): Promise<number> {
    const operation = 'saveDefinitionVersion';
    return this.#run(operation, async (db) => {
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
    });
  }

  /** The highest version, or undefined before the first apply. */
  currentDefinitions(): Promise<DefinitionVersionRecord | undefined> {
    return this.#run('currentDefinitions', async (db) => {
      const row = await db.selectFrom('definition_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
      return row === undefined ? undefined : this.#toDefinitionVersion(row);
    });
  }

  getDefinitionVersion(version: number): Promise<DefinitionVersionRecord | undefined> {
    return this.#run('getDefinitionVersion', async (db) => {
      if (!isVersion(version)) return undefined;
      const row = await db.selectFrom('definition_versions').selectAll().where('version', '=', version).executeTakeFirst();
      return row === undefined ? undefined : this.#toDefinitionVersion(row);
    });
  }

  /** Newest first (by createdAt, then version), without the definitions themselves; `before`
   *  pages backwards by createdAt; limit 100 by default, 1000 at most. */
  listDefinitionVersions(page: Page = {}): Promise<Omit<DefinitionVersionRecord, 'definitions'>[]> {
    const operation = 'listDefinitionVersions';
    return this.#run(operation, async (db) => {
      const limit = pageLimit(operation, page.limit);
      const before = pageBefore(operation, page.before);
      if (limit === 0) return [];
      let query = db
        .selectFrom('definition_versions')
        .select(['version', 'created_at', 'created_by', 'summary_create', 'summary_update', 'summary_delete']);
      if (before !== undefined) query = query.where('created_at', '<', before);
      const rows = await query.orderBy('created_at', 'desc').orderBy('version', 'desc').limit(limit).execute();
      return rows.map(toDefinitionVersionSummary);
    });
  }

  #toDefinitionVersion(row: Selectable<DefinitionVersionsTable>): DefinitionVersionRecord {
    return { ...toDefinitionVersionSummary(row), definitions: this.#json<unknown[]>(row.definitions) };
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * Inserts the events whose id is not stored yet, all or none, and returns those (in the order
   * given). An id repeated within the batch counts once: its first occurrence. Of two
   * concurrent calls delivering the same event, exactly one returns it.
   */
  appendEvents(events: readonly EventRecord[]): Promise<EventRecord[]> {
    const operation = 'appendEvents';
    return this.#run(operation, async (db) => {
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
    });
  }

  /** Newest first (by time, then id). `since` is inclusive, `before` exclusive; the other filters
   *  are exact matches. Limit 100 by default, 1000 at most. */
  listEvents(
    filter: Page & { type?: string; alarm?: string; bot?: string; host?: string; since?: number } = {},
  ): Promise<EventRecord[]> {
    const operation = 'listEvents';
    return this.#run(operation, async (db) => {
      const limit = pageLimit(operation, filter.limit);
      const before = pageBefore(operation, filter.before);
      const since = sinceBound(operation, filter.since);
      if (limit === 0) return [];
      const { type, alarm, bot, host } = filter;
      // A filter no stored event can match (PostgreSQL would reject it rather than find nothing).
      if ([type, alarm, bot, host].some((v) => v !== undefined && !isStorableText(v))) return [];
      let query = db.selectFrom('events').selectAll();
      if (type !== undefined) query = query.where('type', '=', type as EventRecord['type']);
      if (alarm !== undefined) query = query.where('alarm', '=', alarm);
      if (bot !== undefined) query = query.where('bot', '=', bot);
      if (host !== undefined) query = query.where('host', '=', host);
      if (since !== undefined) query = query.where('time', '>=', since);
      if (before !== undefined) query = query.where('time', '<', before);
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => this.#toEvent(row));
    });
  }

  /** How many events of `type` (and of that bot and/or alarm) have time >= `since`. */
  countEvents(filter: { type: string; bot?: string; alarm?: string; since: number }): Promise<number> {
    const operation = 'countEvents';
    return this.#run(operation, async (db) => {
      const since = sinceBound(operation, filter.since);
      if (since === undefined) throw new StoreError('STORE_INVALID', operation, 'since is required');
      const { type, bot, alarm } = filter;
      if (typeof type !== 'string') throw new StoreError('STORE_INVALID', operation, 'type is required');
      if ([type, bot, alarm].some((v) => v !== undefined && !isStorableText(v))) return 0;
      let query = db
        .selectFrom('events')
        .where('type', '=', type as EventRecord['type'])
        .where('time', '>=', since);
      if (bot !== undefined) query = query.where('bot', '=', bot);
      if (alarm !== undefined) query = query.where('alarm', '=', alarm);
      const row = await query.select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  trimHostEvents(host: string, keep: number): Promise<number> {
    const operation = 'trimHostEvents';
    return this.#run(operation, async (db) => {
      if (!Number.isSafeInteger(keep) || keep < 1) throw new StoreError('STORE_INVALID', operation, `keep must be a whole number of at least 1, found ${keep}`);
      if (!isStorableText(host)) return 0;
      // The time of the oldest event kept (events_host_time_idx); nothing to do when there are fewer.
      const edge = await db.selectFrom('events').select('time').where('host', '=', host).orderBy('time', 'desc').orderBy('id', 'desc').offset(keep - 1).limit(1).executeTakeFirst();
      if (edge === undefined) return 0;
      const result = await db.deleteFrom('events').where('host', '=', host).where('time', '<', edge.time).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  countEventsByHost(filter: { type: string; bot: string; since: number }): Promise<Map<string, number>> {
    const operation = 'countEventsByHost';
    return this.#run(operation, async (db) => {
      const since = sinceBound(operation, filter.since);
      if (since === undefined) throw new StoreError('STORE_INVALID', operation, 'since is required');
      if (![filter.type, filter.bot].every(isStorableText)) return new Map();
      const rows = await db
        .selectFrom('events')
        .where('type', '=', filter.type as EventRecord['type'])
        .where('bot', '=', filter.bot)
        .where('time', '>=', since)
        .where('host', 'is not', null)
        .groupBy('host')
        .select((eb) => ['host', eb.fn.countAll<number | string | bigint>().as('n')])
        .execute();
      return new Map(rows.map((r) => [r.host as string, Number(r.n)]));
    });
  }

  #toEvent(row: Selectable<EventsTable>): EventRecord {
    return {
      id: row.id,
      time: row.time,
      type: row.type,
      host: row.host,
      resource: row.resource,
      alarm: row.alarm,
      bot: row.bot,
      action: row.action,
      severity: row.severity,
      runId: row.run_id,
      principal: row.principal,
      message: row.message,
      value: row.value,
      details: this.#json<Record<string, unknown>>(row.details),
    };
  }

  // ---- approvals ------------------------------------------------------------------------------

  /** A pending approval has no decision (decidedBy, decidedAt, runId null); a decided one has
   *  decidedBy and decidedAt: anything else is STORE_INVALID. */
  createApproval(approval: ApprovalRecord): Promise<void> {
    const operation = 'createApproval';
    return this.#run(operation, async (db) => {
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
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.#run('getApproval', async (db) => {
      if (!isStorableText(id)) return undefined;
      const row = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : this.#toApproval(row);
    });
  }

  /** Newest first (by createdAt, then id), optionally with one status; `before` pages backwards
   *  by createdAt. A status is listed as stored: a pending approval past its expiresAt stays
   *  `pending` until someone decides it `expired`. */
  listApprovals(filter: Page & { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    const operation = 'listApprovals';
    return this.#run(operation, async (db) => {
      const limit = pageLimit(operation, filter.limit);
      const before = pageBefore(operation, filter.before);
      if (limit === 0) return [];
      if (filter.status !== undefined && !isStorableText(filter.status)) return [];
      let query = db.selectFrom('approvals').selectAll();
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (before !== undefined) query = query.where('created_at', '<', before);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => this.#toApproval(row));
    });
  }

  /**
   * Moves a pending approval to `decision.status` in one conditional UPDATE, so of two people
   * deciding at once exactly one gets true. False when there is no such approval, when it is no
   * longer pending, or (approved/denied) when `decision.at` is at or past its expiresAt: an
   * approval that has run out cannot be approved late even if nobody has marked it expired yet.
   * Marking it `expired` is allowed whenever it is pending.
   */
  decideApproval(
    id: string,
    decision: { status: Exclude<ApprovalStatus, 'pending'>; by: string; at: number; runId?: string },
  ): Promise<boolean> {
    const operation = 'decideApproval';
    return this.#run(operation, async (db) => {
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
    });
  }

  #toApproval(row: Selectable<ApprovalsTable>): ApprovalRecord {
    return {
      id: row.id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      bot: row.bot,
      action: row.action,
      host: row.host,
      resource: row.resource,
      statement: row.statement,
      details: this.#json<Record<string, unknown>>(row.details),
      status: row.status,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      runId: row.run_id,
    };
  }

  // ---- runbooks -------------------------------------------------------------------------------

  createRunbook(runbook: RunbookRecord): Promise<void> {
    const operation = 'createRunbook';
    return this.#run(operation, async (db) => {
      checkTexts(operation, runbook);
      checkTime(operation, 'updatedAt', runbook.updatedAt);
      await db.insertInto('runbooks').values(this.#runbookRow(operation, runbook)).execute();
    });
  }

  updateRunbook(runbook: RunbookRecord): Promise<void> {
    const operation = 'updateRunbook';
    return this.#run(operation, async (db) => {
      checkTexts(operation, runbook);
      checkTime(operation, 'updatedAt', runbook.updatedAt);
      const { id: _id, ...row } = this.#runbookRow(operation, runbook);
      const result = isStorableText(runbook.id) ? await db.updateTable('runbooks').set(row).where('id', '=', runbook.id).executeTakeFirst() : undefined;
      if (!result || result.numUpdatedRows === 0n) throw new StoreError('STORE_NOT_FOUND', operation, `no runbook with id ${runbook.id}`);
    });
  }

  getRunbook(id: string): Promise<RunbookRecord | undefined> {
    return this.#run('getRunbook', async (db) => {
      if (!isStorableText(id)) return undefined;
      const row = await db.selectFrom('runbooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : this.#toRunbook(row);
    });
  }

  listRunbooks(): Promise<RunbookRecord[]> {
    return this.#run('listRunbooks', async (db) => {
      const rows = await db.selectFrom('runbooks').selectAll().orderBy('name').execute();
      return rows.map((row) => this.#toRunbook(row));
    });
  }

  deleteRunbook(id: string): Promise<boolean> {
    return this.#run('deleteRunbook', async (db) => {
      if (!isStorableText(id)) return false;
      return db.transaction().execute(async (trx) => {
        // Explicitly, not only by the foreign key's cascade: the same on every back end and pragma.
        await trx.deleteFrom('runbook_runs').where('runbook_id', '=', id).execute();
        const result = await trx.deleteFrom('runbooks').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    });
  }

  saveRunbookRun(run: RunbookRunRecord): Promise<void> {
    const operation = 'saveRunbookRun';
    return this.#run(operation, async (db) => {
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
    });
  }

  listRunbookRuns(runbookId: string, page: Page = {}): Promise<RunbookRunRecord[]> {
    const operation = 'listRunbookRuns';
    return this.#run(operation, async (db) => {
      const limit = pageLimit(operation, page.limit);
      const before = pageBefore(operation, page.before);
      if (limit === 0 || !isStorableText(runbookId)) return [];
      let query = db.selectFrom('runbook_runs').selectAll().where('runbook_id', '=', runbookId);
      if (before !== undefined) query = query.where('created_at', '<', before);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => this.#toRunbookRun(row));
    });
  }

  getRunbookRun(id: string): Promise<RunbookRunRecord | undefined> {
    return this.#run('getRunbookRun', async (db) => {
      if (!isStorableText(id)) return undefined;
      const row = await db.selectFrom('runbook_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : this.#toRunbookRun(row);
    });
  }

  #runbookRow(operation: string, r: RunbookRecord) {
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

  #toRunbook(row: Selectable<RunbooksTable>): RunbookRecord {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      params: this.#json<string[]>(row.params),
      cells: this.#json<RunbookRecord['cells']>(row.cells),
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  #toRunbookRun(row: Selectable<RunbookRunsTable>): RunbookRunRecord {
    return {
      id: row.id,
      runbookId: row.runbook_id,
      createdAt: row.created_at,
      createdBy: row.created_by,
      params: this.#json<Record<string, string>>(row.params),
      outputs: this.#json<RunbookRunRecord['outputs']>(row.outputs),
    };
  }
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

function toDefinitionVersionSummary(row: DefinitionVersionSummaryRow): Omit<DefinitionVersionRecord, 'definitions'> {
  return {
    version: row.version,
    createdAt: row.created_at,
    createdBy: row.created_by,
    summary: { create: row.summary_create, update: row.summary_update, delete: row.summary_delete },
  };
}

function toToken(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    maxUses: row.max_uses,
    uses: row.uses,
  };
}
