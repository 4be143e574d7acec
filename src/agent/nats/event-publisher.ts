import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { FleetEvent, NatsSubjects } from '../../protocol/index.js';
import type { Outbox } from '../engine/outbox.js';

/*
 * The agent's side of "Events" in the scaled mode (issue 11): the outbox stays the source of truth,
 * and an event leaves it only once the JetStream stream has acknowledged it (a PubAck means the
 * stream holds it durably; a replica then stores it in the database). Publishing with the event id
 * as `Nats-Msg-Id` lets the stream drop a resend within its duplicate window; a resend after the
 * window reaches the control plane again, whose store keeps one copy per id anyway.
 */

/** How long a publish waits for the stream's PubAck before it counts as not delivered. */
export const EVENT_PUBLISH_TIMEOUT_MS = 5_000;

/** What an outbox flush did: the ids the stream acknowledged (dropped from the outbox) and those kept, each with why. */
export interface EventFlush {
  readonly published: readonly string[];
  readonly kept: readonly { readonly id: string; readonly error: string }[];
}

/**
 * Publishes one agent's events to its events subject; `publish` resolves only on the stream's PubAck.
 *
 * @example
 * const publisher = new EventPublisher(jetstream(nc), natsSubjects('bw'), 'web-1');
 * const { published, kept } = await publisher.flush(outbox, 100); // acked ones left the outbox
 */
export class EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: NatsSubjects,
    private readonly host: string,
    private readonly timeoutMs = EVENT_PUBLISH_TIMEOUT_MS,
  ) {}

  /**
   * Publishes `event`; resolves with the PubAck once the events stream holds it (`duplicate` when it
   * already did), rejects when no ack came (timeout, no stream, connection down) or another stream answered.
   */
  async publish(event: FleetEvent): Promise<PubAck> {
    const subject = this.subjects.agentEvents(this.host);
    let ack: PubAck;
    try {
      ack = await this.js.publish(subject, JSON.stringify(event), { msgID: event.id, timeout: this.timeoutMs });
    } catch (err) {
      // The client says "jetstream is not enabled" when no stream captures the subject: say what it means here.
      throw new Error(`event ${event.id} was not acknowledged by the events stream on ${subject} (${err instanceof Error ? err.message : String(err)}); it stays in the outbox`, { cause: err });
    }
    // A stream of another name capturing the subject would hold the event where no replica reads it.
    if (ack.stream !== this.subjects.eventsStream) throw new Error(`event ${event.id} was stored by stream ${ack.stream}, not ${this.subjects.eventsStream}: check the NATS subject prefix`);
    return ack;
  }

  /**
   * Publishes up to `limit` of the outbox's oldest events and acknowledges, in the outbox, exactly
   * those the stream acknowledged; the others stay for the next flush. Never rejects.
   */
  async flush(outbox: Pick<Outbox, 'pending' | 'ack'>, limit: number): Promise<EventFlush> {
    const batch = outbox.pending(limit);
    // Sent back to back on one connection (so in order), acks awaited together.
    const results = await Promise.allSettled(batch.map((e) => this.publish(e)));
    const published: string[] = [];
    const kept: { id: string; error: string }[] = [];
    results.forEach((r, i) => {
      const id = (batch[i] as FleetEvent).id;
      if (r.status === 'fulfilled') published.push(id);
      else kept.push({ id, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    });
    outbox.ack(published);
    return { published, kept };
  }
}
