import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import type { EventBus } from '../event-bus.js';
import type { TokenStreams } from './token-streams.js';

/**
 * GET /api/v1/events/stream: each fresh event until the client goes, falls too far behind, its token
 * expires or is revoked, or the server closes.
 */
export function streamEvents(ctx: { readonly streams: TokenStreams; readonly remediation: { readonly bus: EventBus } }, principal: Principal, request: FastifyRequest, reply: FastifyReply): void {
  const sse = ctx.streams.open(principal, 'events', request, reply);
  const unsubscribe = ctx.remediation.bus.subscribe(
    (e) => sse.send(JSON.stringify(e), e.id),
    () => sse.end(),
  );
  sse.onClose(unsubscribe);
}
