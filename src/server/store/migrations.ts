/*
 * Schema migrations, in code (no migration files to ship next to the bundle). Each migration is
 * written once for both dialects; the few differences are the column types below (JSON is JSONB in
 * PostgreSQL and TEXT in SQLite; times are BIGINT in PostgreSQL and INTEGER, which is 64-bit, in
 * SQLite) and SQLite tables being STRICT, so that SQLite rejects a mistyped value the way
 * PostgreSQL does (a 1.5 in an integer column, text in a time column) instead of storing it.
 *
 * Migrations are history: never edit one that has shipped; add the next number. The allowed values
 * in the CHECK constraints are written out (here and in migration-values.ts) on purpose rather than derived from types.ts, so a
 * change to the types shows up as a new migration.
 */
import { Migrator, sql, type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, type RawBuilder, type SqlBool } from 'kysely';
import { StoreError, toStoreError } from './errors.js';
import { eventTypesMigration } from './event-types.js';
import { secretsMigration } from './migration-0006-secrets.js';
import { enrollment } from './migration-0005-enrollment.js';
import { interruptedRuns } from './migration-0007-interrupted-runs.js';
import { tickClaimsMigration } from './migration-0008-tick-claims.js';
import { permitGrantsMigration } from './migration-0009-permit-grants.js';
import { replicasMigration } from './migration-0010-replicas.js';
import { silencesSwitchesMigration } from './migration-0012-silences-switches.js';
import { alertNotificationsMigration } from './migration-0013-alert-notifications.js';
import { deliveriesMigration } from './migration-0014-deliveries.js';
import { EVENT_TYPES_0002, EVENT_TYPES_0004, EVENT_TYPES_0011, RUN_STATUSES_0001 } from './migration-values.js';
import type { StoreDialect } from './schema.js';

/** `column in ('a', 'b')` with literal values (DDL takes no parameters). */
function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

export function dialectTypes(dialect: StoreDialect) {
  return {
    /** ms since the epoch, durations: 64-bit integers. */
    time: dialect === 'postgres' ? 'bigint' : 'integer',
    json: dialect === 'postgres' ? 'jsonb' : 'text',
    /** A 64-bit float (an event's measured value). */
    float: dialect === 'postgres' ? 'double precision' : 'real',
    /** Text that is sorted or compared as a key (ids, names): byte order in both databases.
     *  SQLite's default collation is already binary; PostgreSQL's follows the database's locale
     *  (en_US would sort `Web-1` after `app-1`), so pages and ties would differ between back ends. */
    key: dialect === 'postgres' ? sql`text collate "C"` : sql`text`,
  } as const;
}

/** CREATE TABLE `name`, STRICT in SQLite (type checks like PostgreSQL's); plain in PostgreSQL. */
export function createTable(db: Kysely<unknown>, dialect: StoreDialect, name: string): CreateTableBuilder<string, never> {
  const builder = db.schema.createTable(name);
  return dialect === 'sqlite' ? builder.modifyEnd(sql`strict`) : builder;
}

