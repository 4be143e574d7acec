/**
 * The control plane's side of NATS JetStream in the scaled mode (issue 11): the events stream, the
 * durable consumer every replica shares, and the reader that stores each agent event exactly once.
 *
 * @example
 * const jsm = await jetstreamManager(nc);
 * await ensureEventsStream(jsm, subjects);
 * await ensureEventsConsumer(jsm, subjects);
 * const consumer = new EventConsumer({ js: jetstream(nc), subjects, storeEvents: hooks.onEvents, intake, logger });
 * await consumer.start();
 *
 * And what keeps replicas consistent: live events (ReplicaFeed) and definitions (DefinitionsFeed).
 */
export type { EventConsumerCounts, EventConsumerParts } from './event-consumer.js';
export { EventConsumer } from './event-consumer.js';
export type { DecodedEvent } from './event-message.js';
export { decodeEventMessage } from './event-message.js';
export type { EventsConsumerOptions, EventsStreamOptions } from './events-stream.js';
export { ensureEventsConsumer, ensureEventsStream, EVENTS_DURABLE, MAX_EVENT_MESSAGE_BYTES } from './events-stream.js';
export type { DefinitionsFeedCounts, DefinitionsFeedParts } from './definitions-feed.js';
export { DefinitionsFeed } from './definitions-feed.js';
export type { ReplicaFeedCounts, ReplicaFeedParts } from './replica-feed.js';
export { ReplicaFeed } from './replica-feed.js';
