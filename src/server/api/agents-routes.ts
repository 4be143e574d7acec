import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BY_NAME, BreakwaterError, EnrollRequest } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { audit } from '../audit/index.js';
import { hashSecret, newSecret } from '../auth.js';
import type { Clock, Fleet } from '../fleet/index.js';
import { joinTokenFor, joinTokenRefusal } from '../join-tokens.js';
import type { AgentRecord, Store, TokenRecord } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name } from './schemas.js';

/*
 * The contract is the protocol's (the agent reads the same file); it is a zod/mini schema, which
 * the guard parses like a classic one (safeParse, issues) but the Route type names classic zod's.
 */
const EnrollBody = EnrollRequest as unknown as z.ZodType<EnrollRequest>;
type EnrollBody = EnrollRequest;

const AgentName = z.object({ name: Name });

/** Agents are enrolled and ended in the store and the fleet; their times come from the clock. */
export interface AgentsContext {
  readonly store: Store;
  readonly gateway: Pick<Fleet, 'inventory' | 'connected' | 'enrolled' | 'disconnect' | 'forget'>;
  /** Mutual TLS with the control plane's own CA: signs an enrolling agent's client certificate. */
  readonly issueClientCertificate?: ((name: string, publicKeyPem: string) => string) | undefined;
  /** The scaled mode with `--nats-account-seed`: signs an enrolling agent's NATS user JWT for its public nkey. */
  readonly issueNatsCredential?: ((name: string, natsPublicKey: string) => Promise<string>) | undefined;
  readonly clock: Clock;
}

/**
 * Enrollment, the agent inventory, and ending an agent's credential (revoke) or the agent (delete).
 *
 * @example
 * const routes = agentRoutes({ store, gateway: fleet, clock: systemClock });
 */
export function agentRoutes(ctx: AgentsContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/agents/enroll',
      summary:
        'Trade a join token (role agent) for an agent\'s own credential. A name already enrolled from another host id is refused (BW_ERR_HOST_MISMATCH) until an admin deletes that agent; the same host id enrolling again (a host that lost its credential) gets a new credential.',
      role: 'public',
      body: EnrollBody,
      response: z.object({ agentId: z.string(), credential: z.string(), clientCertificate: z.string().optional(), natsJwt: z.string().optional().describe('a NATS user JWT for natsPublicKey, allowing the agent its own subjects only (scaled mode, --nats-account-seed)') }),
      handler: async ({ body }) => enroll(ctx, body),
    }),
    route({
      method: 'GET',
      url: '/api/v1/agents',
      summary: 'Every known agent with its connection state, tags, host facts, the join token that enrolled it (`enrolledWith`, `enrolledWithId`), and when its credential was revoked (`revokedAt`, null while valid).',
      role: 'viewer',
      handler: async () => {
        const stored = new Map((await ctx.store.listAgents()).map((a) => [a.name, a]));
        return ctx.gateway
          .inventory()
          .slice()
          .sort((a, b) => BY_NAME.compare(a.name, b.name))
          .map((h) => {
            const record = stored.get(h.name);
            const origin = { enrolledWith: record?.enrolledWith ?? null, enrolledWithId: record?.enrolledWithId ?? null, revokedAt: record?.revokedAt ?? null };
            return { name: h.name, id: h.agentId, status: h.connected ? 'connected' : 'disconnected', lastSeenAt: h.lastSeenAt, tags: h.tags, attributes: h.attrs, ...origin };
          });
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/agents/:name/revoke',
      summary: 'End an agent\'s credential and disconnect it at once. The host stays in the inventory; it may enroll again with a valid join token.',
      role: 'admin',
      params: AgentName,
      handler: async ({ params, principal }) => {
        const { agent, at, disconnected } = await endAgent(ctx, params.name, principal as Principal, 'revoke');
        return { name: agent.name, revokedAt: at, disconnected };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/agents/:name',
      summary: 'Remove an agent from the inventory with its credential, disconnecting it at once; its name may then be enrolled by any host with a join token.',
      role: 'admin',
      params: AgentName,
      handler: async ({ params, principal }) => {
        const { agent, disconnected } = await endAgent(ctx, params.name, principal as Principal, 'delete');
        return { deleted: agent.name, disconnected };
      },
    }),
  ];
}

/** Revoke or delete: the store first (so a reconnect is refused), then the connection, then the audit entry. */
async function endAgent(ctx: AgentsContext, name: string, who: Principal, how: 'revoke' | 'delete'): Promise<{ agent: AgentRecord; at: number; disconnected: boolean }> {
  const agent = await agentOr404(ctx, name);
  const at = ctx.clock.now();
  if (how === 'revoke' && (agent.revokedAt !== null || !(await ctx.store.revokeAgent(agent.name, at)))) {
    throw new BreakwaterError('BW_ERR_CONFLICT', `the credential of agent \`${agent.name}\` is already revoked`, { name: agent.name });
  }
  if (how === 'delete' && !(await ctx.store.deleteAgent(agent.name))) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no agent named \`${agent.name}\``, { name: agent.name });
  const disconnected = ctx.gateway.disconnect(agent.name, how === 'revoke' ? 'its credential was revoked' : 'it was deleted');
  if (how === 'delete') ctx.gateway.forget(agent.name);
  await audit(ctx.store, who.name, `agent.${how}`, agent.name, 'ok', { agentId: agent.id, hostId: agent.hostId, disconnected }, null, ctx.clock);
  return { agent, at, disconnected };
}

