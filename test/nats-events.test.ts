import { expect, it } from 'vitest';
import { EVENTS_DURABLE } from '../src/server/nats/index.js';
import { waitUntil } from './helpers.js';
import { fired, natsEventsBed, sqliteEventsDatabase } from './nats-events-bed.js';
import { describeWithNats } from './nats-services.js';

/*
 * Issue 11, "Events": agents publish to the events stream, replicas share one durable consumer and
 * ack after storing; exactly once in the store, whichever replica dies when. Real NATS, real SQLite
 * stores behind the real EventIntake; each test has its own prefix and stream.
 * test/nats-events-postgres.test.ts runs replicas dying on PostgreSQL.
 */

await describeWithNats('events over JetStream, exactly once in the store', 'test/nats-events.test.ts', () => {
  const bed = natsEventsBed(sqliteEventsDatabase);

  it('an event published twice with the same id is stored once: the stream drops the resend, and the store one after the duplicate window', async () => {
    await bed.setUp({ ackWaitMs: 5_000, duplicateWindowMs: 500 });
    const a = await bed.replica('a');
    const event = fired('e-1');

    expect((await bed.publisher('web-1').publish(event)).duplicate).toBe(false);
    expect((await bed.publisher('web-1').publish(event)).duplicate).toBe(true);
    await waitUntil('the event stored', () => a.counts.stored === 1);
    // Past the window the stream takes it again; the store keeps its one copy.
    await new Promise((r) => setTimeout(r, 700));
    expect((await bed.publisher('web-1').publish(event)).duplicate).toBe(false);
    await waitUntil('the late resend handled', () => a.counts.stored === 2);

    expect(bed.storeCalls.map((c) => c.ids)).toEqual([['e-1'], ['e-1']]);
    expect(await bed.storedIds()).toEqual(['e-1']);
    expect((await bed.store.listEvents({}))[0]?.principal).toBe('agent:web-1');
  });

  it('two replicas on the same durable store every event exactly once between them', async () => {
    await bed.setUp({ ackWaitMs: 10_000 });
    const [a, b] = [await bed.replica('a'), await bed.replica('b')];
    const ids: string[] = [];
    for (const host of ['web-1', 'web-2', 'db-1', 'db-2']) {
      const batch = Array.from({ length: 50 }, (_, i) => fired(`${host}-${i}`, host));
      ids.push(...batch.map((e) => e.id));
      await Promise.all(batch.map((e) => bed.publisher(host).publish(e)));
    }

    await waitUntil('every event stored', () => a.counts.stored + b.counts.stored === 200);

    expect(await bed.storedIds()).toEqual(ids.sort());
    const calls = bed.storeCalls.flatMap((c) => c.ids);
    expect(new Set(calls).size).toBe(calls.length);
    expect([a.counts.stored > 0, b.counts.stored > 0]).toEqual([true, true]);
    expect([a.counts.malformed + b.counts.malformed, a.counts.refused + b.counts.refused, a.counts.retried + b.counts.retried]).toEqual([0, 0, 0]);
  });

  it('a replica that dies after storing and before acking leaves the event to another, and the store holds it once', async () => {
    await bed.setUp({ ackWaitMs: 1_000 });
    // Replica a dies (its connection closes) right after its store call returns, so its ack never reaches NATS.
    await bed.replica('a', { afterStore: (conn) => conn.close() });
    await bed.publisher('web-1').publish(fired('e-1'));
    await waitUntil('replica a stored the event and died', () => bed.storeCalls.length === 1 && bed.connections[0]?.isClosed() === true);

    const b = await bed.replica('b');
    await waitUntil('replica b handled the redelivery', () => b.counts.stored === 1);

    expect(bed.storeCalls).toEqual([{ replica: 'a', ids: ['e-1'] }, { replica: 'b', ids: ['e-1'] }]);
    expect(await bed.storedIds()).toEqual(['e-1']);
    const info = await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE);
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  });

  it('a malformed message and an event for another host are refused, counted and terminated, and the consumer goes on', async () => {
    await bed.setUp({ ackWaitMs: 1_000 });
    const a = await bed.replica('a');
    bed.publishRaw('web-1', 'not json at all');
    bed.publishRaw('web-1', JSON.stringify(fired('torn')).slice(0, -9));
    await bed.publisher('web-1').publish(fired('forged', 'db-1'));
    await bed.publisher('web-1').publish(fired('good'));

    await waitUntil('the good event stored', () => a.counts.stored === 1);
    // Longer than the ack wait: terminated messages are not delivered again.
    await new Promise((r) => setTimeout(r, 1_500));

    expect(a.counts).toEqual({ stored: 1, malformed: 2, refused: 1, retried: 0, unknown: 0, deferred: 0, restarts: 0 });
    expect(await bed.storedIds()).toEqual(['good']);
    // Logged once a minute per agent and kind, however many there are.
    expect(bed.warnings).toEqual(['web-1 events stream message malformed; terminated', 'web-1 events stream message refused; terminated']);
    expect(await bed.leftover()).toEqual([0, 0, 0]);
  });

  it('an event the store cannot take yet is delivered again after the delay, and stored once', async () => {
    await bed.setUp({ ackWaitMs: 5_000 });
    const a = await bed.replica('a', { failFirst: 2 });
    await bed.publisher('web-1').publish(fired('e-1'));

    await waitUntil('the event stored', () => a.counts.stored === 1);

    expect(a.counts).toEqual({ stored: 1, malformed: 0, refused: 0, retried: 2, unknown: 0, deferred: 0, restarts: 0 });
    expect(await bed.storedIds()).toEqual(['e-1']);
    expect(bed.warnings).toEqual(['web-1 could not store events from the events stream; they will be delivered again']);
  });

  it('every replica may ensure the stream and the durable at start-up, at once and again with new timing', async () => {
    await Promise.all([bed.setUp({ ackWaitMs: 1_000 }), bed.setUp({ ackWaitMs: 1_000 })]);
    await bed.setUp({ ackWaitMs: 7_000, duplicateWindowMs: 60_000 });

    const stream = await bed.jsm.streams.info(bed.subjects.eventsStream);
    const durable = await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE);
    expect([stream.config.subjects, stream.config.storage, stream.config.retention, stream.config.duplicate_window]).toEqual([[bed.subjects.allEvents], 'file', 'workqueue', 60_000_000_000]);
    expect([durable.config.ack_policy, durable.config.ack_wait, durable.config.durable_name]).toEqual(['explicit', 7_000_000_000, EVENTS_DURABLE]);
  });
  it('a replica stopping finishes and acks the event it is storing, and hands the ones it pulled to another replica', async () => {
    await bed.setUp({ ackWaitMs: 30_000 });
    let release = (): void => undefined;
    const storing = new Promise<void>((r) => (release = r));
    const a = await bed.replica('a', { afterStore: () => storing });
    await bed.publisher('web-1').publish(fired('e-1'));
    await bed.publisher('web-1').publish(fired('e-2'));
    // Both pulled by a (an event still on its way to a stopped replica waits out the ack wait instead).
    const pulled = async () => (await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE)).num_ack_pending === 2;
    await waitUntil('replica a storing e-1, with e-2 pulled', async () => bed.storeCalls.length === 1 && (await pulled()));

    const stopped = a.stop();
    release();
    await stopped;
    // Far sooner than the 30 s ack wait: e-2 was handed back, e-1 acked.
    const b = await bed.replica('b');
    await waitUntil('replica b stored e-2', () => b.counts.stored === 1);

    expect(bed.storeCalls).toEqual([{ replica: 'a', ids: ['e-1'] }, { replica: 'b', ids: ['e-2'] }]);
    expect(a.counts.stored).toBe(1);
    expect(await bed.storedIds()).toEqual(['e-1', 'e-2']);
  });
  it('a consumer does not start without the stream and durable, nor twice', async () => {
    await expect(bed.replica('early')).rejects.toThrow(/not found/i);
    await bed.setUp({ ackWaitMs: 1_000 });
    const a = await bed.replica('a');
    await expect(a.start()).rejects.toThrow('event consumer already started');
  });
});
