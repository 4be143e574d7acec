import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FleetEvent, NatsSubjects } from '../../protocol/index.js';
import { natsSubjects } from '../../protocol/index.js';
import { MemoryOutbox } from '../engine/outbox.js';
import { EventPublisher } from './event-publisher.js';
import { connectNats, deleteStream, describeWithNats, testPrefix } from '../../../test/nats-services.js';

const fired = (id: string): FleetEvent => ({
  id, time: 1_700_000_000_000, type: 'alarm_fired', host: 'web-1.prod', resource: 'web-1.prod', alarm: 'disk_full', bot: null, action: null,
  severity: 'critical', runId: null, principal: 'agent:web-1.prod', message: 'disk full', value: 95, details: {},
});

await describeWithNats('EventPublisher over JetStream', 'src/agent/nats/event-publisher.test.ts', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  /** A fresh prefix with (or without) an events stream capturing its agents' events subjects. */
  async function bed(withStream: boolean): Promise<NatsSubjects> {
    const subjects = natsSubjects(testPrefix());
    if (withStream) {
      await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.allEvents] });
      streams.push(subjects.eventsStream);
    }
    return subjects;
  }

  beforeAll(async () => {
    nc = await connectNats('event-publisher.test');
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const s of streams) await deleteStream(jsm, s);
    await nc.close();
  });

  it('publishes to the agent\'s events subject with the event id as Nats-Msg-Id: a second publish of the same id is a duplicate the stream drops', async () => {
    const subjects = await bed(true);
    const publisher = new EventPublisher(jetstream(nc), subjects, 'web-1.prod');

    const first = await publisher.publish(fired('e-1'));
    const again = await publisher.publish(fired('e-1'));

    expect([first.stream, first.duplicate, again.duplicate, again.seq]).toEqual([subjects.eventsStream, false, true, first.seq]);
    const stored = await jsm.streams.getMessage(subjects.eventsStream, { seq: first.seq });
    expect(stored?.subject).toBe(`${subjects.prefix}.events.web-1~prod`);
    expect(stored?.header.get('Nats-Msg-Id')).toBe('e-1');
    expect(stored?.json<FleetEvent>().id).toBe('e-1');
    expect((await jsm.streams.info(subjects.eventsStream)).state.messages).toBe(1);
  });

  it('flush drops from the outbox exactly the events the stream acknowledged', async () => {
    const subjects = await bed(true);
    const outbox = new MemoryOutbox();
    outbox.append([fired('a'), fired('b'), fired('c')]);

    const flushed = await new EventPublisher(jetstream(nc), subjects, 'web-1.prod').flush(outbox, 2);

    expect(flushed).toEqual({ published: ['a', 'b'], kept: [] });
    expect(outbox.pending(10).map((e) => e.id)).toEqual(['c']);
    expect((await jsm.streams.info(subjects.eventsStream)).state.messages).toBe(2);
  });

  it('keeps every event in the outbox when no stream acknowledges it', async () => {
    const subjects = await bed(false);
    const outbox = new MemoryOutbox();
    outbox.append([fired('a'), fired('b')]);

    const flushed = await new EventPublisher(jetstream(nc), subjects, 'web-1.prod', 1_000).flush(outbox, 10);

    expect(flushed.published).toEqual([]);
    expect(flushed.kept.map((k) => k.id)).toEqual(['a', 'b']);
    expect(flushed.kept[0]?.error).toContain(`event a was not acknowledged by the events stream on ${subjects.agentEvents('web-1.prod')}`);
    expect(outbox.size).toBe(2);
  });

  it('refuses an ack from a stream that is not the events stream (a wrong prefix), and the outbox keeps the event', async () => {
    const subjects = await bed(false);
    const other = `${subjects.eventsStream}_OTHER`;
    await jsm.streams.add({ name: other, subjects: [subjects.allEvents] });
    streams.push(other);
    const outbox = new MemoryOutbox();
    outbox.append([fired('a')]);

    const flushed = await new EventPublisher(jetstream(nc), subjects, 'web-1.prod').flush(outbox, 10);

    expect(flushed.kept).toEqual([{ id: 'a', error: expect.stringContaining(`stored by stream ${other}, not ${subjects.eventsStream}`) }]);
    expect(outbox.size).toBe(1);
  });
});
