/*
 * The control plane's persistent state, behind one interface with two back
 * ends: SQLite (embedded default) and PostgreSQL (several replicas). Both run
 * the same test suite. Times are milliseconds since the Unix epoch.
 */
import type { RunKind } from '../../definitions/index.js';
import type { Approval, ApprovalStatus, AuditEntry, Delivery, EventType, Run, RunResult, RunStatus, Silence } from '../../protocol/index.js';

/** One notification of one alert: which integration, the alert's fingerprint, its status, and when. */
export interface AlertNotificationClaim {
  readonly integration: string;
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  /** The alert's trigger name, for an operator reading the table. */
  readonly alert: string;
  readonly at: number;
  /** No second claim of the same (integration, fingerprint, status) within this long. */
  readonly windowMs: number;
}


/** An outbound delivery that finally failed, as GET /api/v1/deliveries answers it (src/protocol/deliveries.ts). */
export type DeliveryRecord = Delivery;

/** What listDeliveries filters on, besides the page. */
export interface DeliveryFilter extends Page {
  readonly integration?: string;
  readonly type?: string;
}

export type Role = 'agent' | 'viewer' | 'operator' | 'admin';

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** sha256 of the secret, hex; the secret itself is never stored. */
  readonly hash: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  /** Who created it (principal name), for the audit trail. */
  readonly createdBy: string;
  /** How many enrollments a join token allows; null: no limit. */
  readonly maxUses: number | null;
  /** Enrollments made with it so far. */
  readonly uses: number;
}

export interface AgentRecord {
  readonly id: string;
  /** Host name as reported (or `--name`); unique among agents. */
  readonly name: string;
  readonly hostId: string;
  /** sha256 of the agent's own credential, issued at enrollment. */
  readonly credentialHash: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Host facts: os, distro, arch, kernel, ip, agent_version. */
  readonly facts: Readonly<Record<string, string>>;
  readonly status: 'connected' | 'disconnected';
  readonly enrolledAt: number;
  readonly lastSeenAt: number | null;
  /** Which join token enrolled it (its name). */
  readonly enrolledWith: string;
  /** The id of that join token; null for agents enrolled before it was recorded. Revoking the
   *  token does not revoke this credential. */
  readonly enrolledWithId: string | null;
  /** When an admin revoked the credential; null while it is valid. */
  readonly revokedAt: number | null;
  /** The definitions version the agent last reported running; null before it reports one. */
  readonly definitionsVersion: number | null;
}

/** What Store.enrollAgent did: enrolled, or refused without writing anything. */
export type EnrollOutcome = 'enrolled' | 'token_refused' | 'host_mismatch';

/** How a run stands or ended: the API's own (protocol's RUN_STATUSES). */
export type { RunStatus };

/** A run as stored: the API's Run (src/protocol), without what a reader's view adds (`outputHidden`). */
export type RunRecord = Omit<Run, 'outputHidden'>;

/** A resource's result of a run as stored: the API's RunResult (src/protocol). */
export type RunResultRecord = RunResult;

/** An audit entry as stored: the API's AuditEntry (src/protocol). */
export type AuditRecord = AuditEntry;

/** One applied set of definitions. Versions count up from 1; the highest is current. */
export interface DefinitionVersionRecord {
  readonly version: number;
  readonly createdAt: number;
  readonly createdBy: string;
  /** The normalised definitions (JSON array). */
  readonly definitions: readonly unknown[];
  /** What the apply changed, for the history list. */
  readonly summary: { readonly create: number; readonly update: number; readonly delete: number };
}

/** The event types are protocol's (src/protocol/messages.ts): the one list, which the events
 *  table's CHECK constraint is tested against (event-types.test.ts). */
export type { EventType };

