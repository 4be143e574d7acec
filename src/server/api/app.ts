import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BreakwaterError, ERROR_CODES } from '../../protocol/index.js';
import { RefusalAudit } from '../audit/index.js';
import type { HttpLimits } from '../connection-limits.js';
import { ConnectionLimits, fastifyLimitOptions } from '../connection-limits.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import { registerRequestLog } from '../log.js';
import { registerSecurityHeaders } from '../security-headers.js';
import type { ServerTls } from '../tls/index.js';
import type { Store } from '../store/index.js';
import { isStoreError } from '../store/index.js';
import { registerWebAssets } from '../web-assets.js';
import { openApiDocument } from './openapi.js';
import type { Route } from './route.js';
import { keepRawForm, keepRawJson } from './raw-body.js';
import { RefusalLog, registerGuardedRoutes } from './route-guard.js';

export interface AppOptions {
  /** The route table (apiRoutes): registered behind the token guard, and described at /api/v1/openapi.json. */
  readonly routes: readonly Route[];
  /** Where tokens are checked and refusals audited. */
  readonly store: Store;
  readonly logger: Logger;
  readonly limits: HttpLimits;
  /** The version the OpenAPI document names. */
  readonly version: string;
  /** Serve HTTPS with these keys (and client CA, for mutual TLS); plain HTTP without. */
  readonly https?: ServerTls['https'] | undefined;
  /** Token expiry and refusal budgets are read against it. */
  readonly clock?: Clock;
  /** The built web UI to serve at `/` (default: dist/web). */
  readonly webDir?: string;
}

export interface BuiltApp {
  /** Built, not listening: `app.inject` for tests, `app.listen` for the server. */
  readonly app: FastifyInstance;
  /** The connection caps of app.server; an agent's WebSocket credential counts as authenticating too. */
  readonly connections: ConnectionLimits;
}

/**
 * Builds the control plane's HTTP app without listening: limits, security headers, the request log,
 * the routes behind their token guard, the error and not-found handlers, the OpenAPI document and
 * the web UI's assets.
 *
 * @example
 * const { app } = buildApp({ routes: apiRoutes(ctx), store, logger, limits: HTTP_LIMITS, version: SERVER_VERSION });
 * const answer = await app.inject({ method: 'GET', url: '/healthz' });
 */
export function buildApp(options: AppOptions): BuiltApp {
  const { routes, store, logger } = options;
  const appOptions = { logger: false, ...fastifyLimitOptions(options.limits) };
  // fastify hands node its `https` options instead of `http`: the timeout checks go with them.
  const app = (options.https ? Fastify({ ...appOptions, https: { ...options.https, ...appOptions.http } }) : Fastify(appOptions)) as unknown as FastifyInstance;
  registerSecurityHeaders(app);
  registerRequestLog(app, logger);
  const connections = new ConnectionLimits(app.server, options.limits, logger);
  const refusals = new RefusalLog(new RefusalAudit(store, options.clock), logger);
  registerErrorHandlers(app, refusals);
  // Integrations verify signatures over the body as sent (src/server/api/integrations-routes.ts).
  keepRawJson(app, '/api/v1/integrations/');
  keepRawForm(app, '/api/v1/integrations/');
  registerGuardedRoutes(app, routes, { store, refusals, connections, clock: options.clock ?? systemClock });
  app.get('/api/v1/openapi.json', async () => openApiDocument(routes, options.version));
  registerWebAssets(app, options.webDir);
  return { app, connections };
}

/** Every error as the catalogue's JSON (`{ code, message, details }`) with its status; unknown API paths as BW_ERR_NOT_FOUND, others as a plain 404. */
function registerErrorHandlers(app: FastifyInstance, refusals: RefusalLog): void {
  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof BreakwaterError) {
      // A handler's own refusal of a credential (enrollment with a bad join token): audited like the guard's.
      if (err.code === 'BW_ERR_UNAUTHENTICATED' && !refusals.wasAudited(err)) {
        await refusals.unauthenticated(req.ip, `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`, err.message);
      }
      return reply.status(err.status).send(err.toJSON());
    }
    // Text the store cannot hold (NUL, an unpaired surrogate) came from the request: the caller's mistake, named by field.
    if (isStoreError(err, 'STORE_INVALID')) return reply.status(ERROR_CODES.BW_ERR_INVALID_REQUEST.status).send({ code: 'BW_ERR_INVALID_REQUEST', message: err.message, details: { operation: err.operation } });
    // The database is down or unreachable (refused, shut down, connection lost, pool timeout): the
    // caller should try again, maybe on another replica; 500 would say the call itself is at fault.
    if (isStoreError(err, 'STORE_UNAVAILABLE')) return reply.status(ERROR_CODES.BW_ERR_UNAVAILABLE.status).send({ code: 'BW_ERR_UNAVAILABLE', message: `the control plane cannot reach its store; try again shortly (${err.message})`, details: { operation: err.operation } });
    if (err.statusCode === ERROR_CODES.BW_ERR_PAYLOAD_TOO_LARGE.status) {
      return reply.status(ERROR_CODES.BW_ERR_PAYLOAD_TOO_LARGE.status).send({ code: 'BW_ERR_PAYLOAD_TOO_LARGE', message: `the request body is larger than ${app.initialConfig.bodyLimit} bytes, the most accepted`, details: { limit: app.initialConfig.bodyLimit } });
    }
    if (err.statusCode && err.statusCode < 500) {
      // Fastify's other refusals (body not JSON, wrong media type): the catalogue's status for the code.
      return reply.status(ERROR_CODES.BW_ERR_INVALID_REQUEST.status).send({ code: 'BW_ERR_INVALID_REQUEST', message: err.message, details: {} });
    }
    return reply.status(500).send({ code: 'BW_ERR_INTERNAL', message: err.message, details: {} });
  });
  // The API's callers read the catalogue's JSON; anywhere else (a scraper, a stray POST) a plain 404.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) return reply.status(404).send({ code: 'BW_ERR_NOT_FOUND', message: `no route ${req.method} ${path}`, details: {} });
    return reply.status(404).type('text/plain; charset=utf-8').send(`no route ${req.method} ${path}\n`);
  });
}
