/*
 * The Store, once, over Kysely: the same queries run on SQLite and PostgreSQL. What differs per
 * back end is passed in by the factories (sqlite.ts, postgres.ts): how a migration is made safe
 * against other processes, and how JSON columns come back (text from SQLite, already parsed from
 * PostgreSQL's JSONB).
 *
 * The queries live with their tables, one file per table group (*-rows.ts, enrollment-queries.ts);
 * this class puts each behind `#run`, which refuses work after close and turns driver errors into
 * StoreError (errors.ts). The queries check their input first where the two databases would
 * otherwise disagree (values.ts).
 */
import { sql, type Kysely } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import { findAgent, listAgents, touchAgents, updateAgentState, upsertAgent, type AgentStatePatch } from './agent-rows.js';
import { createApproval, decideApproval, getApproval, listApprovals, type ApprovalDecision } from './approval-rows.js';
import { appendAudit, listAudit } from './audit-rows.js';
import { currentDefinitions, getDefinitionVersion, listDefinitionVersions, saveDefinitionVersion } from './definition-rows.js';
import { deleteAgent, enrollAgent, revokeAgent, useToken } from './enrollment-queries.js';
import { appendEvents, countEvents, countEventsByHost, listEvents, trimHostEvents, type EventFilter } from './event-rows.js';
import { addRunResults, createRun, finishRun, getRun, interruptRuns, listRuns, recordFinishedRun, type RunEnd } from './run-rows.js';
import {
  createRunbook,
  deleteRunbook,
  getRunbook,
  getRunbookRun,
  listRunbookRuns,
  listRunbooks,
  saveRunbookRun,
  updateRunbook,
} from './runbook-rows.js';
import { deleteSecret, listSecrets, putSecret } from './secret-rows.js';
import { grantPermit, permitWindow } from './permit-rows.js';
import { clearSwitch, createSilence, endSilence, listSilences, listSwitches, setSwitch } from './operating-rows.js';
import { claimTick } from './tick-claim-rows.js';
import { claimAlertNotification } from './alert-notification-rows.js';
import { listDeliveries, recordDelivery } from './delivery-rows.js';
import { heartbeatReplica, interruptOrphanedRuns } from './replica-rows.js';
import { createFirstAdmin, createToken, findTokenByHash, hasAdmin, listTokens, revokeToken } from './token-rows.js';
import type { StoreDatabase, StoreDialect } from './schema.js';
import type {
  AgentRecord,
  AlertNotificationClaim,
  DeliveryFilter,
  DeliveryRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditRecord,
  DefinitionVersionRecord,
  EnrollOutcome,
  EventRecord,
  Page,
  PermitRequest,
  PermitWindow,
  RunFilter,
  RunRecord,
  RunbookRecord,
  RunbookRunRecord,
  RunResultRecord,
  Store,
  SecretRecord,
  SilenceRecord,
  SwitchRecord,
  TokenRecord,
} from './types.js';
import { jsonReader, type JsonReader } from './values.js';

export interface KyselyStoreOptions {
  readonly dialect: StoreDialect;
  /**
   * Brings the schema up to date, excluding other processes doing the same (PostgreSQL: an
   * advisory lock; SQLite: BEGIN IMMEDIATE). Errors are turned into StoreError by the caller.
   */
  readonly migrate: (db: Kysely<StoreDatabase>) => Promise<void>;
}

/**
 * The one Store implementation; open it with openSqliteStore or openPostgresStore.
 *
 * @example
 *   const store = openSqliteStore('/var/lib/breakwater/store.sqlite');
 *   await store.migrate();
 *   const agents = await store.listAgents();
 */
