import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsSubjects } from '../../protocol/index.js';
import { AgentIntake } from '../agent-intake.js';
import { AgentQuotas } from '../agent-quota.js';
import type { AgentHooks, Clock } from '../fleet/index.js';
import type { AgentRequestsOptions } from './agent-requests.js';
import { AgentRequests } from './agent-requests.js';
import { EventConsumer } from './event-consumer.js';
import type { EventsConsumerOptions, EventsStreamOptions } from './events-stream.js';
import { ensureEventsConsumer, ensureEventsStream } from './events-stream.js';
import { KnownAgents } from './known-agents.js';

export interface AgentServicesOptions extends Pick<AgentRequestsOptions, 'nc' | 'subjects' | 'store' | 'logger' | 'heartbeatMs' | 'fleetSize' | 'onHello' | 'maxInFlight'> {
  /** The gateway hooks (wireControlPlane's fleet factory is given them): events, permits, approvals. */
  readonly hooks: Pick<AgentHooks, 'onEvents' | 'onPermit' | 'onApproval'>;
  /** Per-agent quotas shared by requests and events, as over WebSocket (default AGENT_QUOTA_DEFAULTS). */
  readonly quotas?: AgentQuotas;
  /** The events stream and its durable (duplicate window, ack wait, ack pending). */
  readonly events?: EventsStreamOptions & EventsConsumerOptions;
  /** The clock of the agent cache, the quotas' warnings and the consumer's retries (default: the system clock). */
  readonly clock?: Clock;
}

/** What a replica serves agents over NATS, started; `stop` at shutdown. */
export interface AgentServices {
  readonly requests: AgentRequests;
  readonly events: EventConsumer;
  /** The replica's cache of enrolled agents: `forget(name)` when this replica revokes or deletes one. */
  readonly known: KnownAgents;
  stop(): Promise<void>;
}

/**
 * Starts a replica's services for agents over NATS: ensures the events stream and its durable,
 * consumes it (EventConsumer), and answers hello, permit and approval requests (AgentRequests),
 * both screening agents through one KnownAgents cache and one set of quotas.
 *
 * @example
 * const services = await startAgentServices({ nc, subjects, store, hooks, logger, heartbeatMs: config.heartbeatMs,
 *   quotas: new AgentQuotas(config.agentQuotas), fleetSize: () => fleet.inventory().length, onHello: (agent, hello) => fleet.welcomed(agent, hello) });
 * // … at shutdown
 * await services.stop();
 */
export async function startAgentServices(options: AgentServicesOptions): Promise<AgentServices> {
  const { nc, subjects, store, hooks, logger } = options;
  await ensureEvents(nc, subjects, options.events ?? {});
  const quotas = options.quotas ?? new AgentQuotas();
  const clock = options.clock ? { clock: options.clock } : {};
  const known = new KnownAgents({ store, ...clock });
  const { events: consumer = {}, maxInFlight, clock: _clock, ...rest } = options;
  const requests = new AgentRequests({ ...rest, known, quotas, ...(maxInFlight === undefined ? {} : { maxInFlight }) });
  const events = new EventConsumer({ js: jetstream(nc), subjects, storeEvents: hooks.onEvents, intake: new AgentIntake(logger, quotas, options.clock), known, quotas, logger, consumer, ...clock });
  await events.start();
  try {
    await requests.start();
  } catch (err) {
    await events.stop();
    throw err;
  }
  return {
    requests,
    events,
    known,
    stop: async () => {
      await requests.stop();
      await events.stop();
    },
  };
}

async function ensureEvents(nc: NatsConnection, subjects: NatsSubjects, options: EventsStreamOptions & EventsConsumerOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureEventsStream(jsm, subjects, options);
  await ensureEventsConsumer(jsm, subjects, options);
}
