import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EventPublisher } from '../src/agent/nats/event-publisher.js';
import type { FleetEvent, NatsSubjects } from '../src/protocol/index.js';
import { natsSubjects } from '../src/protocol/index.js';
import { AgentIntake } from '../src/server/agent-intake.js';
import { AgentQuotas } from '../src/server/agent-quota.js';
import type { EventConsumerParts } from '../src/server/nats/index.js';
import { ensureEventsConsumer, ensureEventsStream, EVENTS_DURABLE, EventConsumer } from '../src/server/nats/index.js';
import { EventIntake } from '../src/server/remediation/index.js';
import type { Store } from '../src/server/store/index.js';
import { waitUntil } from './helpers.js';
import { connectNats, deleteStream, describeWithNats, testPrefix } from './nats-services.js';
import { tempStore } from './remediation-fakes.js';

/*
 * Issue 11, "Events": agents publish to the events stream, replicas share one durable consumer and
 * ack after storing; exactly once in the store, whichever replica dies when. Real NATS, a real
 * SQLite store behind the real EventIntake; each test has its own prefix and stream.
 */

const fired = (id: string, host = 'web-1', patch: Partial<FleetEvent> = {}): FleetEvent => ({
  id, time: Date.now(), type: 'alarm_fired', host, resource: host, alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: null, message: 'disk full', value: 95, details: {}, ...patch,
});

