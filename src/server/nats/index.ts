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
 */
export type { EventConsumerCounts, EventConsumerParts } from './event-consumer.js';
export { EventConsumer } from './event-consumer.js';
export type { DecodedEvent } from './event-message.js';
export { decodeEventMessage } from './event-message.js';
export type { EventsConsumerOptions, EventsStreamOptions } from './events-stream.js';
export { ensureEventsConsumer, ensureEventsStream, EVENTS_DURABLE, MAX_EVENT_MESSAGE_BYTES } from './events-stream.js';
