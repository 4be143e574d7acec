import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NatsSubjects } from '../protocol/index.js';
import { BreakwaterError, natsSubjects } from '../protocol/index.js';
import { AgentQuotas } from './agent-quota.js';
import type { ServerConfig } from './config.js';
import type { AgentHooks, FleetTransport, TimerClock } from './fleet/index.js';
import { NatsFleet, NatsPresence, ensurePresenceBucket } from './fleet/index.js';
import type { AgentServices } from './nats/index.js';
import { startAgentServices } from './nats/index.js';
import type { Store } from './store/index.js';

/** What the scaled mode adds to a control plane: the NATS connection, the fleet over it, the events consumer and the agents' requests service. */
export interface Bus {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /** wireControlPlane's `fleet` factory: the NatsFleet over the presence bucket, given the hooks. */
  fleet(hooks: AgentHooks): FleetTransport;
  /** Starts storing the events stream and answering agents' requests through the hooks the fleet was given (after wiring). */
  start(): Promise<void>;
  /** Stops the requests service and the consumer, then closes the connection (the fleet is closed by its owner first). */
  close(): Promise<void>;
}

/**
 * Connects a replica to the bus (reconnecting forever), ensures the events stream, its durable
 * consumer and the presence bucket, and returns the parts the wiring takes.
 *
 * @example
 * const bus = await openBus(config, { store, logger, clock });
 * const plane = await wireControlPlane({ config, store, logger, clock, fleet: (hooks) => bus.fleet(hooks) });
 * await bus.start();
 */
export async function openBus(config: ServerConfig & { bus: string }, parts: { store: Store; logger: Logger; clock: TimerClock }): Promise<Bus> {
  const { store, logger, clock } = parts;
  const nc = await connect({
    servers: config.bus,
    name: `breakwater-server ${hostname()} ${process.pid}`,
    maxReconnectAttempts: -1,
    ...(config.natsCreds ? { authenticator: credsAuthenticator(readCreds(config.natsCreds)) } : {}),
    ...(config.natsCa || config.bus.startsWith('tls://') ? { tls: config.natsCa ? { caFile: config.natsCa } : {} } : {}),
  }).catch((err: unknown) => {
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `could not connect to NATS at ${config.bus}: ${(err as Error).message}`);
  });
  void watchStatus(nc, logger);
  const subjects = natsSubjects(config.natsPrefix);
  const kv = await ensurePresenceBucket(nc, subjects);
  const quotas = new AgentQuotas(config.agentQuotas);
  let services: AgentServices | undefined;
  let wired: { hooks: AgentHooks; fleet: NatsFleet } | undefined;
  return {
    nc,
    subjects,
    fleet(hooks) {
      const fleet = new NatsFleet({ nc, subjects, hooks, logger, quotas, inventory: (events) => new NatsPresence({ kv, store, clock, logger, events, maxHeartbeatMs: config.heartbeatMs }) });
      wired = { hooks, fleet };
      return fleet;
    },
    async start() {
      if (!wired) throw new Error('the bus fleet was not wired: call fleet(hooks) first');
      const { hooks, fleet } = wired;
      // The events stream and its durable are ensured here: one cache of who is enrolled screens events and requests alike.
      services = await startAgentServices({ nc, subjects, store, hooks, logger, quotas, clock, heartbeatMs: config.heartbeatMs, fleetSize: () => fleet.inventory().length, onHello: (agent, hello) => fleet.welcomed(agent, hello) });
    },
    async close() {
      await services?.stop();
      await nc.drain().catch(() => nc.close());
    },
  };
}

function readCreds(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--nats-creds: could not read ${file}: ${(err as Error).message}`, { option: 'natsCreds' });
  }
}

/** Logs the connection's disconnects and reconnects: a replica without NATS serves no agent. */
async function watchStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect') logger.warn({ server: s.server }, 'lost the connection to NATS; reconnecting');
    else if (s.type === 'reconnect') logger.info({ server: s.server }, 'reconnected to NATS');
  }
}
