import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { EventPublisher } from '../src/agent/nats/event-publisher.js';
import type { FleetEvent, NatsSubjects } from '../src/protocol/index.js';
import { natsSubjects } from '../src/protocol/index.js';
import { AgentIntake } from '../src/server/agent-intake.js';
import { AgentQuotas } from '../src/server/agent-quota.js';
import type { EventConsumerParts } from '../src/server/nats/index.js';
import { ensureEventsConsumer, ensureEventsStream, EventConsumer, EVENTS_DURABLE, KnownAgents } from '../src/server/nats/index.js';
import { EventIntake } from '../src/server/remediation/index.js';
import type { Store } from '../src/server/store/index.js';
import { openSqliteStore } from '../src/server/store/index.js';
import { agentRecord } from './agent-requests-bed.js';
import { connectNats, deleteStream, testPrefix } from './nats-services.js';

/*
 * The set-up of the scaled-mode events tests (issue 11, "Events"), on either back end: a prefix and
 * events stream of the test's own, replicas that each have their own NATS connection, store and
 * EventIntake on one shared database, and agents publishing with the real EventPublisher.
 */

/** One empty database for a test; `open` gives another store on it (one per replica). */
export interface EventsDatabase {
  open(): Store;
  dispose(): Promise<void>;
}

export interface ReplicaOptions {
  /** Runs after each store call, before the ack (given the replica's connection, to close it: the replica dies). */
  readonly afterStore?: (conn: NatsConnection) => Promise<void>;
  /** Store calls that fail before the store works. */
  readonly failFirst?: number;
  /** The replica's per-agent quotas (default AGENT_QUOTA_DEFAULTS). */
  readonly quotas?: AgentQuotas;
}

/** The agents enrolled in every test's store (the events of others are refused); `gone-1` was revoked. */
export const ENROLLED = ['web-1', 'web-2', 'db-1', 'db-2'];

/** A SQLite database in a temporary folder of its own. */
export async function sqliteEventsDatabase(): Promise<EventsDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-nats-events-'));
  return { open: () => openSqliteStore(join(dir, 'breakwater.db')), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** An alarm_fired event of `host` (its principal left for the control plane to set). */
export const fired = (id: string, host = 'web-1', patch: Partial<FleetEvent> = {}): FleetEvent => ({
  id, time: Date.now(), type: 'alarm_fired', host, resource: host, alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk full', value: 95, details: {}, ...patch,
});

/**
 * Registers beforeEach/afterEach for one test at a time and returns the test's bed: `store` reads
 * what was stored, `storeCalls` and `warnings` what the replicas did.
 */
export function natsEventsBed(freshDatabase: () => Promise<EventsDatabase>) {
  let nc: NatsConnection;
  let database: EventsDatabase;
  const bed = {
    jsm: undefined as unknown as JetStreamManager,
    subjects: undefined as unknown as NatsSubjects,
    store: undefined as unknown as Store,
    /** Every call of a replica's store function: which replica, which event ids. */
    storeCalls: [] as { replica: string; ids: string[] }[],
    /** What the replicas' AgentIntake logged (agent and message). */
    warnings: [] as string[],
    connections: [] as NatsConnection[],
    consumers: [] as EventConsumer[],
    stores: [] as Store[],

    /** The durable's ack wait, for replicas that re-create it. */
    ackWaitMs: 30_000,

    async setUp(options: { ackWaitMs: number; duplicateWindowMs?: number }): Promise<void> {
      bed.ackWaitMs = options.ackWaitMs;
      await ensureEventsStream(bed.jsm, bed.subjects, options.duplicateWindowMs ? { duplicateWindowMs: options.duplicateWindowMs } : {});
      await ensureEventsConsumer(bed.jsm, bed.subjects, { ackWaitMs: options.ackWaitMs });
    },

    /** A started replica: its own connection, store, EventIntake and consumer. */
    async replica(name: string, options: ReplicaOptions = {}): Promise<EventConsumer> {
      const conn = await connectNats(name);
      bed.connections.push(conn);
      const store = database.open();
      bed.stores.push(store);
      const intake = new EventIntake(store, { notify: () => undefined });
      let failures = options.failFirst ?? 0;
      const storeEvents: EventConsumerParts['storeEvents'] = async (_agent, events) => {
        if (failures-- > 0) throw new Error('database unavailable');
        bed.storeCalls.push({ replica: name, ids: events.map((e) => e.id) });
        await intake.storeEvents(events);
        await options.afterStore?.(conn);
      };
      const log = pino({ level: 'warn' }, { write: (line: string) => void bed.warnings.push(`${JSON.parse(line).agent} ${JSON.parse(line).msg}`) });
      const consumer = new EventConsumer({
        js: jetstream(conn), subjects: bed.subjects, storeEvents, logger: pino({ level: 'silent' }), retryDelayMs: 200, quotaDelayMs: 200, prefetch: 10,
        // The WebSocket intake's logging of refusals (once a minute per agent and kind).
        intake: new AgentIntake(log, new AgentQuotas()),
        known: new KnownAgents({ store }),
        ...(options.quotas ? { quotas: options.quotas } : {}),
        consumer: { ackWaitMs: bed.ackWaitMs },
        restartDelayMs: { first: 50, max: 500 },
      });
      await consumer.start();
      bed.consumers.push(consumer);
      return consumer;
    },

    publisher: (host: string) => new EventPublisher(jetstream(nc), bed.subjects, host),
    /** Publishes on the agent's subject without JetStream's publish (no ack, no message id): raw bytes. */
    publishRaw: (host: string, data: string) => nc.publish(bed.subjects.agentEvents(host), data),
    /** What the durable still holds: pending, handed out and not acked, delivered more than once. */
    leftover: async () => {
      const info = await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE);
      return [info.num_pending, info.num_ack_pending, info.num_redelivered];
    },
    /** Whether a replica's pull waits at the durable: deleting it now reaches that replica at once (409), not after missed heartbeats. */
    pulling: async () => (await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE)).num_waiting > 0,
    storedIds: async () => (await bed.store.listEvents({ limit: 10_000 })).map((e) => e.id).sort(),
  };

  beforeEach(async () => {
    nc = await connectNats('nats-events');
    bed.jsm = await jetstreamManager(nc);
    bed.subjects = natsSubjects(testPrefix());
    database = await freshDatabase();
    bed.store = database.open();
    await bed.store.migrate();
    for (const name of ENROLLED) await bed.store.upsertAgent(agentRecord(name));
    await bed.store.upsertAgent(agentRecord('gone-1', { revokedAt: Date.UTC(2026, 0, 2) }));
    bed.storeCalls = [];
    bed.warnings = [];
  });
  afterEach(async () => {
    for (const c of bed.consumers.splice(0)) await c.stop();
    for (const c of bed.connections.splice(0)) await c.close().catch(() => undefined);
    for (const s of bed.stores.splice(0)) await s.close();
    await deleteStream(bed.jsm, bed.subjects.eventsStream);
    await nc.close();
    await bed.store.close();
    await database.dispose();
  });
  return bed;
}
