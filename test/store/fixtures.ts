/*
 * Records and checks the store's test files share (src/server/store/*.test.ts): one builder per
 * record with distinct ids, the migrations a migrated database has recorded, and the hot queries
 * whose index plans sqlite.test.ts and postgres.test.ts check.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  StoreError,
  type AgentRecord,
  type ApprovalRecord,
  type AuditRecord,
  type DefinitionVersionRecord,
  type EventRecord,
  type EventType,
  type RunRecord,
  type RunResultRecord,
  type StoreDatabase,
  type StoreErrorCode,
  type TokenRecord,
} from '../../src/server/store/index.js';


let seq = 0;
export const uid = (prefix: string): string => `${prefix}-${++seq}-${randomBytes(3).toString('hex')}`;
export const T0 = 1_750_000_000_000; // a plausible "now" in ms

export function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: uid('tok'),
    name: uid('name'),
    role: 'operator',
    hash: randomBytes(32).toString('hex'),
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    createdBy: 'admin',
    maxUses: null,
    uses: 0,
    ...overrides,
  };
}

export function agent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: uid('agent'),
    name: uid('host'),
    hostId: uid('hostid'),
    credentialHash: randomBytes(32).toString('hex'),
    tags: { env: 'prod', region: 'eu-west-1' },
    facts: { os: 'linux', arch: 'x86_64', kernel: '6.1.0' },
    status: 'connected',
    enrolledAt: T0,
    lastSeenAt: null,
    enrolledWith: 'join-token-1',
    enrolledWithId: null,
    revokedAt: null,
    definitionsVersion: null,
    ...overrides,
  };
}

export function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: uid('run'),
    principal: 'alice',
    statement: 'host | env = "prod" | `uptime`',
    plan: { steps: [{ kind: 'select', resource: 'host' }, { kind: 'command', text: 'uptime' }], limit: 10 },
    status: 'running',
    startedAt: T0,
    finishedAt: null,
    targets: 0,
    failures: 0,
    ...overrides,
  };
}

export function result(runId: string, overrides: Partial<RunResultRecord> = {}): RunResultRecord {
  return {
    runId,
    resourceId: uid('res'),
    resourceType: 'host',
    host: uid('web'),
    status: 'ok',
    exitCode: 0,
    stdout: ' 10:00:00 up 3 days\n',
    stderr: '',
    error: null,
    values: { load1: 0.25 },
    durationMs: 12,
    ...overrides,
  };
}

export function audit(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: uid('audit'),
    time: T0,
    principal: 'alice',
    action: 'run',
    target: 'host | count',
    runId: null,
    outcome: 'ok',
    detail: {},
    ...overrides,
  };
}

export type NewDefinitionVersion = Omit<DefinitionVersionRecord, 'version'>;

export function definitionVersion(overrides: Partial<NewDefinitionVersion> = {}): NewDefinitionVersion {
  return {
    createdAt: T0,
    createdBy: 'alice',
    definitions: [
      { kind: 'action', name: 'restart_nginx', description: '', command: 'systemctl restart nginx', params: [], timeoutSeconds: 30 },
      { kind: 'alarm', name: 'disk_full', description: 'data disk nearly full', query: 'host | role = "db"', fire: 'disk_usage{mount="/data"} > 90' },
    ],
    summary: { create: 2, update: 0, delete: 0 },
    ...overrides,
  };
}

export function event(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: uid('evt'),
    time: T0,
    type: 'alarm_fired',
    host: 'web-1',
    resource: 'host:web-1',
    alarm: 'disk_full',
    bot: null,
    action: null,
    severity: 'critical',
    runId: null,
    principal: null,
    message: 'disk_usage{mount="/data"} > 90 for 5m',
    value: 93.5,
    details: {},
    ...overrides,
  };
}

export function approval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: uid('appr'),
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    bot: 'nginx-restarter',
    action: 'restart_nginx',
    host: 'web-1',
    resource: 'host:web-1',
    statement: 'host | name = "web-1" | restart_nginx()',
    details: { trigger: { alarm: 'nginx_down', value: 0 } },
    status: 'pending',
    decidedBy: null,
    decidedAt: null,
    runId: null,
    ...overrides,
  };
}

/** Every migration, in order: what a migrated database has recorded. */
export const MIGRATIONS = ['0001_initial', '0002_definitions_events_approvals', '0003_runbooks', '0004_event_file_failed', '0005_enrollment', '0006_secrets', '0007_interrupted_runs', '0008_tick_claims', '0009_permit_grants', '0010_replicas', '0011_event_agent_reconnected', '0012_silences_switches', '0013_alert_notifications', '0014_deliveries'];