/** One entry of the fleet's timeline. `id` is chosen by whoever created it, so delivery is idempotent. */
export interface EventRecord {
  readonly id: string;
  readonly time: number;
  readonly type: EventType;
  readonly host: string | null;
  readonly resource: string | null;
  readonly alarm: string | null;
  readonly bot: string | null;
  readonly action: string | null;
  readonly severity: string | null;
  readonly runId: string | null;
  readonly principal: string | null;
  readonly message: string;
  readonly value: number | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A bot run waiting for a person, as stored and as GET /api/v1/approvals gives it. */
export type ApprovalRecord = Approval;
export type { ApprovalStatus };

/** A runbook: markdown and pipeline cells with parameters (`$host`), edited in the web UI. */
export interface RunbookRecord {
  readonly id: string;
  /** Unique among runbooks. */
  readonly name: string;
  readonly description: string;
  readonly params: readonly string[];
  readonly cells: readonly { readonly kind: 'markdown' | 'pipeline'; readonly text: string }[];
  readonly updatedAt: number;
  readonly updatedBy: string;
}

/** The outputs of one pipeline cell in a saved run. */
export interface RunbookCellOutput {
  readonly cell: number;
  readonly statement: string;
  readonly rows: readonly unknown[];
  readonly summary: unknown;
  readonly error: string | null;
}

/** A saved run of a runbook: the parameter values and each run cell's outputs. */
export interface RunbookRunRecord {
  readonly id: string;
  readonly runbookId: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly outputs: readonly RunbookCellOutput[];
}

export interface Page {
  readonly limit?: number;
  /** Only records strictly older than this time (for paging backwards). */
  readonly before?: number;
}

/** What listRuns filters on, besides the page: every given field must match. */
export interface RunFilter extends Page {
  readonly status?: RunStatus;
  /** Exactly this principal (`alice`, `bot:clean-data-logs@web-1`). */
  readonly principal?: string;
  /** How the run started, read from its principal (definitions' runKindOf). */
  readonly kind?: RunKind;
  /** The bot's own runs and the runs approved for it. */
  readonly bot?: string;
  /** Runs with a result on this host. */
  readonly host?: string;
  /** Only runs started at or after this time. */
  readonly since?: number;
}

export interface Store {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createToken(token: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: number): Promise<boolean>;
  /** Whether any admin token exists yet (the first start prints one). */
  hasAdmin(): Promise<boolean>;
  /** Stores `token` only if no admin token exists yet, atomically across processes sharing the
   *  database: of replicas starting together on an empty store, exactly one gets true. */
  createFirstAdmin(token: TokenRecord): Promise<boolean>;
  /** A cheap round trip to the database (readiness); throws STORE_UNAVAILABLE when it cannot be reached. */
  ping(): Promise<void>;
  /** Counts one use of a token that is unrevoked, unexpired at `at` and under its maxUses;
   *  false (nothing counted) otherwise. Atomic: concurrent uses of a one-use token count once. */
  useToken(id: string, at: number): Promise<boolean>;

