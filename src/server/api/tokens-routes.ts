import { z } from 'zod';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { createToken } from '../auth.js';
import { audit } from '../audit/index.js';
import type { Clock } from '../fleet/index.js';
import { JOIN_TOKEN_DEFAULT_TTL_SECONDS } from '../join-tokens.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { IdParam, Name } from './schemas.js';
import type { TokenStreams } from './token-streams.js';

/** Tokens live in the store; a revoked token's open streams end at once; expiry is counted from the clock. */
export interface TokensContext {
  readonly store: Store;
  readonly streams: Pick<TokenStreams, 'revoke'>;
  readonly clock: Clock;
}

/** A lifetime longer than this is a mistake (ms past it stop being exact integers): say `null` for never. */
const MAX_LIFETIME_SECONDS = 100 * 365 * 86_400;

const CreateBody = z.object({
  role: z.enum(['agent', 'viewer', 'operator', 'admin']),
  name: Name,
  /** null: never expires. Omitted: join tokens expire after a day, other tokens never. */
  expiresInSeconds: z.number().int().positive().max(MAX_LIFETIME_SECONDS, 'expected at most 100 years (null: never expires)').nullable().optional(),
  uses: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * Tokens: list, create (the secret once), revoke.
 *
 * @example
 * const routes = tokenRoutes({ store, streams, clock: systemClock });
 */
export function tokenRoutes(ctx: TokensContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'Tokens (names, roles, dates, uses; never secrets).',
      role: 'admin',
      handler: async () => (await ctx.store.listTokens()).map(({ hash: _hash, ...rest }) => rest),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: `Create a token; the secret is in this answer only. A join token (role agent) expires after ${JOIN_TOKEN_DEFAULT_TTL_SECONDS / 3600} h unless \`expiresInSeconds\` says otherwise (null: never), and \`uses\` limits how many agents it may enroll.`,
      role: 'admin',
      body: CreateBody,
      handler: async ({ body, principal }) => {
        const who = principal as Principal;
        if (body.uses !== undefined && body.role !== 'agent') {
          throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid request body: uses: only a join token (role agent) has uses; a ${body.role} token is used for every call until it expires or is revoked`, { where: 'request body' });
        }
        const lifetime = body.expiresInSeconds === undefined ? (body.role === 'agent' ? JOIN_TOKEN_DEFAULT_TTL_SECONDS : null) : body.expiresInSeconds;
        const expiresAt = lifetime === null ? null : ctx.clock.now() + lifetime * 1000;
        const { record, secret } = await createToken(ctx.store, body.role, body.name, who.name, expiresAt, body.uses ?? null);
        await audit(ctx.store, who.name, 'token.create', body.name, 'ok', { role: body.role, expiresAt, maxUses: record.maxUses }, null, ctx.clock);
        return { id: record.id, name: record.name, role: record.role, expiresAt: record.expiresAt, maxUses: record.maxUses, token: secret };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke a token. Revoking a join token stops further enrollments with it; the agents it enrolled keep their own credentials (end one with POST /api/v1/agents/:name/revoke).',
      role: 'admin',
      params: IdParam,
      handler: async ({ params, principal }) => {
        if (!(await ctx.store.revokeToken(params.id, ctx.clock.now()))) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no active token with id ${params.id}`);
        ctx.streams.revoke(params.id);
        const agentsKept = (await ctx.store.listAgents()).filter((a) => a.enrolledWithId === params.id && a.revokedAt === null).length;
        await audit(ctx.store, (principal as Principal).name, 'token.revoke', params.id, 'ok', { agentsKept }, null, ctx.clock);
        return { revoked: params.id, agentsKept };
      },
    }),
  ];
}
