import { expect, it } from 'vitest';
import type { FleetEvent } from '../src/protocol/index.js';
import { EVENTS_DURABLE } from '../src/server/nats/index.js';
import { describeWithService, PG_URL, probePostgres, waitUntil } from './helpers.js';
import { fired, natsEventsBed } from './nats-events-bed.js';
import { NATS_URL, probeNats } from './nats-services.js';
import { postgresBackEnd } from './store/back-ends.js';

/*
 * Issue 11's failure test "a replica dies while alarms fire on three hosts and bots run: every
 * fired/cleared/bot_ran event is stored exactly once", in process: replicas with their own
 * connections and PostgreSQL pools on one database, one of them dying between a store and its ack.
 */

const needed = { service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable: (await probePostgres()) ?? (await probeNats()) };

describeWithService(needed, 'events over JetStream into PostgreSQL', 'test/nats-events-postgres.test.ts', () => {
  const { harness } = postgresBackEnd();
  const bed = natsEventsBed(async () => {
    const target = await harness().fresh();
    // The schema goes with the test file's database (dropped in afterAll).
    return { open: () => target.open(), dispose: () => Promise.resolve() };
  });

  /** An alarm firing, its bot running, the alarm clearing: one round on one host. */
  const round = (host: string, n: number): FleetEvent[] => [
    fired(`${host}-fired-${n}`, host),
    fired(`${host}-ran-${n}`, host, {
      type: 'bot_ran', alarm: null, bot: 'cleaner', action: 'clean_tmp', severity: null, message: 'bot cleaner ran clean_tmp', value: null,
      details: { ok: true, args: {}, exitCode: 0, stdout: 'freed 2G', stderr: '', durationMs: 20 },
    }),
    fired(`${host}-cleared-${n}`, host, { type: 'alarm_cleared', message: 'disk fine' }),
  ];

  it('a replica dying between storing and acking, while alarms fire on three hosts and bots run: every event and bot run stored exactly once', async () => {
    await bed.setUp({ ackWaitMs: 1_000 });
    let calls = 0;
    // Replica a dies after its fifth store call, before that ack (and with up to ten more events pulled and not acked).
    const a = await bed.replica('a', { afterStore: async (conn) => void (++calls === 5 && (await conn.close())) });
    const b = await bed.replica('b');
    const events = ['web-1', 'web-2', 'db-1'].flatMap((host) => Array.from({ length: 10 }, (_, n) => round(host, n)).flat());
    for (const e of events) await bed.publisher(e.host as string).publish(e);

    await waitUntil('every event stored and acked', async () => {
      const info = await bed.jsm.consumers.info(bed.subjects.eventsStream, EVENTS_DURABLE);
      return info.num_pending + info.num_ack_pending === 0 && (await bed.storedIds()).length === events.length;
    });

    expect(await bed.storedIds()).toEqual(events.map((e) => e.id).sort());
    const dying = bed.storeCalls.filter((c) => c.replica === 'a')[4]?.ids[0] as string;
    expect(bed.storeCalls.filter((c) => c.ids[0] === dying).map((c) => c.replica)).toEqual(['a', 'b']);
    // What a handled from its death on (the pulled events it stored while its connection was gone), b handled again.
    const byB = new Set(bed.storeCalls.filter((c) => c.replica === 'b').flatMap((c) => c.ids));
    const afterDeath = bed.storeCalls.filter((c) => c.replica === 'a').slice(4).flatMap((c) => c.ids);
    expect(afterDeath.filter((id) => !byB.has(id))).toEqual([]);
    expect(a.counts.stored + b.counts.stored).toBe(bed.storeCalls.length);
    const runs = await bed.store.listRuns({ limit: 1_000 });
    expect(runs.map((r) => r.id).sort()).toEqual(events.filter((e) => e.type === 'bot_ran').map((e) => e.id).sort());
    const results = await Promise.all(runs.map(async (r) => (await bed.store.getRun(r.id))?.results.length));
    expect(new Set(results)).toEqual(new Set([1]));
  });
});
