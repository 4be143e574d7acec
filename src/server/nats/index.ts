/**
 * The control plane's side of NATS JetStream in the scaled mode (issue 11): the events stream, the
 * durable consumer every replica shares, and the reader that stores each agent event exactly once;
 * the service that answers agents' hello, permit and approval requests in the replicas' queue group;
 * and what keeps replicas consistent: live events (ReplicaFeed) and definitions (DefinitionsFeed).
 *
 * @example
 * const jsm = await jetstreamManager(nc);
 * await ensureEventsStream(jsm, subjects);
 * await ensureEventsConsumer(jsm, subjects);
 * const known = new KnownAgents({ store });
 * const consumer = new EventConsumer({ js: jetstream(nc), subjects, storeEvents: hooks.onEvents, intake, known, logger });
 * await consumer.start();
 * const requests = new AgentRequests({ nc, subjects, store, known, hooks, logger, heartbeatMs, fleetSize, onHello });
 * await requests.start();
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
export type { AgentRequestCounts, AgentRequestsOptions } from './agent-requests.js';
export { AgentRequests } from './agent-requests.js';
export type { AgentRequest, UnreadableRequest } from './agent-request-message.js';
export { readAgentRequest } from './agent-request-message.js';
export type { AgentLookup, KnownAgentsOptions } from './known-agents.js';
export { KnownAgents } from './known-agents.js';
export type { AgentServices, AgentServicesOptions } from './agent-services.js';
export { startAgentServices } from './agent-services.js';
