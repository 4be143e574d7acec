import type { ControlPlaneMetrics } from '../metrics/index.js';
import type { Route } from './route.js';
import { route } from './route.js';

/** What GET /metrics reads: this replica's metrics, and who may scrape them. */
export interface MetricsContext {
  readonly metrics: Pick<ControlPlaneMetrics, 'contentType' | 'exposition'>;
  /** `token`: any valid token (viewer or above) as `Authorization: Bearer`; `none`: no token. */
  readonly metricsAuth: 'token' | 'none';
}

/**
 * `GET /metrics`: this replica's metrics in Prometheus's text exposition format, for a scrape job
 * (docs/integrations.md). Behind a token unless the server runs with `--metrics-auth none`: the
 * counts say how busy the fleet is and how many hosts it has.
 *
 * @example
 * const routes = metricsRoutes({ metrics, metricsAuth: 'token' });
 */
export function metricsRoutes(ctx: MetricsContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/metrics',
      summary: "This replica's metrics in Prometheus's text exposition format (agents, queries, events, bot runs, circuit breaker, approvals, outboxes, store timings, streams).",
      role: ctx.metricsAuth === 'none' ? 'public' : 'viewer',
      produces: 'text/plain',
      handler: async ({ reply }) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.exposition()),
    }),
  ];
}
