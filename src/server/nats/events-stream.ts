import type { ConsumerConfig, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsSubjects } from '../../protocol/index.js';

/** The durable consumer every replica shares: each event goes to one of them, and to another if that one dies before acking. */
export const EVENTS_DURABLE = 'breakwater-store';

/** The largest event message the stream takes: far above an event (a 4 KiB message and a bot's output) and a bound on what one bad agent can make a replica parse. */
export const MAX_EVENT_MESSAGE_BYTES = 256 * 1024;

export interface EventsStreamOptions {
  /** How long the stream remembers a `Nats-Msg-Id` to drop a resend (default 2 minutes, JetStream's own default). */
  readonly duplicateWindowMs?: number;
}

export interface EventsConsumerOptions {
  /** How long a replica has to store and ack an event before it goes to another (default 30 s). */
  readonly ackWaitMs?: number;
  /** Events handed out and not yet acked, across every replica: bounds what a replica holds in memory (default 1,000). */
  readonly maxAckPending?: number;
}

const notFound = (err: unknown, code: number): boolean => err instanceof JetStreamApiError && err.code === code;

/**
 * Creates the events stream (every agent's events subject, file storage, a duplicate window; an
 * event leaves it once a replica acked it), or brings an existing one to this configuration. Safe
 * for every replica to call at start-up.
 *
 * @example
 * await ensureEventsStream(await jetstreamManager(nc), natsSubjects('bw'));
 */
export async function ensureEventsStream(jsm: JetStreamManager, subjects: NatsSubjects, options: EventsStreamOptions = {}): Promise<void> {
  const config = {
    subjects: [subjects.allEvents],
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    max_msg_size: MAX_EVENT_MESSAGE_BYTES,
  } satisfies Partial<StreamConfig>;
  try {
    await jsm.streams.info(subjects.eventsStream);
  } catch (err) {
    if (!notFound(err, JetStreamApiCodes.StreamNotFound)) throw err;
    // Work-queue retention: the stream holds an event until it is stored, not as a second archive.
    await jsm.streams.add({ name: subjects.eventsStream, storage: StorageType.File, retention: RetentionPolicy.Workqueue, ...config });
    return;
  }
  await jsm.streams.update(subjects.eventsStream, config);
}

/**
 * Creates the replicas' shared durable pull consumer on the events stream (explicit acks, unlimited
 * redeliveries: an event the store could not take yet is retried, a malformed one is terminated by
 * the consumer), or updates its timing. Call after {@link ensureEventsStream}.
 *
 * @example
 * await ensureEventsConsumer(jsm, natsSubjects('bw'), { ackWaitMs: 30_000 });
 */
export async function ensureEventsConsumer(jsm: JetStreamManager, subjects: NatsSubjects, options: EventsConsumerOptions = {}): Promise<void> {
  const timing = { ack_wait: nanos(options.ackWaitMs ?? 30_000), max_ack_pending: options.maxAckPending ?? 1_000 } satisfies Partial<ConsumerConfig>;
  try {
    await jsm.consumers.info(subjects.eventsStream, EVENTS_DURABLE);
  } catch (err) {
    if (!notFound(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(subjects.eventsStream, { durable_name: EVENTS_DURABLE, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1, ...timing });
    return;
  }
  await jsm.consumers.update(subjects.eventsStream, EVENTS_DURABLE, timing);
}