/** The tables as migration 0001 left them (agents had no definitions_version yet). */
export interface Database0001 {
  tokens: StoreDatabase['tokens'];
  agents: Omit<StoreDatabase['agents'], 'definitions_version'>;
}

export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a StoreError ${code}`).toBeInstanceOf(StoreError);
  expect((error as StoreError).code, (error as StoreError).message).toBe(code);
  return error as StoreError;
}

/** A string with things JSON and SQL layers like to get wrong. */
export const TRICKY = 'héllo 世界 🚀 שלום e\u0301 "quoted" \\back\\slash\nnew\tline \u2028 \' ; drop table agents; --';

/** The store's hot queries on the new tables (as event-rows.ts and approval-rows.ts build them)
 *  and the index each must use. `$n` placeholders; SQLite gets them as `?`. */
export const INDEXED_QUERIES: readonly { name: string; sql: string; params: readonly unknown[]; index: string }[] = [
  {
    name: 'countEvents by type and bot (the circuit breaker)',
    sql: 'select count(*) as n from events where type = $1 and time >= $2 and bot = $3',
    params: ['bot_ran', T0 + 1000, 'bot-8'],
    index: 'events_type_bot_time_idx',
  },
  {
    name: 'countEvents by type and alarm',
    sql: 'select count(*) as n from events where type = $1 and time >= $2 and alarm = $3',
    params: ['alarm_fired', T0 + 1000, 'alarm-3'],
    index: 'events_type_alarm_time_idx',
  },
  {
    name: 'countEvents by type',
    sql: 'select count(*) as n from events where type = $1 and time >= $2',
    params: ['bot_ran', T0 + 1000],
    index: 'events_type_time_idx',
  },
  {
    name: 'listEvents by bot',
    sql: 'select * from events where bot = $1 order by time desc, id desc limit $2',
    params: ['bot-8', 100],
    index: 'events_bot_time_idx',
  },
  {
    name: 'listEvents by host',
    sql: 'select * from events where host = $1 and time < $2 order by time desc, id desc limit $3',
    params: ['host-7', T0 + 2000, 100],
    index: 'events_host_time_idx',
  },
  {
    name: 'listApprovals by status',
    sql: 'select * from approvals where status = $1 order by created_at desc, id desc limit $2',
    params: ['pending', 100],
    index: 'approvals_status_created_at_idx',
  },
];

/** A few thousand events, so that plans are not those of an empty table: mostly alarms, a bot run
 *  in ten, spread over 20 bots, 30 alarms and 50 hosts. */
export function manyEvents(): EventRecord[] {
  return Array.from({ length: 3000 }, (_, i) => {
    const kind = i % 10;
    const type: EventType = kind === 0 ? 'bot_ran' : kind < 5 ? 'alarm_fired' : kind < 9 ? 'alarm_cleared' : 'agent_joined';
    return event({
      time: T0 + i,
      type,
      bot: type === 'bot_ran' ? `bot-${(i / 10) % 20}` : null,
      alarm: type.startsWith('alarm') ? `alarm-${i % 30}` : null,
      host: `host-${i % 50}`,
    });
  });
}
