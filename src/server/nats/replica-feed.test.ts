import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/helpers.js';
import { describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import type { FleetEvent, NatsSubjects } from '../../protocol/index.js';
import { EventBus } from '../event-bus.js';
import { ReplicaFeed } from './replica-feed.js';
import { MAX_REPLICA_EVENTS, packReplicaEvents } from './replica-message.js';

const quiet = pino({ level: 'silent' });
const event = (id: string, details: Record<string, unknown> = {}): FleetEvent => ({
  id, time: 1_700_000_000_000, type: 'alarm_fired', host: 'web-1', resource: 'web-1', alarm: 'disk', bot: null, action: null, severity: 'warning', runId: null, principal: 'agent:web-1', message: `event ${id}`, value: 1, details,
});

describe('packReplicaEvents', () => {
  it('keeps the order, stays under the byte limit and the event limit, and leaves out only events too large on their own', () => {
    const events = [event('huge', { pad: 'x'.repeat(5_000) }), ...Array.from({ length: 2_500 }, (_, i) => event(`e${i}`, { pad: 'y'.repeat(i % 7 === 0 ? 900 : 10) }))];
    const { messages, tooLarge } = packReplicaEvents('r1', events, 4_000);
    expect(tooLarge.map((e) => e.id)).toEqual(['huge']);
    const unpacked = messages.map((m) => JSON.parse(m) as { replica: string; events: FleetEvent[] });
    for (const [i, m] of messages.entries()) {
      expect(Buffer.byteLength(m), `message ${i}`).toBeLessThanOrEqual(4_000);
      expect(unpacked[i]!.events.length).toBeLessThanOrEqual(MAX_REPLICA_EVENTS);
      expect(unpacked[i]!.replica).toBe('r1');
    }
    expect(unpacked.flatMap((m) => m.events)).toEqual(events.slice(1));
  });

  it('cuts at MAX_REPLICA_EVENTS events when they are small', () => {
    const { messages } = packReplicaEvents('r1', Array.from({ length: MAX_REPLICA_EVENTS + 1 }, (_, i) => event(`e${i}`)), 1024 * 1024);
    expect(messages.map((m) => (JSON.parse(m) as { events: unknown[] }).events.length)).toEqual([MAX_REPLICA_EVENTS, 1]);
  });
});

await describeWithNatsConnections('ReplicaFeed: live events across replicas', 'src/server/nats/replica-feed.test.ts', 2, (connections) => {
  const feeds: ReplicaFeed[] = [];
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
  });

  /** Two replicas' buses, each with a feed on its own connection, and what each one's subscribers saw. */
  async function twoReplicas(subjects: NatsSubjects = testSubjects()) {
    const replicas = connections().map((nc, i) => {
      const bus = new EventBus();
      const seen: string[] = [];
      bus.subscribe((e) => seen.push(e.id));
      const feed = new ReplicaFeed({ nc, subjects, bus, logger: quiet, replica: `replica-${i}` });
      feed.start();
      feeds.push(feed);
      return { nc, bus, seen, feed };
    });
    // Both subscriptions are on the server before anything is published.
    await Promise.all(replicas.map((r) => r.nc.flush()));
    return { subjects, a: replicas[0]!, b: replicas[1]! };
  }

  it('what one replica stores reaches the other\'s subscribers once, in order; nothing loops and the echo is dropped', async () => {
    const { a, b } = await twoReplicas();
    a.bus.publish([event('a1'), event('a2')]);
    b.bus.publish([event('b1')]);
    a.bus.publish([event('a3')]);
    await waitUntil('each replica saw the other\'s events', () => a.seen.length === 4 && b.seen.length === 4);
    // Local events reach local subscribers at once, the other's when NATS brings them: each once.
    expect(a.seen.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(a.seen.filter((id) => id === 'b1')).toEqual(['b1']);
    expect(b.seen).toEqual(['b1', 'a1', 'a2', 'a3']);
    await waitUntil('the echoes came back', () => a.feed.counts.echoes === 2 && b.feed.counts.echoes === 1);
    // Delivered events are not relayed: each replica sent only what it published itself.
    expect([a.feed.counts.sent, b.feed.counts.sent]).toEqual([3, 1]);
    expect([a.feed.counts.delivered, b.feed.counts.delivered]).toEqual([1, 3]);
  });

  it('a burst of 5,000 events of up to 2 KB each arrives complete and in order, in messages under max_payload', async () => {
    const { a, b } = await twoReplicas();
    const burst = Array.from({ length: 5_000 }, (_, i) => event(`burst-${i}`, { pad: randomBytes(i % 1_000).toString('hex') }));
    for (let i = 0; i < burst.length; i += 1_000) a.bus.publish(burst.slice(i, i + 1_000));
    await waitUntil('the burst arrived', () => b.seen.length === burst.length);
    expect(b.seen).toEqual(burst.map((e) => e.id));
  });

  it('an event larger than a NATS message is stored here but not sent, and counted; the rest go', async () => {
    const { a, b } = await twoReplicas();
    const max = a.nc.info?.max_payload ?? 1024 * 1024;
    a.bus.publish([event('small-1'), event('too-large', { pad: 'z'.repeat(max) }), event('small-2')]);
    await waitUntil('the small ones arrived', () => b.seen.length === 2);
    expect(b.seen).toEqual(['small-1', 'small-2']);
    expect(a.seen).toEqual(['small-1', 'too-large', 'small-2']);
    expect(a.feed.counts.tooLarge).toBe(1);
  });

  it('fuzz: hostile messages on the subject are dropped and counted, never delivered, never crash; the feed keeps working', async () => {
    const { subjects, a, b } = await twoReplicas();
    const valid = JSON.stringify({ replica: 'replica-x', events: [event('x1')] });
    const hostile: (string | Uint8Array)[] = [
      '', 'null', '[]', '{}', '{"replica":"r"}', '{"replica":"","events":[]}', '{"replica":"r","events":[]}',
      JSON.stringify({ replica: 'r', events: [{ ...event('bad'), type: 'not_a_type' }] }),
      JSON.stringify({ replica: 'r'.repeat(200), events: [event('long-replica')] }),
      JSON.stringify({ replica: 'r', events: Array.from({ length: MAX_REPLICA_EVENTS + 1 }, (_, i) => event(`many-${i}`)) }),
      new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    ];
    // Mutations of a valid message: cut short, bytes flipped.
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const bytes = new TextEncoder().encode(valid);
    for (let i = 0; i < 300; i++) {
      const m = bytes.slice(0, 1 + rand(bytes.length));
      for (let k = 0; k < 3; k++) m[rand(m.length)] = rand(256);
      hostile.push(m);
    }
    for (const h of hostile) a.nc.publish(subjects.replicaEvents, h);
    // Published after the hostile ones on the same connection, so it arrives after them.
    a.bus.publish([event('after')]);
    await waitUntil('the valid event after the hostile ones', () => b.seen.includes('after'));
    // A mutation may by chance still be a valid message (then x1 is delivered), never anything else.
    expect(b.seen.filter((id) => id !== 'x1')).toEqual(['after']);
    expect(b.feed.counts.malformed + b.seen.filter((id) => id === 'x1').length).toBe(hostile.length);
    expect(b.feed.counts.malformed).toBeGreaterThanOrEqual(11);
  });

  it('stopped, a feed neither sends nor delivers', async () => {
    const { a, b } = await twoReplicas();
    await b.feed.stop();
    a.bus.publish([event('after-stop')]);
    b.bus.publish([event('b-after-stop')]);
    expect(b.feed.counts.sent).toBe(0);
    // The same connection carries a marker feed A's own subscription hears back after the event.
    await a.nc.flush();
    await waitUntil('A heard its own echo', () => a.feed.counts.echoes === 1);
    expect(b.seen).toEqual(['b-after-stop']);
    expect(a.seen).toEqual(['after-stop']);
  });
});