async function agentOr404(ctx: AgentsContext, name: string): Promise<AgentRecord> {
  const agent = await ctx.store.getAgentByName(name);
  if (!agent) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no agent named \`${name}\` (see breakwater get agents)`, { name });
  return agent;
}

/**
 * POST /api/v1/agents/enroll. A name belongs to the host id that enrolled it first (Salt's key
 * mismatch): another host id is refused and audited, never given the name's credential.
 */
async function enroll(ctx: AgentsContext, body: EnrollBody): Promise<{ agentId: string; credential: string; clientCertificate?: string; natsJwt?: string }> {
  const now = ctx.clock.now();
  const join = await joinTokenFor(ctx.store, body.token, now);
  const existing = await ctx.store.getAgentByName(body.name);
  if (existing && existing.hostId !== body.hostId) return refuseHostMismatch(ctx, join, body);
  // The same host id is a host that lost its credential; while its session is alive it has not.
  if (existing && existing.revokedAt === null && ctx.gateway.connected(body.name)) {
    await audit(ctx.store, join.name, 'agent.enroll', body.name, 'denied', { hostId: body.hostId, reason: 'connected' }, null, ctx.clock);
    throw new BreakwaterError('BW_ERR_CONFLICT', `agent \`${body.name}\` is connected with its credential right now; a host enrolls again only once it has lost it (an admin can end it: breakwater agent revoke ${body.name})`, { name: body.name });
  }
  // Under mutual TLS with our own CA, the agent's key pair gets its certificate (before anything is stored).
  const clientCertificate = body.publicKey && ctx.issueClientCertificate ? ctx.issueClientCertificate(body.name, body.publicKey) : undefined;
  // Likewise its NATS nkey gets its user JWT (a key with a bad checksum is refused here, before anything is stored).
  const natsJwt = body.natsPublicKey && ctx.issueNatsCredential ? await ctx.issueNatsCredential(body.name, body.natsPublicKey) : undefined;
  const credential = newSecret('bwa');
  const agent: AgentRecord = {
    id: existing?.id ?? randomUUID(),
    name: body.name,
    hostId: body.hostId,
    credentialHash: hashSecret(credential),
    tags: existing?.tags ?? {},
    facts: existing?.facts ?? {},
    status: 'disconnected',
    enrolledAt: now,
    lastSeenAt: existing?.lastSeenAt ?? null,
    enrolledWith: join.name,
    enrolledWithId: join.id,
    revokedAt: null,
    definitionsVersion: existing?.definitionsVersion ?? null,
  };
  const outcome = await ctx.store.enrollAgent(agent, now);
  if (outcome === 'host_mismatch') return refuseHostMismatch(ctx, join, body);
  if (outcome === 'token_refused') {
    // Another enrollment took the token's last use (or it was revoked) since it was checked above.
    const again = await ctx.store.findTokenByHash(join.hash);
    throw (again && joinTokenRefusal(again, ctx.clock.now())) ?? new BreakwaterError('BW_ERR_UNAUTHENTICATED', `join token \`${join.name}\` can no longer enroll agents`, { reason: 'refused', token: join.name });
  }
  ctx.gateway.enrolled(agent);
  await audit(ctx.store, join.name, 'agent.enroll', body.name, 'ok', { hostId: body.hostId, reenrolled: Boolean(existing), joinTokenId: join.id, ...(natsJwt ? { natsCredential: 'issued' } : {}) }, null, ctx.clock);
  return { agentId: agent.id, credential, ...(clientCertificate ? { clientCertificate } : {}), ...(natsJwt ? { natsJwt } : {}) };
}

async function refuseHostMismatch(ctx: AgentsContext, join: TokenRecord, body: EnrollBody): Promise<never> {
  await audit(ctx.store, join.name, 'agent.enroll', body.name, 'denied', { hostId: body.hostId, reason: 'host_mismatch' }, null, ctx.clock);
  // The enrolled host's id is not echoed: it would tell a token holder what to claim.
  throw new BreakwaterError(
    'BW_ERR_HOST_MISMATCH',
    `an agent named \`${body.name}\` is already enrolled from another host (this host's id is ${body.hostId}); a host cannot take over another's name. If that host was replaced, an admin must remove the old agent first: breakwater agent delete ${body.name}`,
    { name: body.name, hostId: body.hostId },
  );
}
