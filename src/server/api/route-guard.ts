import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ZodError } from 'zod';
import { BreakwaterError, describeIssues } from '../../protocol/index.js';
import type { RefusalAudit } from '../audit/index.js';
import type { Principal } from '../auth.js';
import { hasRole, requireRole, verifyToken } from '../auth.js';
import type { ConnectionLimits } from '../connection-limits.js';
import type { Clock } from '../fleet/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';

/**
 * The audit entries of refused calls, written through RefusalAudit's budget. An entry the store
 * could not take is logged, not turned into a 500; a refusal already audited by the guard is
 * marked, so the error handler does not write it again.
 */
export class RefusalLog {
  private readonly written = new WeakSet<BreakwaterError>();

  constructor(
    private readonly audit: RefusalAudit,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  unauthenticated(address: string, target: string, reason: string): Promise<void> {
    return this.quietly(this.audit.unauthenticated(address, target, reason));
  }

  forbidden(token: { id: string; name: string }, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    return this.quietly(this.audit.forbidden(token, action, target, detail));
  }

  /** The refusal to throw, marked as audited. */
  audited(err: BreakwaterError): BreakwaterError {
    this.written.add(err);
    return err;
  }

  wasAudited(err: BreakwaterError): boolean {
    return this.written.has(err);
  }

  private quietly(written: Promise<void>): Promise<void> {
    return written.catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'could not audit a refused call'));
  }
}

export interface GuardContext {
  /** Where tokens are looked up. */
  readonly store: Store;
  readonly refusals: RefusalLog;
  /** A valid token frees its connection from the cap on unauthenticated ones. */
  readonly connections: Pick<ConnectionLimits, 'authenticated'>;
  /** Token expiry is read against it. */
  readonly clock: Clock;
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } };

/** A request part through its route's schema; a refusal names the part (`invalid request body: name: ...`). */
function parsePart<T>(schema: Schema<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid ${where}: ${describeIssues(parsed.error)}`, { where });
  return parsed.data;
}

/**
 * Registers each route behind the token guard: a non-public route needs a valid token (header, or
 * `?token=` where the route allows it) of at least its role, else BW_ERR_UNAUTHENTICATED or
 * BW_ERR_FORBIDDEN, audited; then body, query and path parameters are parsed by the route's schemas.
 */
export function registerGuardedRoutes(app: FastifyInstance, routes: readonly Route[], ctx: GuardContext): void {
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      handler: async (request, reply) => {
        let principal: Principal | undefined;
        const target = `${r.method} ${r.url}`;
        if (r.role !== 'public') {
          const header = request.headers.authorization;
          const fromQuery = r.tokenInQuery ? (request.query as { token?: unknown } | undefined)?.token : undefined;
          const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined;
          const token = await verifyToken(ctx.store, secret, ctx.clock.now());
          if (!token) {
            await ctx.refusals.unauthenticated(request.ip, target, secret ? 'unknown token' : 'no token');
            throw ctx.refusals.audited(new BreakwaterError('BW_ERR_UNAUTHENTICATED', secret ? 'the token is unknown, expired or revoked' : 'no token: send Authorization: Bearer <token> (see `breakwater token create`)'));
          }
          principal = { id: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt };
          ctx.connections.authenticated(request.raw.socket);
          const need = r.escalate?.(request.query) ?? { role: r.role, what: target, audit: r.audit ?? 'request' };
          if (!hasRole(principal, need.role)) {
            await ctx.refusals.forbidden(token, need.audit, target, { needed: need.role, held: principal.role });
            requireRole(principal, need.role, need.what);
          }
        }
        const body = parsePart(r.body, request.body, 'request body');
        const query = parsePart(r.query, request.query, 'query parameters');
        const params = parsePart(r.params, request.params, 'path parameters');
        const result = await r.handler({ body, query, params, principal, request, reply });
        if (reply.sent) return reply;
        return result;
      },
    });
  }
}
