import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { credsAuthenticator } from '@nats-io/transport-node';
import { BreakwaterError, natsSubjects } from '../../protocol/index.js';
import type { AgentBusConfig } from '../config.js';
import type { AgentLogger } from '../log.js';
import type { NatsAgentConnection } from './nats-connection.js';
import { connectNatsAgent } from './nats-connection.js';

/** Where enrollment leaves NATS credentials the control plane issued (scaled mode), in the data directory. */
export const NATS_CREDS_FILE = 'nats.creds';

/**
 * The real agent's connection in the scaled mode (`breakwater-agent --bus`): its NATS transport
 * with the configured subject prefix, credentials and CA.
 *
 * @example
 * const conn = await connectAgentBus(config.bus, { dataDir: config.dataDir, name, logger, firstSession: false });
 */
export async function connectAgentBus(bus: AgentBusConfig, agent: { readonly dataDir: string; readonly name: string; readonly logger: AgentLogger; readonly firstSession: boolean }): Promise<NatsAgentConnection> {
  const connection = await natsConnectionOptions(bus, agent.dataDir);
  return connectNatsAgent({ servers: bus.servers, subjects: natsSubjects(bus.prefix), name: agent.name, logger: agent.logger, connection, firstSession: agent.firstSession });
}

/**
 * NATS authentication and TLS: the credentials file given, else the one enrollment left in the
 * data directory (when the control plane issues NATS credentials), else none (an open NATS).
 * Read on every connection, so credentials renewed on disk are used at the next one.
 */
export async function natsConnectionOptions(bus: AgentBusConfig, dataDir: string): Promise<Pick<ConnectionOptions, 'authenticator' | 'tls'>> {
  const issued = join(dataDir, NATS_CREDS_FILE);
  const creds = bus.creds ?? (existsSync(issued) ? issued : undefined);
  let authenticator: ConnectionOptions['authenticator'];
  if (creds) {
    try {
      authenticator = credsAuthenticator(new Uint8Array(await readFile(creds)));
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG', `cannot read the NATS credentials file ${creds}: ${(err as Error).message}`, { path: creds }, { cause: err });
    }
  }
  return { ...(authenticator ? { authenticator } : {}), ...(bus.ca ? { tls: { caFile: bus.ca } } : {}) };
}