export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly #db: Kysely<StoreDatabase>;
  readonly #migrate: (db: Kysely<StoreDatabase>) => Promise<void>;
  readonly #json: JsonReader;
  #closed = false;

  constructor(db: Kysely<StoreDatabase>, options: KyselyStoreOptions) {
    this.#db = db;
    this.dialect = options.dialect;
    this.#migrate = options.migrate;
    this.#json = jsonReader(options.dialect);
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

  // ---- schema ---------------------------------------------------------------------------------

  migrate(): Promise<void> {
    return this.#run('migrate', (db) => this.#migrate(db));
  }

  async ping(): Promise<void> {
    await this.#run('ping', (db) => sql`select 1`.execute(db));
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

  // ---- tokens (token-rows.ts) -----------------------------------------------------------------

  createToken(token: TokenRecord): Promise<void> {
    return this.#run('createToken', (db) => createToken(db, token));
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#run('findTokenByHash', (db) => findTokenByHash(db, hash));
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.#run('listTokens', (db) => listTokens(db));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.#run('revokeToken', (db) => revokeToken(db, id, at));
  }

  hasAdmin(): Promise<boolean> {
    return this.#run('hasAdmin', (db) => hasAdmin(db));
  }

  createFirstAdmin(token: TokenRecord): Promise<boolean> {
    return this.#run('createFirstAdmin', (db) => createFirstAdmin(db, this.dialect, token));
  }

  // ---- agents and enrollment (agent-rows.ts, enrollment-queries.ts) ---------------------------

  upsertAgent(agent: AgentRecord): Promise<void> {
    return this.#run('upsertAgent', (db) => upsertAgent(db, agent));
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
    return this.#run('findAgentByCredentialHash', (db) => findAgent(db, this.#json, 'credential_hash', hash));
  }

  getAgentByName(name: string): Promise<AgentRecord | undefined> {
    return this.#run('getAgentByName', (db) => findAgent(db, this.#json, 'name', name));
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.#run('listAgents', (db) => listAgents(db, this.#json));
  }

  touchAgents(seen: readonly { readonly id: string; readonly at: number }[]): Promise<void> {
    return this.#run('touchAgents', (db) => touchAgents(db, seen));
  }

  updateAgentState(id: string, patch: AgentStatePatch): Promise<void> {
    return this.#run('updateAgentState', (db) => updateAgentState(db, id, patch));
  }

  // ---- runs (run-rows.ts) ---------------------------------------------------------------------

  createRun(run: RunRecord): Promise<void> {
    return this.#run('createRun', (db) => createRun(db, run));
  }

  finishRun(id: string, patch: RunEnd): Promise<void> {
    return this.#run('finishRun', (db) => finishRun(db, id, patch));
  }

  interruptRuns(at: number): Promise<RunRecord[]> {
    return this.#run('interruptRuns', (db) => interruptRuns(db, this.#json, at));
  }

  addRunResults(results: readonly RunResultRecord[]): Promise<void> {
    return this.#run('addRunResults', (db) => addRunResults(db, results));
  }

  recordFinishedRun(run: RunRecord, results: readonly RunResultRecord[], entry: AuditRecord): Promise<boolean> {
    return this.#run('recordFinishedRun', (db) => recordFinishedRun(db, run, results, entry));
  }

  getRun(id: string): Promise<{ run: RunRecord; results: RunResultRecord[] } | undefined> {
    return this.#run('getRun', (db) => getRun(db, this.#json, id));
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#run('listRuns', (db) => listRuns(db, this.#json, filter));
  }

  // ---- audit (audit-rows.ts) ------------------------------------------------------------------

  appendAudit(entry: AuditRecord): Promise<void> {
    return this.#run('appendAudit', (db) => appendAudit(db, entry));
  }

  listAudit(page: Page & { principal?: string; action?: string; text?: string } = {}): Promise<AuditRecord[]> {
    return this.#run('listAudit', (db) => listAudit(db, this.#json, page));
  }

  // ---- definitions (definition-rows.ts) -------------------------------------------------------

  saveDefinitionVersion(record: Omit<DefinitionVersionRecord, 'version'>, expectedCurrent: number | null): Promise<number> {
    return this.#run('saveDefinitionVersion', (db) => saveDefinitionVersion(db, record, expectedCurrent));
  }

  currentDefinitions(): Promise<DefinitionVersionRecord | undefined> {
    return this.#run('currentDefinitions', (db) => currentDefinitions(db, this.#json));
  }

  getDefinitionVersion(version: number): Promise<DefinitionVersionRecord | undefined> {
    return this.#run('getDefinitionVersion', (db) => getDefinitionVersion(db, this.#json, version));
  }

  listDefinitionVersions(page: Page = {}): Promise<Omit<DefinitionVersionRecord, 'definitions'>[]> {
    return this.#run('listDefinitionVersions', (db) => listDefinitionVersions(db, page));
  }

  // ---- events (event-rows.ts) -----------------------------------------------------------------

  appendEvents(events: readonly EventRecord[]): Promise<EventRecord[]> {
    return this.#run('appendEvents', (db) => appendEvents(db, events));
  }

  listEvents(filter: EventFilter = {}): Promise<EventRecord[]> {
    return this.#run('listEvents', (db) => listEvents(db, this.#json, filter));
  }

  countEvents(filter: { type: string; bot?: string; alarm?: string; since: number }): Promise<number> {
    return this.#run('countEvents', (db) => countEvents(db, filter));
  }

  trimHostEvents(host: string, keep: number): Promise<number> {
    return this.#run('trimHostEvents', (db) => trimHostEvents(db, host, keep));
  }

  countEventsByHost(filter: { type: string; bot: string; since: number }): Promise<Map<string, number>> {
    return this.#run('countEventsByHost', (db) => countEventsByHost(db, filter));
  }

  // ---- approvals (approval-rows.ts) -----------------------------------------------------------

  createApproval(approval: ApprovalRecord): Promise<void> {
    return this.#run('createApproval', (db) => createApproval(db, approval));
  }

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.#run('getApproval', (db) => getApproval(db, this.#json, id));
  }

  listApprovals(filter: Page & { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    return this.#run('listApprovals', (db) => listApprovals(db, this.#json, filter));
  }

  decideApproval(id: string, decision: ApprovalDecision): Promise<boolean> {
    return this.#run('decideApproval', (db) => decideApproval(db, id, decision));
  }

  // ---- runbooks (runbook-rows.ts) -------------------------------------------------------------

  createRunbook(runbook: RunbookRecord): Promise<void> {
    return this.#run('createRunbook', (db) => createRunbook(db, runbook));
  }

  updateRunbook(runbook: RunbookRecord): Promise<void> {
    return this.#run('updateRunbook', (db) => updateRunbook(db, runbook));
  }

  getRunbook(id: string): Promise<RunbookRecord | undefined> {
    return this.#run('getRunbook', (db) => getRunbook(db, this.#json, id));
  }

  listRunbooks(): Promise<RunbookRecord[]> {
    return this.#run('listRunbooks', (db) => listRunbooks(db, this.#json));
  }

  deleteRunbook(id: string): Promise<boolean> {
    return this.#run('deleteRunbook', (db) => deleteRunbook(db, id));
  }

  saveRunbookRun(run: RunbookRunRecord): Promise<void> {
    return this.#run('saveRunbookRun', (db) => saveRunbookRun(db, run));
  }

  listRunbookRuns(runbookId: string, page: Page = {}): Promise<RunbookRunRecord[]> {
    return this.#run('listRunbookRuns', (db) => listRunbookRuns(db, this.#json, runbookId, page));
  }

  getRunbookRun(id: string): Promise<RunbookRunRecord | undefined> {
    return this.#run('getRunbookRun', (db) => getRunbookRun(db, this.#json, id));
  }

  // ---- secrets (secret-rows.ts) ---------------------------------------------------------------

  putSecret(secret: SecretRecord): Promise<void> {
    return this.#run('putSecret', (db) => putSecret(db, secret));
  }

  listSecrets(): Promise<SecretRecord[]> {
    return this.#run('listSecrets', (db) => listSecrets(db));
  }

  deleteSecret(name: string): Promise<boolean> {
    return this.#run('deleteSecret', (db) => deleteSecret(db, name));
  }

  // ---- once across replicas (tick-claim-rows.ts) ----------------------------------------------

  claimTick(name: string, tick: number, holder: string): Promise<boolean> {
    return this.#run('claimTick', (db) => claimTick(db, name, tick, holder));
  }

  claimAlertNotification(claim: AlertNotificationClaim): Promise<boolean> {
    return this.#run('claimAlertNotification', (db) => claimAlertNotification(db, claim));
  }

  recordDelivery(delivery: DeliveryRecord): Promise<void> {
    return this.#run('recordDelivery', (db) => recordDelivery(db, delivery));
  }

  listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryRecord[]> {
    return this.#run('listDeliveries', (db) => listDeliveries(db, filter));
  }

  // ---- silences and switches (operating-rows.ts) ----------------------------------------------

  createSilence(silence: SilenceRecord): Promise<void> {
    return this.#run('createSilence', (db) => createSilence(db, silence));
  }

  endSilence(id: string, by: string, at: number): Promise<SilenceRecord | undefined> {
    return this.#run('endSilence', (db) => endSilence(db, id, by, at));
  }

  listSilences(since: number, limit?: number): Promise<SilenceRecord[]> {
    return this.#run('listSilences', (db) => listSilences(db, since, limit));
  }

  setSwitch(record: SwitchRecord): Promise<boolean> {
    return this.#run('setSwitch', (db) => setSwitch(db, record));
  }

  clearSwitch(kind: SwitchRecord['kind'], name: string): Promise<SwitchRecord | undefined> {
    return this.#run('clearSwitch', (db) => clearSwitch(db, kind, name));
  }

  listSwitches(): Promise<SwitchRecord[]> {
    return this.#run('listSwitches', (db) => listSwitches(db));
  }

  // ---- replica liveness (replica-rows.ts) -----------------------------------------------------

  heartbeatReplica(id: string, at: number): Promise<void> {
    return this.#run('heartbeatReplica', (db) => heartbeatReplica(db, id, at));
  }

  interruptOrphanedRuns(staleBefore: number, at: number): Promise<RunRecord[]> {
    return this.#run('interruptOrphanedRuns', (db) => interruptOrphanedRuns(db, this.#json, staleBefore, at));
  }

  // ---- the circuit breaker's window (permit-rows.ts) ------------------------------------------

  grantPermit<T extends { readonly grant: boolean }>(request: PermitRequest, decide: (window: PermitWindow) => T): Promise<T> {
    return this.#run('grantPermit', (db) => grantPermit(db, this.dialect, request, decide));
  }

  permitWindow(bot: string, since: number): Promise<PermitWindow> {
    return this.#run('permitWindow', (db) => permitWindow(db, bot, since));
  }
}
