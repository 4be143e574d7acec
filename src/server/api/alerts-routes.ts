import { z } from 'zod';
import { audit } from '../audit/index.js';
import type { Principal } from '../auth.js';
import type { Clock, Fleet } from '../fleet/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name } from './schemas.js';

/** An alert goes to the agents it names through the fleet, and is audited with the time of the clock. */
export interface AlertsContext {
  readonly store: Pick<Store, 'appendAudit'>;
  readonly gateway: Pick<Fleet, 'sendTo'>;
  readonly clock: Clock;
}

const AlertBody = z.object({
  alert: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected an alert name of letters, digits, `_`, `.`, `:`, `-`'),
  hosts: z.array(Name).min(1, 'name at least one host').max(10_000),
  context: z.record(z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'context keys are lower-case names'), z.union([z.string().max(4096), z.number(), z.boolean()])).default({}),
});

/**
 * POST /api/v1/alerts: an outside monitor's alert, handed to the named hosts' agents.
 *
 * @example
 * const routes = alertsRoutes({ store, gateway: fleet, clock: systemClock });
 */
export function alertsRoutes(ctx: AlertsContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/alerts',
      summary: 'An alert from outside (a monitoring webhook): bots with an `external` trigger of that name run on the hosts it names.',
      role: 'operator',
      body: AlertBody,
      handler: async ({ body, principal }) => {
        const delivered: string[] = [];
        const offline: string[] = [];
        for (const h of body.hosts) (ctx.gateway.sendTo(h, { type: 'alert', name: body.alert, context: body.context }) ? delivered : offline).push(h);
        await audit(ctx.store, (principal as Principal).name, 'alert', body.alert, offline.length ? 'failed' : 'ok', { delivered, offline }, null, ctx.clock);
        return { alert: body.alert, delivered, offline };
      },
    }),
  ];
}
