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
import type { AgentsTable, AuditTable, RunResultsTable, RunsTable, StoreDatabase, StoreDialect, TokensTable } from './schema.js';
import type {
  AgentRecord,
  AuditRecord,
  Page,
  RunRecord,
  RunResultRecord,
  RunStatus,
  Store,
  TokenRecord,
} from './types.js';
import { checkTexts, encodeJson, isStorableText, pageBefore, pageLimit } from './values.js';

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
      checkTexts('upsertAgent', agent);
      const fields = {
        id: agent.id,
        host_id: agent.hostId,
        credential_hash: agent.credentialHash,
        tags: encodeJson('upsertAgent', 'tags', agent.tags),
        facts: encodeJson('upsertAgent', 'facts', agent.facts),
        status: agent.status,
        enrolled_at: agent.enrolledAt,
        last_seen_at: agent.lastSeenAt,
        enrolled_with: agent.enrolledWith,
      };
      await db
        .insertInto('agents')
        .values({ name: agent.name, ...fields })
        .onConflict((oc) => oc.column('name').doUpdateSet(fields))
        .execute();
    });
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
    patch: { status?: AgentRecord['status']; lastSeenAt?: number; tags?: Record<string, string>; facts?: Record<string, string> },
  ): Promise<void> {
    const operation = 'updateAgentState';
    return this.#run(operation, async (db) => {
      checkTexts(operation, { status: patch.status });
      const set = {
        ...(patch.status === undefined ? {} : { status: patch.status }),
        ...(patch.lastSeenAt === undefined ? {} : { last_seen_at: patch.lastSeenAt }),
        ...(patch.tags === undefined ? {} : { tags: encodeJson(operation, 'tags', patch.tags) }),
        ...(patch.facts === undefined ? {} : { facts: encodeJson(operation, 'facts', patch.facts) }),
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
  };
}
