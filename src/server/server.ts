import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Catalogue } from '../lang/index.js';
import { BreakwaterError, ERROR_CODES, describeIssues } from '../protocol/index.js';
import { WebSocketGateway } from '../transport/index.js';
import type { Route } from './api/route.js';
import { LiveQueries } from './api/live-query.js';
import { RefusalAudit } from './api/refusals.js';
import { TokenStreams } from './api/token-streams.js';
import { apiRoutes } from './api/routes.js';
import { openApiDocument } from './api/openapi.js';
import type { Principal } from './auth.js';
import { createToken, hasRole, hashSecret, requireRole, verifyToken } from './auth.js';
import type { ServerConfig, ServerOptions } from './config.js';
import { resolveServerConfig } from './config.js';
import { ConnectionLimits, fastifyLimitOptions } from './connection-limits.js';
import { registerRequestLog, serverLogger } from './log.js';
import { registerSecurityHeaders } from './security-headers.js';
import type { ServerTls } from './tls/index.js';
import { serverTls } from './tls/index.js';
import { registerWebAssets } from './web-assets.js';
import { interruptStaleRuns } from './query/run-statement.js';
import type { AgentGateway } from './gateway.js';
import type { AgentRecord, Store } from './store/index.js';
import { isStoreError, openPostgresStore, openSqliteStore } from './store/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';
import { wireControlPlane } from './wire.js';

export const SERVER_VERSION = '0.1.0';
export const AGENT_CONNECT_PATH = '/api/v1/agents/connect';

export interface RunningServer {
  /** Base URL, e.g. https://127.0.0.1:7070 (http:// without TLS) */
  readonly url: string;
  /** What TLS the server speaks (its CA file and fingerprint); undefined for plain HTTP. */
  readonly tls: Omit<ServerTls, 'https'> | undefined;
  readonly config: ServerConfig;
  readonly store: Store;
  readonly gateway: AgentGateway;
  /** The admin token created on the very first start, shown once; undefined afterwards. */
  readonly initialAdminToken: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the control plane: store, agent gateway (WebSocket), HTTP API. The parts between the
 * store and the HTTP API are built by wireControlPlane (wire.ts), in order.
 *
 * @example
 * const server = await startServer({ port: 0, dataDir: '/tmp/bw' });
 * console.log(server.url, server.initialAdminToken);
 */
export async function startServer(options: ServerOptions, deps: { logger?: Logger; store?: Store; catalogue?: () => Catalogue; clock?: Clock } = {}): Promise<RunningServer> {
  const config = resolveServerConfig(options);
  const clock = deps.clock ?? systemClock;
  // Before the store: a certificate problem is a configuration error, reported before anything is opened.
  const tls = config.tls ? await serverTls(config.tls, config) : undefined;
  const logger = deps.logger ?? serverLogger(config.logLevel);
  let store = deps.store;
  if (!store) {
    if (config.store) store = openPostgresStore(config.store);
    else {
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      store = openSqliteStore(join(resolve(config.dataDir), 'breakwater.db'));
    }
  }
  await store.migrate();
  const interrupted = await interruptStaleRuns(store);
  if (interrupted.length) logger.warn({ runs: interrupted.map((r) => r.id) }, `${interrupted.length} run(s) were still running when the control plane stopped; marked interrupted`);

  let initialAdminToken: string | undefined;
  if (!(await store.hasAdmin())) {
    initialAdminToken = (await createToken(store, 'admin', 'admin', 'breakwater-init', null, null, clock)).secret;
  }

  const { gateway, remediation, notifier, statements, stop } = await wireControlPlane({ config, store, logger, clock, catalogue: deps.catalogue });

  // One server for HTTPS and WSS: the agents' WebSocket gateway rides this server's upgrades.
  const appOptions = { logger: false, ...fastifyLimitOptions(config.httpLimits) };
  // fastify hands node its `https` options instead of `http`: the timeout checks go with them.
  const app = (tls ? Fastify({ ...appOptions, https: { ...tls.https, ...appOptions.http } }) : Fastify(appOptions)) as unknown as FastifyInstance;
  registerSecurityHeaders(app);
  registerRequestLog(app, logger);
  const connections = new ConnectionLimits(app.server, config.httpLimits, logger);
  const streams = new TokenStreams(logger);
  const live = new LiveQueries(statements(), streams);
  const routes = apiRoutes({ ...statements(), version: SERVER_VERSION, remediation, live, streams, runOutputVisibility: config.runOutputVisibility, issueClientCertificate: tls?.clientAuth?.issue });
  registerRoutes(app, routes, store, logger, connections);
  app.get('/api/v1/openapi.json', async () => openApiDocument(routes, SERVER_VERSION));
  registerWebAssets(app);

  await app.listen({ port: config.port, host: config.host });
  const ws = new WebSocketGateway<AgentRecord>({
    server: app.server,
    path: AGENT_CONNECT_PATH,
    authenticate: async (credential, request) => {
      if (!credential) return { ok: false, status: 401, message: 'no agent credential: enroll with a join token first' };
      const agent = credential.startsWith('bwa_') ? await store.findAgentByCredentialHash(hashSecret(credential)) : undefined;
      if (!agent) return { ok: false, status: 401, message: 'unknown agent credential: enroll again with a join token' };
      if (agent.revokedAt !== null) return { ok: false, status: 401, message: `the credential of agent \`${agent.name}\` was revoked at ${new Date(agent.revokedAt).toISOString()}: enroll again with a join token` };
      const refused = tls?.clientAuth?.check(request.socket, agent.name);
      if (refused) return { ok: false, status: 401, message: refused };
      connections.authenticated(request.socket);
      return { ok: true, principal: agent };
    },
    onConnection: (conn, agent) => gateway.accept(conn, agent),
    onSocketError: (err, remote) => logger.warn({ remote, err: err.message }, 'agent socket failed; that connection is closed'),
  });

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, tls: tls ? { fingerprint: tls.fingerprint, certificate: tls.action } : false }, 'control plane listening');

  let closed = false;
  return {
    url,
    tls: tls ? { fingerprint: tls.fingerprint, caFile: tls.caFile, action: tls.action, clientAuth: tls.clientAuth } : undefined,
    config,
    store,
    gateway,
    initialAdminToken,
    async close() {
      if (closed) return;
      closed = true;
      stop();
      streams.close();
      gateway.closeAll();
      ws.close();
      await notifier.drain();
      await app.close();
      await store.close();
    },
  };
}

