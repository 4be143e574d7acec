import { z } from 'zod';
import type { Delivery } from '../../protocol/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Page, pageOf } from './schemas.js';

/** The deliveries are read from the store. */
export interface DeliveriesContext {
  readonly store: Pick<Store, 'listDeliveries'>;
}

const Name = z.string().min(1).max(128, 'expected at most 128 characters').optional();

/**
 * GET /api/v1/deliveries: outbound deliveries (webhook, PagerDuty, Slack) that finally failed.
 *
 * @example
 * const routes = deliveriesRoutes({ store });
 */
export function deliveriesRoutes(ctx: DeliveriesContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/deliveries',
      summary: 'Outbound deliveries (webhook, PagerDuty, Slack) that finally failed, newest first; filter by `integration` or `type` (exact). Kept 30 days.',
      role: 'viewer',
      query: Page.extend({ integration: Name, type: Name }),
      handler: async ({ query }): Promise<Delivery[]> =>
        ctx.store.listDeliveries({ ...pageOf(query), ...(query.integration ? { integration: query.integration } : {}), ...(query.type ? { type: query.type } : {}) }),
    }),
  ];
}
