import type { TimerClock } from '../fleet/index.js';
import type { StatementContext } from '../query/run-statement.js';
import type { Remediation } from '../remediation/index.js';
import { podFinder } from '../integrations/index.js';
import { agentRoutes } from './agents-routes.js';
import { alertsRoutes } from './alerts-routes.js';
import { approvalsRoutes } from './approvals-routes.js';
import { auditRoutes } from './audit-routes.js';
import { automationRoutes } from './automation-routes.js';
import { definitionsRoutes } from './definitions-routes.js';
import { deliveriesRoutes } from './deliveries-routes.js';
import { eventsRoutes } from './events-routes.js';
import { healthRoutes } from './health-routes.js';
import type { MetricsContext } from './metrics-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import { integrationsRoutes } from './integrations-routes.js';
import { operateRoutes } from './operate-routes.js';
import { queryRoutes } from './query-routes.js';
import type { LiveQueries } from './live-query.js';
import type { ReadinessReport } from '../readiness.js';
import type { Route } from './route.js';
import { runbooksRoutes } from './runbooks-routes.js';
import type { RunsContext } from './runs-routes.js';
import { runsRoutes } from './runs-routes.js';
import { secretRoutes } from './secret-routes.js';
import { slackRoutes } from './slack-routes.js';
import type { TokenStreams } from './token-streams.js';
import { tokenRoutes } from './tokens-routes.js';

/** Everything the API's routes read, together: each group takes only its part (see its `*-routes.ts`). */
export interface ApiContext extends StatementContext, RunsContext, MetricsContext {
  readonly version: string;
  readonly remediation: Remediation;
  readonly live: LiveQueries;
  /** Every open event stream and live query, per token: a revoked token's end at once. */
  readonly streams: TokenStreams;
  /** Mutual TLS with the control plane's own CA: signs an enrolling agent's client certificate. */
  readonly issueClientCertificate?: ((name: string, publicKeyPem: string) => string) | undefined;
  /** The scaled mode with `--nats-account-seed`: signs an enrolling agent's NATS user JWT. */
  readonly issueNatsCredential?: ((name: string, natsPublicKey: string) => Promise<string>) | undefined;
  /** Whether this replica can serve calls now (GET /readyz). */
  readiness(): Promise<ReadinessReport>;
  /** The time of records the routes write (runbooks, tokens, agents, audit entries). */
  readonly clock: TimerClock;
}

/**
 * The API's route table: every resource group's routes, in the order the OpenAPI document lists them.
 *
 * @example
 * const { app } = buildApp({ routes: apiRoutes(ctx), store, logger, limits: HTTP_LIMITS, version: SERVER_VERSION });
 */
export function apiRoutes(ctx: ApiContext): Route[] {
  return [
    ...healthRoutes(ctx),
    ...agentRoutes(ctx),
    ...queryRoutes(ctx),
    ...runsRoutes(ctx),
    ...auditRoutes(ctx),
    ...definitionsRoutes(ctx),
    ...eventsRoutes(ctx),
    ...approvalsRoutes(ctx),
    ...alertsRoutes(ctx),
    ...integrationsRoutes(ctx, podFinder(ctx)),
    ...slackRoutes(ctx),
    ...deliveriesRoutes(ctx),
    ...tokenRoutes(ctx),
    ...runbooksRoutes(ctx),
    ...secretRoutes(ctx),
    ...automationRoutes(ctx),
    ...operateRoutes(ctx),
    ...metricsRoutes(ctx),
  ];
}
