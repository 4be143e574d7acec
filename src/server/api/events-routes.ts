import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth.js';
import type { EventBus } from '../event-bus.js';
import type { RunsContext } from './runs-routes.js';
import { eventFor } from './runs-routes.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Page, TextFilter, pageOf } from './schemas.js';
import { SSE_MAX_BUFFERED_BYTES } from './sse.js';
import type { TokenStreams } from './token-streams.js';
import { STREAMS_PER_TOKEN } from './token-streams.js';

/**
 * Events are listed from the store and streamed from remediation's bus, with a bot's output shown
 * as its run's is (RunsContext's visibility).
 */
export interface EventsContext extends RunsContext {
  readonly streams: TokenStreams;
  readonly remediation: { readonly bus: EventBus };
}

/**
 * The fleet's timeline: a page of stored events, and a server-sent stream of new ones.
 *
 * @example
 * const routes = eventsRoutes({ store, runOutputVisibility: 'operator', streams, remediation });
 */
export function eventsRoutes(ctx: EventsContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/events',
      summary: 'The fleet\'s timeline, newest first: alarms, bot runs, approvals, agents, applies. `type`, `alarm`, `bot` and `host` match exactly; `text` matches a part of the host, alarm, bot or message, in any case.',
      role: 'viewer',
      query: Page.extend({ type: z.string().optional(), alarm: z.string().optional(), bot: z.string().optional(), host: z.string().optional(), since: z.coerce.number().int().optional(), text: TextFilter }),
      handler: async ({ query, principal }) => {
        const events = await ctx.store.listEvents({
          ...pageOf(query),
          ...(query.type ? { type: query.type } : {}),
          ...(query.alarm ? { alarm: query.alarm } : {}),
          ...(query.bot ? { bot: query.bot } : {}),
          ...(query.host ? { host: query.host } : {}),
          ...(query.since ? { since: query.since } : {}),
          ...(query.text ? { text: query.text } : {}),
        });
        return events.map((e) => eventFor(ctx, principal as Principal, e));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/events/stream',
      summary: `Server-sent events: each newly stored event as \`data: <json>\` (\`id:\` the event id), a heartbeat comment every 15 s, until the client goes or its token expires or is revoked (a last \`event: error\` says which). At most ${STREAMS_PER_TOKEN.events} open per token; a client ${SSE_MAX_BUFFERED_BYTES} bytes behind is disconnected. The token may also be given as \`?token=\` here, because EventSource cannot send headers.`,
      role: 'viewer',
      produces: 'text/event-stream',
      tokenInQuery: true,
      query: z.object({ token: z.string().optional() }),
      handler: async ({ request, reply, principal }) => streamEvents(ctx, principal as Principal, request, reply),
    }),
  ];
}

/**
 * GET /api/v1/events/stream: each fresh event until the client goes, falls too far behind, its token
 * expires or is revoked, or the server closes; bot output hidden from those who may not read it.
 */
function streamEvents(ctx: EventsContext, principal: Principal, request: FastifyRequest, reply: FastifyReply): void {
  const sse = ctx.streams.open(principal, 'events', request, reply);
  const unsubscribe = ctx.remediation.bus.subscribe(
    // A bot's output in its events follows run output visibility (runs-routes.ts).
    (e) => sse.send(JSON.stringify(eventFor(ctx, principal, e)), e.id),
    () => sse.end(),
  );
  sse.onClose(unsubscribe);
}
