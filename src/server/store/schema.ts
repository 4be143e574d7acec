/*
 * Row types of the store's tables, as Kysely sees them. Column names are snake_case; the
 * mapping to the camelCase records of types.ts lives beside each table group's queries (*-rows.ts).
 *
 * JSON columns are TEXT in SQLite and JSONB in PostgreSQL: they are written as JSON text (both
 * accept it) and read back as text (SQLite) or as the value pg already parsed (PostgreSQL), hence
 * `unknown` on select; values.ts's jsonReader decodes per dialect.
 */
import type { ColumnType, Generated } from 'kysely';
import type { AgentRecord, ApprovalStatus, AuditRecord, EventType, Role, RunResultRecord, RunStatus } from './types.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** A JSON column: JSON text in, text (SQLite) or parsed value (PostgreSQL) out. */
export type JsonColumn = ColumnType<unknown, string, string>;

export interface TokensTable {
  id: string;
  name: string;
  role: Role;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  created_by: string;
  /** Added by 0005: null is unlimited. */
  max_uses: number | null;
  /** Added by 0005: enrollments counted against max_uses. */
  uses: Generated<number>;
}

export interface AgentsTable {
  id: string;
  name: string;
  host_id: string;
  credential_hash: string;
  tags: JsonColumn;
  facts: JsonColumn;
  status: AgentRecord['status'];
  enrolled_at: number;
  last_seen_at: number | null;
  enrolled_with: string;
  /** Added by 0002; null until the agent reports one. */
  definitions_version: number | null;
  /** Added by 0005: the id of the join token that issued the credential (null before 0005). */
  enrolled_with_id: string | null;
  /** Added by 0005: when an admin revoked the credential; null while it is valid. */
  revoked_at: number | null;
}

export interface RunsTable {
  id: string;
  principal: string;
  statement: string;
  plan: JsonColumn;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  targets: number;
  failures: number;
  /** Added by 0010: the replica executing the run; null before 0010 and for runs recorded finished. */
  replica_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RunResultsTable {
  /** Insertion order (SQLite rowid / PostgreSQL identity): results are read back in it. */
  seq: Generated<number>;
  run_id: string;
  resource_id: string;
  resource_type: string;
  host: string;
  status: RunResultRecord['status'];
  exit_code: number | null;
  stdout: string | null;
  stderr: string | null;
  error: string | null;
  /** `values` is an SQL keyword; the column is named result_values. */
  result_values: JsonColumn;
  duration_ms: number | null;
}

export interface AuditTable {
  id: string;
  time: number;
  principal: string;
  action: string;
  target: string;
  run_id: string | null;
  outcome: AuditRecord['outcome'];
  detail: JsonColumn;
}

export interface DefinitionVersionsTable {
  version: number;
  created_at: number;
  created_by: string;
  /** A JSON array. */
  definitions: JsonColumn;
  /** DefinitionVersionRecord.summary, one column per count. */
  summary_create: number;
  summary_update: number;
  summary_delete: number;
}

export interface EventsTable {
  id: string;
  time: number;
  type: EventType;
  host: string | null;
  resource: string | null;
  alarm: string | null;
  bot: string | null;
  action: string | null;
  severity: string | null;
  run_id: string | null;
  principal: string | null;
  message: string;
  value: number | null;
  details: JsonColumn;
}

export interface ApprovalsTable {
  id: string;
  created_at: number;
  expires_at: number;
  bot: string;
  action: string;
  host: string;
  resource: string;
  statement: string;
  details: JsonColumn;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: number | null;
  run_id: string | null;
}

/** Added by 0003. */
export interface RunbooksTable {
  id: string;
  name: string;
  description: string;
  /** JSON array of parameter names. */
  params: JsonColumn;
  /** JSON array of {kind, text}. */
  cells: JsonColumn;
  updated_at: number;
  updated_by: string;
}

/** Added by 0003. */
export interface RunbookRunsTable {
  id: string;
  runbook_id: string;
  created_at: number;
  created_by: string;
  params: JsonColumn;
  outputs: JsonColumn;
}

export interface StoreDatabase {
  tokens: TokensTable;
  agents: AgentsTable;
  runs: RunsTable;
  run_results: RunResultsTable;
  audit: AuditTable;
  definition_versions: DefinitionVersionsTable;
  events: EventsTable;
  approvals: ApprovalsTable;
  runbooks: RunbooksTable;
  runbook_runs: RunbookRunsTable;
  secrets: SecretsTable;
  tick_claims: TickClaimsTable;
  permit_grants: PermitGrantsTable;
  replicas: ReplicasTable;
  silences: SilencesTable;
  switches: SwitchesTable;
  alert_notifications: AlertNotificationsTable;
  deliveries: DeliveriesTable;
}

/** Added by 0014: outbound deliveries that finally failed (delivery-rows.ts). */
export interface DeliveriesTable {
  id: string;
  integration: string;
  type: string;
  target: string;
  event_id: string;
  event_type: string;
  status: 'failed';
  attempts: number;
  http_status: number | null;
  error: string;
  first_at: number;
  time: number;
}

/** Added by 0013: outside alerts' notifications passed on to agents (alert-notification-rows.ts). */
export interface AlertNotificationsTable {
  integration: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  alert: string;
  sent_at: number;
}

/** Added by 0012: silences of alarms on a host query (operating-rows.ts). */
export interface SilencesTable {
  id: string;
  /** null: every alarm. */
  alarm: string | null;
  /** The host query (a host selection of the language). */
  hosts: string;
  reason: string;
  created_by: string;
  created_at: number;
  ends_at: number;
  ended_at: number | null;
  ended_by: string | null;
}

/** Added by 0012: switches that are on (maintenance, a bot switched off); no row is off. */
export interface SwitchesTable {
  kind: 'maintenance' | 'bot';
  /** The bot's name; '' for maintenance. */
  name: string;
  reason: string;
  set_by: string;
  set_at: number;
}

/** Added by 0010: each control-plane replica's last heartbeat (replica-rows.ts). */
export interface ReplicasTable {
  id: string;
  started_at: number;
  heartbeat_at: number;
}

/** Added by 0006: secret values, encrypted (src/server/secrets/crypto.ts); never the plain value. */
export interface SecretsTable {
  name: string;
  /** base64 of nonce, ciphertext and tag (AES-256-GCM, the name as associated data). */
  ciphertext: string;
  /** Which key encrypted it (the first 16 hex digits of its sha256), for a clear error with the wrong key. */
  key_id: string;
  updated_at: number;
  updated_by: string;
}

/** Added by 0008: which replica claimed a schedule's tick (tick-claim-rows.ts). */
export interface TickClaimsTable {
  /** What is scheduled (a schedule's name and timing). */
  name: string;
  /** The tick's nominal time, ms since the epoch: the same on every replica. */
  tick: number;
  /** The replica that claimed it, for an operator asking who ran what. */
  holder: string;
}

/** Added by 0009: the circuit breaker's grants, one row per permit granted (permit-rows.ts). */
export interface PermitGrantsTable {
  bot: string;
  /** The host the permit was granted to. */
  host: string;
  /** When, ms since the epoch. */
  at: number;
}
