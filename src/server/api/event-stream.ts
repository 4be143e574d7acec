import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import type { EventBus } from '../event-bus.js';
import type { RunsContext } from './runs-routes.js';
import { eventFor } from './runs-routes.js';
import type { TokenStreams } from './token-streams.js';

/**
 * GET /api/v1/events/stream: each fresh event until the client goes, falls too far behind, its token
 * expires or is revoked, or the server closes; bot output hidden from those who may not read it.
 */
export function streamEvents(ctx: RunsContext & { readonly streams: TokenStreams; readonly remediation: { readonly bus: EventBus } }, principal: Principal, request: FastifyRequest, reply: FastifyReply): void {
  const sse = ctx.streams.open(principal, 'events', request, reply);
  const unsubscribe = ctx.remediation.bus.subscribe(
    // A bot's output in its events follows run output visibility (runs-routes.ts).
    (e) => sse.send(JSON.stringify(eventFor(ctx, principal, e)), e.id),
    () => sse.end(),
  );
  sse.onClose(unsubscribe);
}
