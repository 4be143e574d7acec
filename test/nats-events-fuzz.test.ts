import { jetstream } from '@nats-io/jetstream';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { waitUntil } from './helpers.js';
import { connectNats, describeWithNats } from './nats-services.js';
import { ENROLLED, fired, natsEventsBed, sqliteEventsDatabase } from './nats-events-bed.js';

/*
 * Hostile agents at the events stream: 300 messages from a fixed seed on random agents' events
 * subjects (enrolled, revoked, unknown, odd tokens), each an event, an event with one field
 * replaced by anything, another agent's event, JSON of any shape, or bytes. Every message is
 * handled once (stored, or terminated as malformed, refused or unknown), the durable is left
 * empty, only enrolled agents' own events are stored, and the consumer goes on.
 */

const host = fc.oneof(fc.constantFrom(...ENROLLED, 'gone-1', 'stranger-1'), fc.stringMatching(/^[A-Za-z0-9_@é-]{1,20}$/));
const message = fc.record({
  agent: host,
  about: host,
  shape: fc.constantFrom('event', 'mutated', 'json', 'bytes'),
  field: fc.constantFrom('id', 'time', 'type', 'host', 'resource', 'principal', 'details', 'bot', 'severity'),
  value: fc.jsonValue(),
  bytes: fc.uint8Array({ maxLength: 1_000 }),
});

await describeWithNats('events stream fuzz', 'test/nats-events-fuzz.test.ts', () => {
  const bed = natsEventsBed(sqliteEventsDatabase);

  it('every message is handled once, only enrolled agents\' own events are stored, and the consumer goes on', async () => {
    await bed.setUp({ ackWaitMs: 30_000 });
    const a = await bed.replica('a');
    const nc = await connectNats('events-fuzz');
    const js = jetstream(nc);
    const samples = fc.sample(message, { seed: 11, numRuns: 300 });
    const clean = new Set<string>();
    for (const [i, m] of samples.entries()) {
      const event = fired(`f-${i}`, m.about);
      const body = m.shape === 'event' ? JSON.stringify(event) : m.shape === 'mutated' ? JSON.stringify({ ...event, [m.field]: m.value }) : m.shape === 'json' ? JSON.stringify(m.value) : m.bytes;
      if (ENROLLED.includes(m.agent) && m.agent === m.about && m.shape === 'event') clean.add(event.id);
      await js.publish(bed.subjects.agentEvents(m.agent), body);
    }

    await waitUntil('every message handled', () => a.counts.stored + a.counts.malformed + a.counts.refused + a.counts.unknown === samples.length);
    await waitUntil('the durable empty', async () => (await bed.leftover()).slice(0, 2).every((n) => n === 0));

    const stored = await bed.store.listEvents({ limit: 10_000 });
    expect([...clean].filter((id) => !stored.some((e) => e.id === id))).toEqual([]);
    // Each stored event is about the enrolled agent whose subject carried it (a mutated id may name no sample).
    const publisher = (id: string) => samples[Number(/^f-(\d+)$/.exec(id)?.[1] ?? -1)]?.agent;
    expect(stored.filter((e) => !ENROLLED.includes(e.host ?? '') || (publisher(e.id) !== undefined && publisher(e.id) !== e.host)).map((e) => e.id)).toEqual([]);
    expect([a.counts.retried, a.counts.deferred, a.counts.stored > 0, a.counts.malformed > 0, a.counts.refused > 0, a.counts.unknown > 0]).toEqual([0, 0, true, true, true, true]);
    await bed.publisher('web-1').publish(fired('last'));
    await waitUntil('a good event after the fuzz stored', async () => (await bed.storedIds()).includes('last'));
    await nc.close();
  });
});
