import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Logger } from 'pino';
import type { Catalogue } from '../lang/index.js';
import { BreakwaterError, ERROR_CODES, describeIssues } from '../protocol/index.js';
import { WebSocketGateway } from '../transport/index.js';
import type { Route } from './api/route.js';
import { LiveQueries } from './api/live-query.js';
import { TokenStreams } from './api/sse.js';
import { apiRoutes } from './api/routes.js';
import { openApiDocument } from './api/openapi.js';
import type { Principal } from './auth.js';
import { createToken, hashSecret, requireRole, verifyToken } from './auth.js';
import type { ServerConfig, ServerOptions } from './config.js';
import { resolveServerConfig } from './config.js';
import { AgentGateway } from './gateway.js';
import type { ServerTls } from './tls/index.js';
import { serverTls } from './tls/index.js';
import { registerWebAssets } from './web-assets.js';
import { Notifier } from './notify.js';
import type { StatementContext } from './query/run-statement.js';
import { Remediation } from './remediation.js';
import type { AgentRecord, Store } from './store/index.js';
import { MAX_PAGE_LIMIT, isStoreError, openPostgresStore, openSqliteStore } from './store/index.js';

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
 * Starts the control plane: store, agent gateway (WebSocket), HTTP API.
 *
 * @example
 * const server = await startServer({ port: 0, dataDir: '/tmp/bw' });
 * console.log(server.url, server.initialAdminToken);
 */
export async function startServer(options: ServerOptions, deps: { logger?: Logger; store?: Store; catalogue?: () => Catalogue } = {}): Promise<RunningServer> {
  const config = resolveServerConfig(options);
  // Before the store: a certificate problem is a configuration error, reported before anything is opened.
  const tls = config.tls ? await serverTls(config.tls, config) : undefined;
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { component: 'server' } }, pino.destination(2));
  let store = deps.store;
  if (!store) {
    if (config.store) store = openPostgresStore(config.store);
    else {
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      store = openSqliteStore(join(resolve(config.dataDir), 'breakwater.db'));
    }
  }
  await store.migrate();

  let initialAdminToken: string | undefined;
  if (!(await store.hasAdmin())) {
    initialAdminToken = (await createToken(store, 'admin', 'admin', 'breakwater-init')).secret;
  }

  const notifier = new Notifier(config.webhooks, logger);
  const statements = (): StatementContext => ({ store: store as Store, gateway, catalogue, queryTimeoutMs: config.queryTimeoutMs, maxTargets: config.maxTargets, events: eventsFor(store as Store) });
  const remediation = new Remediation(store, logger, notifier, statements);
  await remediation.load();
  const catalogue = deps.catalogue ?? (() => remediation.catalogue());
  const gateway = new AgentGateway({ store, logger, heartbeatMs: config.heartbeatMs, hooks: remediation.hooks });
  remediation.gateway = gateway;
  await gateway.load();

  // One server for HTTPS and WSS: the agents' WebSocket gateway rides this server's upgrades.
  const app = (tls ? Fastify({ logger: false, bodyLimit: 1024 * 1024, https: tls.https }) : Fastify({ logger: false, bodyLimit: 1024 * 1024 })) as unknown as FastifyInstance;
  const streams = new TokenStreams();
  const live = new LiveQueries(statements(), streams);
  const routes = apiRoutes({ ...statements(), version: SERVER_VERSION, remediation, live, streams, issueClientCertificate: tls?.clientAuth?.issue });
  registerRoutes(app, routes, store);
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
      const refused = tls?.clientAuth?.check(request.socket, agent.name);
      if (refused) return { ok: false, status: 401, message: refused };
      return { ok: true, principal: agent };
    },
    onConnection: (conn, agent) => gateway.accept(conn, agent),
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
      remediation.stop();
      streams.close();
      gateway.closeAll();
      ws.close();
      await notifier.drain();
      await app.close();
      await store.close();
    },
  };
}

/** The newest events, for `events | ...` statements: one page, the most the store returns at once (MAX_PAGE_LIMIT). */
function eventsFor(store: Store) {
  return async () => (await store.listEvents({ limit: MAX_PAGE_LIMIT })) as import('../protocol/index.js').FleetEvent[];
}

function registerRoutes(app: FastifyInstance, routes: readonly Route[], store: Store): void {
  app.setErrorHandler((err: FastifyError | BreakwaterError, _req, reply) => {
    if (err instanceof BreakwaterError) return reply.status(err.status).send(err.toJSON());
    // Text the store cannot hold (NUL, an unpaired surrogate) came from the request: the caller's mistake, named by field.
    if (isStoreError(err, 'STORE_INVALID')) return reply.status(ERROR_CODES.BW_ERR_INVALID_REQUEST.status).send({ code: 'BW_ERR_INVALID_REQUEST', message: err.message, details: { operation: err.operation } });
    if (err.statusCode && err.statusCode < 500) {
      // Fastify's own refusals (body not JSON, too large, wrong media type): the catalogue's status for the code.
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
        if (r.role !== 'public') {
          const header = request.headers.authorization;
          const fromQuery = r.tokenInQuery ? (request.query as { token?: unknown } | undefined)?.token : undefined;
          const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined;
          const token = await verifyToken(store, secret);
          if (!token) {
            throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', secret ? 'the token is unknown, expired or revoked' : 'no token: send Authorization: Bearer <token> (see `breakwater token create`)');
          }
          principal = { id: token.id, name: token.name, role: token.role };
          requireRole(principal, r.role, `${r.method} ${r.url}`);
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