function registerRoutes(app: FastifyInstance, routes: readonly Route[], store: Store, logger: Logger, connections: ConnectionLimits): void {
  const refusals = new RefusalAudit(store);
  const auditedErrors = new WeakSet<BreakwaterError>();
  const audited = (err: BreakwaterError) => {
    auditedErrors.add(err);
    return err;
  };
  // An audit the store could not take must not turn the refusal into a 500.
  const quietly = (written: Promise<void>) => written.catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'could not audit a refused call'));
  app.setErrorHandler(async (err: FastifyError | BreakwaterError, req, reply) => {
    if (err instanceof BreakwaterError) {
      // A handler's own refusal of a credential (enrollment with a bad join token): audited like the guard's.
      if (err.code === 'BW_ERR_UNAUTHENTICATED' && !auditedErrors.has(err)) {
        await quietly(refusals.unauthenticated(req.ip, `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`, err.message));
      }
      return reply.status(err.status).send(err.toJSON());
    }
    // Text the store cannot hold (NUL, an unpaired surrogate) came from the request: the caller's mistake, named by field.
    if (isStoreError(err, 'STORE_INVALID')) return reply.status(ERROR_CODES.BW_ERR_INVALID_REQUEST.status).send({ code: 'BW_ERR_INVALID_REQUEST', message: err.message, details: { operation: err.operation } });
    if (err.statusCode === ERROR_CODES.BW_ERR_PAYLOAD_TOO_LARGE.status) {
      return reply.status(ERROR_CODES.BW_ERR_PAYLOAD_TOO_LARGE.status).send({ code: 'BW_ERR_PAYLOAD_TOO_LARGE', message: `the request body is larger than ${app.initialConfig.bodyLimit} bytes, the most accepted`, details: { limit: app.initialConfig.bodyLimit } });
    }
    if (err.statusCode && err.statusCode < 500) {
      // Fastify's other refusals (body not JSON, wrong media type): the catalogue's status for the code.
      return reply.status(ERROR_CODES.BW_ERR_INVALID_REQUEST.status).send({ code: 'BW_ERR_INVALID_REQUEST', message: err.message, details: {} });
    }
    return reply.status(500).send({ code: 'BW_ERR_INTERNAL', message: err.message, details: {} });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ code: 'BW_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: {} }));

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
          const token = await verifyToken(store, secret);
          if (!token) {
            await quietly(refusals.unauthenticated(request.ip, target, secret ? 'unknown token' : 'no token'));
            throw audited(new BreakwaterError('BW_ERR_UNAUTHENTICATED', secret ? 'the token is unknown, expired or revoked' : 'no token: send Authorization: Bearer <token> (see `breakwater token create`)'));
          }
          principal = { id: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt };
          connections.authenticated(request.raw.socket);
          const need = r.escalate?.(request.query) ?? { role: r.role, what: target, audit: r.audit ?? 'request' };
          if (!hasRole(principal, need.role)) {
            await quietly(refusals.forbidden(token, need.audit, target, { needed: need.role, held: principal.role }));
            requireRole(principal, need.role, need.what);
          }
        }
        const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } } | undefined, value: unknown, where: string): T => {
          if (!schema) return value as T;
          const parsed = schema.safeParse(value ?? {});
          if (!parsed.success) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid ${where}: ${describeIssues(parsed.error)}`, { where });
          return parsed.data;
        };
        const body = parse(r.body, request.body, 'request body');
        const query = parse(r.query, request.query, 'query parameters');
        const params = parse(r.params, request.params, 'path parameters');
        const result = await r.handler({ body, query, params, principal, request, reply });
        if (reply.sent) return reply;
        return result;
      },
    });
  }
}
