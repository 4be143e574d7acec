import { expect, it } from 'vitest';
import { AgentQuotas } from '../src/server/agent-quota.js';
import { ensureEventsStream, EVENTS_DURABLE } from '../src/server/nats/index.js';
import { waitUntil } from './helpers.js';
import { fired, natsEventsBed, sqliteEventsDatabase } from './nats-events-bed.js';
import { deleteStream, describeWithNats } from './nats-services.js';

/*
 * The events intake over JetStream facing hostile agents and a failing NATS (issue 11): events of
 * agents the store does not know (or revoked) are terminated, an agent over its events quota waits
 * in the stream, and a consume loop whose durable or stream is deleted restarts by itself. Real
 * NATS and SQLite stores, as test/nats-events.test.ts.
 */

await describeWithNats('events over JetStream: agents, quotas and a failing consumer', 'test/nats-events-hardening.test.ts', () => {
  const bed = natsEventsBed(sqliteEventsDatabase);

  it('events of an agent that is not enrolled, or revoked, are terminated, counted and logged once; an enrolled agent\'s are stored', async () => {
    await bed.setUp({ ackWaitMs: 1_000 });
    const a = await bed.replica('a');
    for (const [host, id] of [['intruder-1', 'i-1'], ['intruder-1', 'i-2'], ['gone-1', 'g-1'], ['web-1', 'good']] as const) await bed.publisher(host).publish(fired(id, host));

    await waitUntil('every event handled', () => a.counts.stored + a.counts.unknown === 4);
    // Longer than the ack wait: terminated messages are not delivered again.
    await new Promise((r) => setTimeout(r, 1_500));

    expect(a.counts).toMatchObject({ stored: 1, unknown: 3 });
    expect(await bed.storedIds()).toEqual(['good']);
    expect(bed.warnings).toEqual(['intruder-1 events from an agent that is not enrolled, or revoked; terminated', 'gone-1 events from an agent that is not enrolled, or revoked; terminated']);
    expect(await bed.leftover()).toEqual([0, 0, 0]);
  });

  it('events over an agent\'s quota wait in the stream and are stored once it refills; other agents are not held up; nothing is lost', async () => {
    await bed.setUp({ ackWaitMs: 30_000 });
    let now = 1_700_000_000_000;
    const a = await bed.replica('a', { quotas: new AgentQuotas({ eventsPerMinute: 3, rowsPerMinute: 1_000, permitsPerMinute: 60 }, () => now) });
    for (let i = 0; i < 5; i++) await bed.publisher('web-1').publish(fired(`w-${i}`));
    await bed.publisher('db-1').publish(fired('d-0', 'db-1'));

    await waitUntil('three of web-1\'s stored, db-1\'s too, and the rest sent back', () => a.counts.stored === 4 && a.counts.deferred >= 2);
    expect(await bed.storedIds()).toEqual(['d-0', 'w-0', 'w-1', 'w-2']);
    expect(bed.warnings).toEqual(['web-1 agent over its events quota; its events wait in the stream']);

    now += 60_000;
    await waitUntil('the rest stored', () => a.counts.stored === 6);
    expect(await bed.storedIds()).toEqual(['d-0', 'w-0', 'w-1', 'w-2', 'w-3', 'w-4']);
  });

  it('a consumer whose durable is deleted under it re-creates it and goes on, logging once', async () => {
    await bed.setUp({ ackWaitMs: 4_000 });
    const a = await bed.replica('a');
    await bed.publisher('web-1').publish(fired('before'));
    await waitUntil('the first event stored', () => a.counts.stored === 1);

    await waitUntil('replica a pulling', bed.pulling);
    await bed.jsm.consumers.delete(bed.subjects.eventsStream, EVENTS_DURABLE);
    await waitUntil('the consumer restarted', () => a.counts.restarts === 1);
    await bed.publisher('web-1').publish(fired('after'));
    await waitUntil('the second event stored', () => a.counts.stored === 2);

    expect(await bed.storedIds()).toEqual(['after', 'before']);
    expect(bed.warnings).toEqual(['undefined events stream consumer failed; restarting it']);
    // Re-created as configured, not with defaults.
    expect((await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE)).config.ack_wait).toBe(4_000_000_000);
  });

  /** A replica whose stream was deleted while it pulled, once it has tried to restart and failed. */
  const replicaWithoutStream = async () => {
    await bed.setUp({ ackWaitMs: 4_000 });
    const a = await bed.replica('a');
    await waitUntil('replica a pulling', bed.pulling);
    await deleteStream(bed.jsm, bed.subjects.eventsStream);
    await waitUntil('a restart attempted and failed', () => bed.warnings.some((w) => w.includes('could not restart the events stream consumer yet')));
    return a;
  };

  it('a consumer whose stream is deleted waits for it to come back (NATS restarted without its data), then re-creates the durable and goes on', async () => {
    const a = await replicaWithoutStream();

    await ensureEventsStream(bed.jsm, bed.subjects);
    await waitUntil('the consumer restarted', () => a.counts.restarts === 1);
    await bed.publisher('web-1').publish(fired('after'));
    await waitUntil('the event stored', () => a.counts.stored === 1);
    expect(await bed.storedIds()).toEqual(['after']);
  });

  it('a consumer stopped while it waits for its stream stops at once, and restarts nothing', async () => {
    const a = await replicaWithoutStream();

    await a.stop();
    await ensureEventsStream(bed.jsm, bed.subjects);
    expect(a.counts.restarts).toBe(0);
    // Nobody re-created the durable: the stopped replica did not come back.
    await expect(bed.leftover()).rejects.toThrow(/consumer not found/);
  });
});