await describeWithNats('events over JetStream, exactly once in the store', 'test/nats-events.test.ts', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let subjects: NatsSubjects;
  let store: Store;
  let dispose: () => Promise<void>;
  let intake: EventIntake;
  /** Every call of the injected store function: which replica, which event ids. */
  let storeCalls: { replica: string; ids: string[] }[];
  let warnings: string[];
  const connections: NatsConnection[] = [];
  const consumers: EventConsumer[] = [];

  beforeEach(async () => {
    nc = await connectNats('nats-events.test');
    jsm = await jetstreamManager(nc);
    subjects = natsSubjects(testPrefix());
    ({ store, dispose } = await tempStore());
    intake = new EventIntake(store, { notify: () => undefined });
    storeCalls = [];
    warnings = [];
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    for (const c of connections.splice(0)) await c.close().catch(() => undefined);
    await deleteStream(jsm, subjects.eventsStream);
    await nc.close();
    await dispose();
  });

  async function setUp(options: { ackWaitMs: number; duplicateWindowMs?: number }): Promise<void> {
    await ensureEventsStream(jsm, subjects, options.duplicateWindowMs ? { duplicateWindowMs: options.duplicateWindowMs } : {});
    await ensureEventsConsumer(jsm, subjects, { ackWaitMs: options.ackWaitMs });
  }

  /** A replica's consumer on a connection of its own; `afterStore` runs after each store call, before the ack. */
  async function replica(name: string, options: { afterStore?: (conn: NatsConnection) => Promise<void>; failFirst?: number } = {}): Promise<EventConsumer> {
    const conn = await connectNats(name);
    connections.push(conn);
    let failures = options.failFirst ?? 0;
    const storeEvents: EventConsumerParts['storeEvents'] = async (_agent, events) => {
      if (failures-- > 0) throw new Error('database unavailable');
      storeCalls.push({ replica: name, ids: events.map((e) => e.id) });
      await intake.storeEvents(events);
      await options.afterStore?.(conn);
    };
    const consumer = new EventConsumer({
      js: jetstream(conn), subjects, storeEvents, logger: pino({ level: 'silent' }), retryDelayMs: 200, prefetch: 10,
      // The WebSocket intake's logging of refusals (once a minute per agent and kind), into `warnings`.
      intake: new AgentIntake(pino({ level: 'warn' }, { write: (line: string) => void warnings.push(`${JSON.parse(line).agent} ${JSON.parse(line).msg}`) }), new AgentQuotas()),
    });
    await consumer.start();
    consumers.push(consumer);
    return consumer;
  }

  const storedIds = async () => (await store.listEvents({ limit: 10_000 })).map((e) => e.id).sort();
  const publisher = (host: string) => new EventPublisher(jetstream(nc), subjects, host);

  it('an event published twice with the same id is stored once: the stream drops the resend, and the store one after the duplicate window', async () => {
    await setUp({ ackWaitMs: 5_000, duplicateWindowMs: 500 });
    const a = await replica('a');
    const event = fired('e-1');

    expect((await publisher('web-1').publish(event)).duplicate).toBe(false);
    expect((await publisher('web-1').publish(event)).duplicate).toBe(true);
    await waitUntil('the event stored', () => a.counts.stored === 1);
    // Past the window the stream takes it again; the store keeps its one copy.
    await new Promise((r) => setTimeout(r, 700));
    expect((await publisher('web-1').publish(event)).duplicate).toBe(false);
    await waitUntil('the late resend handled', () => a.counts.stored === 2);

    expect(storeCalls.map((c) => c.ids)).toEqual([['e-1'], ['e-1']]);
    expect(await storedIds()).toEqual(['e-1']);
    expect((await store.listEvents({}))[0]?.principal).toBe('agent:web-1');
  });

  it('two replicas on the same durable store every event exactly once between them', async () => {
    await setUp({ ackWaitMs: 10_000 });
    const [a, b] = [await replica('a'), await replica('b')];
    const ids: string[] = [];
    for (const host of ['web-1', 'web-2', 'db-1', 'db-2']) {
      const batch = Array.from({ length: 50 }, (_, i) => fired(`${host}-${i}`, host));
      ids.push(...batch.map((e) => e.id));
      await Promise.all(batch.map((e) => publisher(host).publish(e)));
    }

    await waitUntil('every event stored', () => a.counts.stored + b.counts.stored === 200);

    expect(await storedIds()).toEqual(ids.sort());
    const calls = storeCalls.flatMap((c) => c.ids);
    expect(new Set(calls).size).toBe(calls.length);
    expect([a.counts.stored > 0, b.counts.stored > 0]).toEqual([true, true]);
    expect([a.counts.malformed + b.counts.malformed, a.counts.refused + b.counts.refused, a.counts.retried + b.counts.retried]).toEqual([0, 0, 0]);
  });

  it('a replica that dies after storing and before acking leaves the event to another, and the store holds it once', async () => {
    await setUp({ ackWaitMs: 1_000 });
    // Replica a dies (its connection closes) right after its store call returns, so its ack never reaches NATS.
    await replica('a', { afterStore: (conn) => conn.close() });
    await publisher('web-1').publish(fired('e-1'));
    await waitUntil('replica a stored the event and died', () => storeCalls.length === 1 && connections[0]?.isClosed() === true);

    const b = await replica('b');
    await waitUntil('replica b handled the redelivery', () => b.counts.stored === 1);

    expect(storeCalls).toEqual([{ replica: 'a', ids: ['e-1'] }, { replica: 'b', ids: ['e-1'] }]);
    expect(await storedIds()).toEqual(['e-1']);
    const info = await jsm.consumers.info(subjects.eventsStream, EVENTS_DURABLE);
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  });

  it('a malformed message and an event for another host are refused, counted and terminated, and the consumer goes on', async () => {
    await setUp({ ackWaitMs: 1_000 });
    const a = await replica('a');
    nc.publish(subjects.agentEvents('web-1'), 'not json at all');
    nc.publish(subjects.agentEvents('web-1'), JSON.stringify({ ...fired('bad-type'), type: 'approved' }).slice(0, -9));
    await publisher('web-1').publish(fired('forged', 'db-1'));
    await publisher('web-1').publish(fired('good'));

    await waitUntil('the good event stored', () => a.counts.stored === 1);
    // Longer than the ack wait: terminated messages are not delivered again.
    await new Promise((r) => setTimeout(r, 1_500));

    expect(a.counts).toEqual({ stored: 1, malformed: 2, refused: 1, retried: 0 });
    expect(await storedIds()).toEqual(['good']);
    expect(warnings).toEqual(['web-1 events stream message malformed; terminated', 'web-1 events stream message refused; terminated']);
    const info = await jsm.consumers.info(subjects.eventsStream, EVENTS_DURABLE);
    expect([info.num_pending, info.num_ack_pending, info.num_redelivered]).toEqual([0, 0, 0]);
  });

  it('an event the store cannot take yet is delivered again after the delay, and stored once', async () => {
    await setUp({ ackWaitMs: 5_000 });
    const a = await replica('a', { failFirst: 2 });
    await publisher('web-1').publish(fired('e-1'));

    await waitUntil('the event stored', () => a.counts.stored === 1);

    expect(a.counts).toEqual({ stored: 1, malformed: 0, refused: 0, retried: 2 });
    expect(await storedIds()).toEqual(['e-1']);
  });
});
