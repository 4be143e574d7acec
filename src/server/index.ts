/**
 * The control plane: agent gateway, query execution, store, HTTP API.
 *
 * @example
 * const server = await startServer({ port: 7070, dataDir: '/var/lib/breakwater' });
 */
export type { Principal } from './auth.js';
export type { ServerConfig, ServerOptions } from './config.js';
export type { HttpLimits } from './connection-limits.js';
export { HTTP_LIMITS } from './connection-limits.js';
export { SERVER_DEFAULTS, resolveServerConfig } from './config.js';
export type { InventoryHost } from './gateway.js';
export type { RunningServer } from './server.js';
export { AGENT_CONNECT_PATH, SERVER_VERSION, startServer } from './server.js';
export type { Store } from './store/index.js';
export { ACCOUNTS_INCLUDE, REPLICA_CREDS, SIGNING_KEY_FILE, natsAccountSetup, writeNatsSetup } from './nats-auth/index.js';
