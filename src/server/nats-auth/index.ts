/**
 * Agent identity on NATS (the scaled mode's decentralised JWT/nkey authentication): the operator,
 * account and user JWTs, each agent's permissions (exactly its own subjects of nats-subjects.ts),
 * the issuer that signs an agent's JWT at enrollment, and the files of `breakwater nats-setup`.
 *
 * @example
 * const issuer = await AgentNatsIssuer.fromFile(config.natsAccountSeed, { allowance: responseAllowance(65_000, 600_000), clock });
 */
export type { AgentNatsIssuerOptions } from './agent-issuer.js';
export { AGENT_JWT_TTL_MS, AgentNatsIssuer, SigningKeyFile } from './agent-issuer.js';
export type { UserGrant } from './jwts.js';
export { decodeUserJwt, mintAccount, mintOperator, mintUser } from './jwts.js';
export type { NatsPermissions, ResponseAllowance } from './permissions.js';
export { agentPermissions, replicaPermissions, responseAllowance } from './permissions.js';
export type { NatsSetupFile } from './setup.js';
export { ACCOUNTS_INCLUDE, REPLICA_CREDS, SIGNING_KEY_FILE, natsAccountSetup, writeNatsSetup } from './setup.js';