function initial(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'tokens')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('name', t.key, (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('expires_at', t.time)
        .addColumn('revoked_at', t.time)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('tokens_hash_key', ['hash'])
        .addCheckConstraint('tokens_role_check', oneOf('role', ['agent', 'viewer', 'operator', 'admin']))
        .execute();

      await createTable(db, dialect, 'agents')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('name', t.key, (c) => c.notNull())
        .addColumn('host_id', 'text', (c) => c.notNull())
        .addColumn('credential_hash', 'text', (c) => c.notNull())
        .addColumn('tags', t.json, (c) => c.notNull())
        .addColumn('facts', t.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('enrolled_at', t.time, (c) => c.notNull())
        .addColumn('last_seen_at', t.time)
        .addColumn('enrolled_with', 'text', (c) => c.notNull())
        // upsertAgent is keyed by name (ON CONFLICT (name)); agents authenticate by credential hash.
        .addUniqueConstraint('agents_name_key', ['name'])
        .addUniqueConstraint('agents_credential_hash_key', ['credential_hash'])
        .addCheckConstraint('agents_status_check', oneOf('status', ['connected', 'disconnected']))
        .execute();

      await createTable(db, dialect, 'runs')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('plan', t.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', t.time, (c) => c.notNull())
        .addColumn('finished_at', t.time)
        .addColumn('targets', 'integer', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addCheckConstraint(
          'runs_status_check',
          oneOf('status', RUN_STATUSES_0001),
        )
        .addCheckConstraint('runs_counts_check', sql`targets >= 0 and failures >= 0`)
        .execute();
      // listRuns: newest first, paged by started_at; id breaks ties so pages are stable.
      await db.schema.createIndex('runs_started_at_idx').on('runs').columns(['started_at desc', 'id desc']).execute();

      await createTable(db, dialect, 'run_results')
        .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
          // SQLite: INTEGER PRIMARY KEY is the rowid, ascending with each insert.
          dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
        )
        .addColumn('run_id', t.key, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('stdout', 'text')
        .addColumn('stderr', 'text')
        .addColumn('error', 'text')
        .addColumn('result_values', t.json, (c) => c.notNull())
        .addColumn('duration_ms', t.time)
        .addCheckConstraint(
          'run_results_status_check',
          oneOf('status', ['ok', 'error', 'timeout', 'offline', 'cancelled']),
        )
        .execute();
      // getRun: a run's results in insertion order (also serves the foreign key's lookups).
      await db.schema.createIndex('run_results_run_id_idx').on('run_results').columns(['run_id', 'seq']).execute();

      await createTable(db, dialect, 'audit')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('time', t.time, (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        // No foreign key: the trail must take every entry (a denied run never gets a run row).
        .addColumn('run_id', t.key)
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', t.json, (c) => c.notNull())
        .addCheckConstraint('audit_outcome_check', oneOf('outcome', ['ok', 'denied', 'failed']))
        .execute();
      // listAudit: newest first, optionally for one principal or one action.
      await db.schema.createIndex('audit_time_idx').on('audit').columns(['time desc', 'id desc']).execute();
      await db.schema
        .createIndex('audit_principal_time_idx')
        .on('audit')
        .columns(['principal', 'time desc', 'id desc'])
        .execute();
      await db.schema
        .createIndex('audit_action_time_idx')
        .on('audit')
        .columns(['action', 'time desc', 'id desc'])
        .execute();
    },
  };
}

/**
 * Applied definitions (versioned), the fleet's event timeline, approvals of bot runs, and the
 * definitions version each agent reports.
 */
function definitionsEventsApprovals(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  /** Partial indexes skip the rows whose filter column is null (most events have no bot, ...). */
  const notNull = (column: string): RawBuilder<SqlBool> => sql<SqlBool>`${sql.ref(column)} is not null`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Nullable: existing agents have not reported a version yet. No range check: the value is
      // whatever the agent reports (the protocol allows any integer).
      await db.schema.alterTable('agents').addColumn('definitions_version', 'integer').execute();

      await createTable(db, dialect, 'definition_versions')
        // SQLite: INTEGER PRIMARY KEY is the rowid; versions are given explicitly (never
        // generated), so that two applies planned against the same version collide on it.
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('definitions', t.json, (c) => c.notNull())
        .addColumn('summary_create', 'integer', (c) => c.notNull())
        .addColumn('summary_update', 'integer', (c) => c.notNull())
        .addColumn('summary_delete', 'integer', (c) => c.notNull())
        .addCheckConstraint('definition_versions_version_check', sql`version >= 1`)
        .addCheckConstraint(
          'definition_versions_definitions_check',
          dialect === 'postgres' ? sql`jsonb_typeof(definitions) = 'array'` : sql`json_type(definitions) = 'array'`,
        )
        .addCheckConstraint(
          'definition_versions_summary_check',
          sql`summary_create >= 0 and summary_update >= 0 and summary_delete >= 0`,
        )
        .execute();
      // listDefinitionVersions: newest first, paged by created_at (the primary key serves
      // currentDefinitions and getDefinitionVersion).
      await db.schema
        .createIndex('definition_versions_created_at_idx')
        .on('definition_versions')
        .columns(['created_at desc', 'version desc'])
        .execute();

      await createTable(db, dialect, 'events')
        // Chosen by the event's creator: redelivery hits the primary key and is skipped.
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('time', t.time, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('host', 'text')
        .addColumn('resource', 'text')
        .addColumn('alarm', 'text')
        .addColumn('bot', 'text')
        .addColumn('action', 'text')
        .addColumn('severity', 'text')
        // No foreign key, as in audit: an event may name a run this control plane never stored.
        .addColumn('run_id', t.key)
        .addColumn('principal', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('value', t.float)
        .addColumn('details', t.json, (c) => c.notNull())
        .addCheckConstraint(
          'events_type_check',
          oneOf('type', EVENT_TYPES_0002),
        )
        .execute();
      // listEvents: newest first, optionally for one type, host, alarm or bot.
      await db.schema.createIndex('events_time_idx').on('events').columns(['time desc', 'id desc']).execute();
      await db.schema.createIndex('events_type_time_idx').on('events').columns(['type', 'time desc', 'id desc']).execute();
      for (const column of ['host', 'alarm', 'bot'] as const) {
        await db.schema
          .createIndex(`events_${column}_time_idx`)
          .on('events')
          .columns([column, 'time desc', 'id desc'])
          .where(notNull(column))
          .execute();
      }
      // countEvents (the fleet-wide circuit breaker, on every bot run): one type of one bot or
      // one alarm since a time. A count by type alone uses events_type_time_idx.
      for (const column of ['bot', 'alarm'] as const) {
        await db.schema
          .createIndex(`events_type_${column}_time_idx`)
          .on('events')
          .columns(['type', column, 'time'])
          .where(notNull(column))
          .execute();
      }

      await createTable(db, dialect, 'approvals')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('expires_at', t.time, (c) => c.notNull())
        .addColumn('bot', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('details', t.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', t.time)
        // No foreign key: the run is created after the decision that allows it.
        .addColumn('run_id', t.key)
        .addCheckConstraint('approvals_status_check', oneOf('status', ['pending', 'approved', 'denied', 'expired']))
        // A pending approval has no decision yet; a decided one says who decided and when.
        .addCheckConstraint(
          'approvals_decision_check',
          // The text, line break and indentation included, is what SQLite stores as the schema:
          // keep it as released.
          sql`(status = 'pending' and decided_by is null and decided_at is null and run_id is null)
              or (status <> 'pending' and decided_by is not null and decided_at is not null)`,
        )
        .execute();
      // listApprovals: newest first, optionally with one status (the pending ones, mostly).
      await db.schema.createIndex('approvals_created_at_idx').on('approvals').columns(['created_at desc', 'id desc']).execute();
      await db.schema
        .createIndex('approvals_status_created_at_idx')
        .on('approvals')
        .columns(['status', 'created_at desc', 'id desc'])
        .execute();
    },
  };
}

function runbooks(dialect: StoreDialect): Migration {
  const t = dialectTypes(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, dialect, 'runbooks')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('name', t.key, (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('params', t.json, (c) => c.notNull())
        .addColumn('cells', t.json, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        // listRunbooks is by name; the unique constraint's index serves it.
        .addUniqueConstraint('runbooks_name_key', ['name'])
        .execute();

      await createTable(db, dialect, 'runbook_runs')
        .addColumn('id', t.key, (c) => c.primaryKey())
        .addColumn('runbook_id', t.key, (c) => c.notNull().references('runbooks.id').onDelete('cascade'))
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('params', t.json, (c) => c.notNull())
        .addColumn('outputs', t.json, (c) => c.notNull())
        .execute();
      // listRunbookRuns: one runbook's runs, newest first (also serves the foreign key's lookups).
      await db.schema.createIndex('runbook_runs_runbook_created_at_idx').on('runbook_runs').columns(['runbook_id', 'created_at desc', 'id desc']).execute();
    },
  };
}

/** All migrations for a dialect, by name; names sort in the order they run. */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
    '0002_definitions_events_approvals': definitionsEventsApprovals(dialect),
    '0003_runbooks': runbooks(dialect),
    // An agent reports a file definition it could not put in place (a symlink refused, ...).
    '0004_event_file_failed': eventTypesMigration(dialect, EVENT_TYPES_0004),
    '0005_enrollment': enrollment(dialect),
    '0006_secrets': secretsMigration(dialect),
    // A run left `running` by a crash becomes `interrupted`; refused permits become `permit_refused` events.
    '0007_interrupted_runs': interruptedRuns(dialect),
    // Several replicas: a schedule's tick runs on the one replica that claimed it.
    '0008_tick_claims': tickClaimsMigration(dialect),
    // Several replicas: the circuit breaker's grants are counted in one transaction in the store.
    '0009_permit_grants': permitGrantsMigration(dialect),
    // Several replicas: a starting replica interrupts only the runs of replicas that stopped heartbeating.
    '0010_replicas': replicasMigration(dialect),
    // A host's agent connecting again is `agent_reconnected`; `agent_joined` is its first connection.
    '0011_event_agent_reconnected': eventTypesMigration(dialect, EVENT_TYPES_0011),
    // Silences, the maintenance switch and bots switched off, and the events they record.
    '0012_silences_switches': silencesSwitchesMigration(dialect),
    // Alertmanager's notifications, once per fingerprint and status within the bots' cooldown.
    '0013_alert_notifications': alertNotificationsMigration(dialect),
    // Outbound deliveries (webhook, PagerDuty, Slack) that finally failed, listed for people.
    '0014_deliveries': deliveriesMigration(dialect),
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}

export interface RunMigrationsOptions {
  /** PostgreSQL: the schema of Kysely's bookkeeping tables (the store's own schema). */
  readonly migrationTableSchema?: string;
  /** The caller already holds a transaction around the whole migration (SQLite). */
  readonly disableTransactions?: boolean;
}

/**
 * Brings the schema up to date with Kysely's Migrator. The caller provides the cross-process
 * exclusion (postgres.ts: an advisory lock; sqlite.ts: BEGIN IMMEDIATE).
 */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  dialect: StoreDialect,
  options: RunMigrationsOptions = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(options.migrationTableSchema === undefined ? {} : { migrationTableSchema: options.migrationTableSchema }),
    ...(options.disableTransactions === undefined ? {} : { disableTransactions: options.disableTransactions }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const classified = toStoreError('migrate', error);
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const message = error instanceof Error ? error.message : String(error);
  throw new StoreError(
    classified.code,
    'migrate',
    failed === undefined ? message : `migration ${failed} failed: ${message}`,
    { cause: error },
  );
}
