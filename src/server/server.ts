import { BreakwaterError } from '../protocol/index.js';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Catalogue } from '../lang/index.js';
import { WebSocketGateway } from '../transport/index.js';
import { buildApp } from './api/app.js';
import { LiveQueries } from './api/live-query.js';
import { TokenStreams } from './api/token-streams.js';
import { apiRoutes } from './api/routes.js';
import { createFirstAdminToken, hashSecret } from './auth.js';
import type { ServerConfig, ServerOptions } from './config.js';
import { resolveServerConfig } from './config.js';
import { serverLogger } from './log.js';
import { ControlPlaneMetrics, timedStore } from './metrics/index.js';
import type { ServerTls } from './tls/index.js';
import { serverTls } from './tls/index.js';
import { AgentNatsIssuer, responseAllowance } from './nats-auth/index.js';
import { readiness } from './readiness.js';
import { ReplicaLiveness } from './replica-liveness.js';
import { interruptStaleRuns } from './query/run-statement.js';
import type { AgentGateway } from './gateway.js';
import type { Bus } from './scaled.js';
import { openBus } from './scaled.js';
import type { AgentRecord, Store } from './store/index.js';
import { openPostgresStore, openSqliteStore } from './store/index.js';
import type { FleetTransport, TimerClock } from './fleet/index.js';
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
  /** The agents, whatever carries them: the WebSocket gateway, or NATS in the scaled mode (`--bus`). */
  readonly fleet: FleetTransport;
  /** The embedded mode's WebSocket gateway; undefined in the scaled mode. */
  readonly gateway: AgentGateway | undefined;
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
export async function startServer(options: ServerOptions, deps: { logger?: Logger; store?: Store; catalogue?: () => Catalogue; clock?: TimerClock } = {}): Promise<RunningServer> {
  const config = resolveServerConfig(options);
  const clock = deps.clock ?? systemClock;
  // Before the store: a certificate problem is a configuration error, reported before anything is opened.
  const tls = config.tls ? await serverTls(config.tls, config) : undefined;
  // Likewise the NATS signing key; the agents' reply permission must outlast the longest query.
  const allowance = responseAllowance(config.queryTimeoutMs, config.agentQuotas.rowsPerMinute);
  const natsIssuer = config.natsAccountSeed ? await AgentNatsIssuer.fromFile(config.natsAccountSeed, { allowance, clock }) : undefined;
  const logger = deps.logger ?? serverLogger(config.logLevel);
  // Credentials for one prefix confine agents to subjects no replica of another prefix listens on: every agent would be refused.
  if (natsIssuer && config.bus && natsIssuer.prefix !== config.natsPrefix) {
    throw new BreakwaterError('BW_ERR_CONFIG', `--nats-account-seed ${config.natsAccountSeed} issues credentials for the subject prefix "${natsIssuer.prefix}" but --nats-prefix is "${config.natsPrefix}": use the same prefix`, { option: 'natsPrefix' });
  }
  if (natsIssuer) logger.info({ prefix: natsIssuer.prefix, file: config.natsAccountSeed }, 'enrollment issues NATS credentials for this subject prefix');
  let store = deps.store;
  if (!store) {
    if (config.store) store = openPostgresStore(config.store);
    else {
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      store = openSqliteStore(join(resolve(config.dataDir), 'breakwater.db'));
    }
  }
  // A registry per server: several servers in one process (tests, the lab) each count their own.
  const metrics = new ControlPlaneMetrics(logger);
  store = timedStore(store, (operation, seconds, failed) => metrics.storeCall(operation, seconds, failed));
  await store.migrate();
  // PostgreSQL may be shared by several replicas: each interrupts only the runs of replicas that
  // stopped heartbeating. The embedded mode's one process interrupts whatever was left running.
  const liveness = config.store ? new ReplicaLiveness({ store, logger, clock }) : undefined;
  const interrupted = liveness ? await liveness.start().catch(async (err: unknown) => {
    await store.close();
    throw err;
  }) : await interruptStaleRuns(store);
  if (interrupted.length && !liveness) logger.warn({ runs: interrupted.map((r) => r.id) }, `${interrupted.length} run(s) were still running when the control plane stopped; marked interrupted`);

  // Atomic across replicas starting together on an empty store: exactly one shows the first admin token.
  const initialAdminToken = await createFirstAdminToken(store, clock);

  // The scaled mode: the fleet over NATS, and the events stream stored once wiring made the hooks.
  let bus: Bus | undefined;
  if (config.bus) {
    bus = await openBus({ ...config, bus: config.bus }, { store, logger, clock }).catch(async (err: unknown) => {
      await liveness?.stop();
      await store.close();
      throw err;
    });
  }
  const plane = await wireControlPlane({ config, store, logger, clock, catalogue: deps.catalogue, replicaId: liveness?.id, metrics, fleet: bus && ((hooks) => (bus as Bus).fleet(hooks)), replicas: bus && { nc: bus.nc, subjects: bus.subjects } }).catch(async (err: unknown) => {
    // An open NATS connection (or the heartbeat timer) would keep a process that failed to start alive.
    await bus?.close();
    await liveness?.stop();
    throw err;
  });
  const { fleet, gateway, remediation, notifier, outbound, statements, stop } = plane;
  await bus?.start().catch(async (err: unknown) => {
    stop();
    await fleet.closeAll();
    await bus?.close();
    await liveness?.stop();
    await store.close();
    throw err;
  });

  // One server for HTTPS and WSS: the agents' WebSocket gateway rides this server's upgrades.
  const streams = new TokenStreams(logger, clock);
  const live = new LiveQueries(statements(), streams);
  metrics.watch({ fleet, store, streams, outboxes: fleet.outboxes && (() => fleet.outboxes?.() ?? []) });
  // Under the probe's 2 s timeout (deploy/k8s): a hung PostgreSQL or NATS reads as not ready, not as no answer.
  const ready = readiness({ store: () => store.ping(), ...(bus ? { nats: () => (bus as Bus).nc.flush() } : {}) }, { timeoutMs: 1500, clock });
  const routes = apiRoutes({ ...statements(), readiness: ready, version: SERVER_VERSION, remediation, live, streams, runOutputVisibility: config.runOutputVisibility, issueClientCertificate: tls?.clientAuth?.issue, issueNatsCredential: natsIssuer && ((name, key) => natsIssuer.issue(name, key)), clock, metrics, metricsAuth: config.metricsAuth });
  const { app, connections } = buildApp({ routes, store, logger, limits: config.httpLimits, version: SERVER_VERSION, https: tls?.https, clock });

  await app.listen({ port: config.port, host: config.host });
  const ws = new WebSocketGateway<AgentRecord>({
    server: app.server,
    path: AGENT_CONNECT_PATH,
    authenticate: async (credential, request) => {
      if (!gateway) return { ok: false, status: 404, message: `this control plane runs in the scaled mode: agents connect over NATS, not WebSocket (start the agent with --bus ${config.bus ?? 'nats://…'})` };
      if (!credential) return { ok: false, status: 401, message: 'no agent credential: enroll with a join token first' };
      const agent = credential.startsWith('bwa_') ? await store.findAgentByCredentialHash(hashSecret(credential)) : undefined;
      if (!agent) return { ok: false, status: 401, message: 'unknown agent credential: enroll again with a join token' };
      if (agent.revokedAt !== null) return { ok: false, status: 401, message: `the credential of agent \`${agent.name}\` was revoked at ${new Date(agent.revokedAt).toISOString()}: enroll again with a join token` };
      const refused = tls?.clientAuth?.check(request.socket, agent.name);
      if (refused) return { ok: false, status: 401, message: refused };
      connections.authenticated(request.socket);
      return { ok: true, principal: agent };
    },
    onConnection: (conn, agent) => gateway?.accept(conn, agent),
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
    fleet,
    gateway,
    initialAdminToken,
    async close() {
      if (closed) return;
      closed = true;
      stop();
      streams.close();
      await fleet.closeAll();
      ws.close();
      await bus?.close();
      await notifier.drain();
      await outbound.stop();
      await app.close();
      await liveness?.stop();
      await store.close();
    },
  };
}
