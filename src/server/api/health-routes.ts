import type { Catalogue } from '../../lang/index.js';
import { ROLE_POWERS } from '../auth.js';
import type { Fleet } from '../fleet/index.js';
import type { ReadinessReport } from '../readiness.js';
import { readyOrThrow } from '../readiness.js';
import type { Route } from './route.js';
import { route } from './route.js';

/** What the health, whoami and catalogue routes read: the version, how many agents are connected, the language catalogue. */
export interface HealthContext {
  readonly version: string;
  readonly gateway: Pick<Fleet, 'connectedCount'>;
  catalogue(): Catalogue;
  /** Whether this replica can serve calls now (readiness.ts): its store, and NATS in the scaled mode. */
  readiness(): Promise<ReadinessReport>;
}

/**
 * Liveness, readiness, the caller's identity and the language catalogue. Liveness (/healthz) says
 * only that the process answers: a PostgreSQL blip must not get every replica restarted. Readiness
 * (/readyz) says whether its dependencies answer, so that a load balancer stops sending calls to a
 * replica that would fail them.
 *
 * @example
 * const routes = healthRoutes({ version: '0.1.0', gateway: fleet, catalogue: () => BUILTIN_CATALOGUE, readiness: readiness({ store: () => store.ping() }, { timeoutMs: 1500, clock }) });
 */
export function healthRoutes(ctx: HealthContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the control plane answers.',
      role: 'public',
      handler: async () => ({ ok: true, version: ctx.version, agents: ctx.gateway.connectedCount }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the store (and NATS, in the scaled mode) answer; 503 BW_ERR_UNAVAILABLE naming what does not.',
      role: 'public',
      handler: async () => readyOrThrow(await ctx.readiness()),
    }),
    route({
      method: 'GET',
      url: '/api/v1/whoami',
      summary: 'The caller\'s token name and role.',
      role: 'viewer',
      handler: async ({ principal }) => ({ name: principal?.name, role: principal?.role, may: principal && principal.role !== 'agent' ? ROLE_POWERS[principal.role] : '' }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/catalogue',
      summary: 'The language catalogue: resource types, metrics, functions, reductions, actions.',
      role: 'viewer',
      handler: async () => ctx.catalogue(),
    }),
  ];
}