  /** Inserts, or updates the agent with the same name (re-enrollment of a host). */
  upsertAgent(agent: AgentRecord): Promise<void>;
  /**
   * Enrollment, atomically: counts one use of the join token `agent.enrolledWithId` (as useToken)
   * and inserts the agent, or replaces the agent of the same name if it has the same hostId (a
   * host that lost its credential). Refused, it writes nothing: `token_refused` (the token is
   * revoked, expired or used up), `host_mismatch` (the name is enrolled from another host id).
   */
  enrollAgent(agent: AgentRecord, at: number): Promise<EnrollOutcome>;
  /** Marks the agent's credential revoked (the host stays known); false when there is no such
   *  agent or it was revoked already. */
  revokeAgent(name: string, at: number): Promise<boolean>;
  /** Removes the agent and its credential; false when there was none. */
  deleteAgent(name: string): Promise<boolean>;
  /** Revoked agents too (revokedAt set): the caller says why it refuses them. */
  findAgentByCredentialHash(hash: string): Promise<AgentRecord | undefined>;
  getAgentByName(name: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  /** Many agents' lastSeenAt at once (presence's periodic writes): one statement per thousand agents;
   *  unknown ids are skipped and a time only moves forward. */
  touchAgents(seen: readonly { readonly id: string; readonly at: number }[]): Promise<void>;
  updateAgentState(
    id: string,
    patch: { status?: AgentRecord['status']; lastSeenAt?: number; tags?: Record<string, string>; facts?: Record<string, string>; definitionsVersion?: number },
  ): Promise<void>;

  createRun(run: RunRecord): Promise<void>;
  finishRun(id: string, patch: { status: RunStatus; finishedAt: number; targets: number; failures: number }): Promise<void>;
  /** Marks every run still `running` as `interrupted` (finished at `at`) and returns them: at start, after a crash. */
  interruptRuns(at: number): Promise<RunRecord[]>;
  /** Results are written in batches as they stream in. */
  addRunResults(results: readonly RunResultRecord[]): Promise<void>;
  /** A finished run, its results and its audit entry, all or none; false (nothing written) when
   *  the run's id is stored already. */
  recordFinishedRun(run: RunRecord, results: readonly RunResultRecord[], entry: AuditRecord): Promise<boolean>;
  getRun(id: string): Promise<{ run: RunRecord; results: RunResultRecord[] } | undefined>;
  /** Newest first (by startedAt, then id), filtered; `before` pages backwards. */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;

  appendAudit(entry: AuditRecord): Promise<void>;
  listAudit(page?: Page & { principal?: string; action?: string; text?: string }): Promise<AuditRecord[]>;

  /**
   * Stores a new version atomically and returns its number. `expectedCurrent` is the version the
   * caller planned against (null: none yet); if another apply got in first, STORE_CONFLICT.
   */
  saveDefinitionVersion(record: Omit<DefinitionVersionRecord, 'version'>, expectedCurrent: number | null): Promise<number>;
  currentDefinitions(): Promise<DefinitionVersionRecord | undefined>;
  getDefinitionVersion(version: number): Promise<DefinitionVersionRecord | undefined>;
  listDefinitionVersions(page?: Page): Promise<Omit<DefinitionVersionRecord, 'definitions'>[]>;

  /** Inserts the events not stored yet (by id) and returns those it inserted: redelivery is harmless. */
  appendEvents(events: readonly EventRecord[]): Promise<EventRecord[]>;
  /** Newest first. */
  listEvents(filter?: Page & { type?: string; alarm?: string; bot?: string; host?: string; since?: number; text?: string }): Promise<EventRecord[]>;
  countEvents(filter: { type: string; bot?: string; alarm?: string; since: number }): Promise<number>;
  /** Deletes the host's events older than its newest `keep` (ties with the oldest kept stay); returns how many. */
  trimHostEvents(host: string, keep: number): Promise<number>;
  /** countEvents per host (events without a host are left out): the circuit breaker's per-host shares. */
  countEventsByHost(filter: { type: string; bot: string; since: number }): Promise<Map<string, number>>;

  createApproval(approval: ApprovalRecord): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(filter?: Page & { status?: ApprovalStatus }): Promise<ApprovalRecord[]>;
  /** Moves a pending approval to its decision; false when it was no longer pending (decided or expired). */
  decideApproval(id: string, decision: { status: Exclude<ApprovalStatus, 'pending'>; by: string; at: number; runId?: string }): Promise<boolean>;

  /** STORE_CONFLICT when the id or the name is taken. */
  createRunbook(runbook: RunbookRecord): Promise<void>;
  /** Replaces the runbook with this id; STORE_NOT_FOUND when there is none, STORE_CONFLICT when the name is another's. */
  updateRunbook(runbook: RunbookRecord): Promise<void>;
  getRunbook(id: string): Promise<RunbookRecord | undefined>;
  /** By name. */
  listRunbooks(): Promise<RunbookRecord[]>;
  /** Deletes the runbook and its saved runs; false when there was none. */
  deleteRunbook(id: string): Promise<boolean>;
  /** STORE_INVALID when the runbook does not exist. */
  saveRunbookRun(run: RunbookRunRecord): Promise<void>;
  /** Newest first; `before` pages backwards by createdAt. */
  listRunbookRuns(runbookId: string, page?: Page): Promise<RunbookRunRecord[]>;
  getRunbookRun(id: string): Promise<RunbookRunRecord | undefined>;

  /** Creates or replaces a secret's encrypted value (src/server/store/secret-rows.ts). */
  putSecret(secret: SecretRecord): Promise<void>;
  /** By name. */
  listSecrets(): Promise<SecretRecord[]>;
  /** False when there was none. */
  deleteSecret(name: string): Promise<boolean>;

  /**
   * Claims the tick at `tick` (ms, the same on every replica) of `name` for `holder`: true for
   * exactly one caller across every process on this store, false for the others (they skip the
   * tick). Claims are pruned an hour after their tick (tick-claim-rows.ts).
   */
  claimTick(name: string, tick: number, holder: string): Promise<boolean>;

  /**
   * Claims an outside alert's notification (integration, fingerprint, status) for `windowMs`: true
   * for exactly one caller per window across every process on this store, false for a repeat
   * within it. A resolution forgets the firing (alert-notification-rows.ts).
   */
  claimAlertNotification(claim: AlertNotificationClaim): Promise<boolean>;

  /** Records an outbound delivery that finally failed; prunes old ones (delivery-rows.ts). */
  recordDelivery(delivery: DeliveryRecord): Promise<void>;
  /** Newest first, paged by `before`, optionally one integration's or type's. */
  listDeliveries(filter?: DeliveryFilter): Promise<DeliveryRecord[]>;

  /** Records that replica `id` is alive at `at` (replica liveness, replica-rows.ts). */
  heartbeatReplica(id: string, at: number): Promise<void>;
  /**
   * Marks `interrupted` the running runs no live replica executes (their replica's last heartbeat
   * is before `staleBefore`, or they name none) and returns them; each run is returned to exactly
   * one caller across every process on this store. Stale replicas are forgotten.
   */
  interruptOrphanedRuns(staleBefore: number, at: number): Promise<RunRecord[]>;

  /**
   * The circuit breaker's one atomic step, across every process on this store: counts `bot`'s
   * window since `request.since` (grants and stored `bot_ran` events, per host), asks `decide`,
   * and records a grant to `request.host` at `request.at` when the answer's `grant` is true; no
   * other grantPermit of the same bot runs in between. Grants older than the window are pruned
   * (permit-rows.ts). `decide` must be synchronous and must not throw.
   */
  grantPermit<T extends { readonly grant: boolean }>(request: PermitRequest, decide: (window: PermitWindow) => T): Promise<T>;
  /** `bot`'s window since `since`, counted as grantPermit counts it, without granting (the breaker's state, read). */
  permitWindow(bot: string, since: number): Promise<PermitWindow>;

  /** Stores a new silence (operating-rows.ts). */
  createSilence(silence: SilenceRecord): Promise<void>;
  /** Ends a silence still in force at `at`; the ended record, or undefined when none was in force. */
  endSilence(id: string, by: string, at: number): Promise<SilenceRecord | undefined>;
  /** Silences in force at or ending after `since` (ended early or not), newest end first, at most `limit`. */
  listSilences(since: number, limit?: number): Promise<SilenceRecord[]>;
  /** Turns a switch on (or replaces who set it and why); false when it was on already. */
  setSwitch(record: SwitchRecord): Promise<boolean>;
  /** Turns a switch off; the record it had, or undefined when it was off. */
  clearSwitch(kind: SwitchRecord['kind'], name: string): Promise<SwitchRecord | undefined>;
  /** Every switch that is on. */
  listSwitches(): Promise<SwitchRecord[]>;
}

/** Which permit grantPermit is asked for. */
export interface PermitRequest {
  readonly bot: string;
  readonly host: string;
  /** Now, ms: the grant's time. */
  readonly at: number;
  /** The window's start, ms: older grants and runs do not count. */
  readonly since: number;
}

/** A bot's window, per host: the grants recorded and the `bot_ran` events stored. */
export interface PermitWindow {
  readonly granted: ReadonlyMap<string, number>;
  readonly ran: ReadonlyMap<string, number>;
}

/** A silence as stored (operating-rows.ts): the API's answer without its state now. */
export type SilenceRecord = Omit<Silence, 'state'>;

/** A switch that is on: the fleet's maintenance mode (`name` '') or one bot switched off. */
export interface SwitchRecord {
  readonly kind: 'maintenance' | 'bot';
  readonly name: string;
  readonly reason: string;
  readonly setBy: string;
  readonly setAt: number;
}

/** A secret's value as stored: encrypted (src/server/secrets/crypto.ts), never plain. */
export interface SecretRecord {
  readonly name: string;
  /** base64 of nonce, ciphertext and tag. */
  readonly ciphertext: string;
  readonly keyId: string;
  readonly updatedAt: number;
  readonly updatedBy: string;
}
