import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakwaterError, MAX_TAG_VALUE, TAG_KEY } from '../protocol/index.js';
import type { AgentConnection } from '../transport/index.js';
import { ConnectRefused, connectWebSocket, explainTlsError, trustedCa } from '../transport/index.js';
import type { AgentConfig } from './config.js';
import type { StoredCredential } from './credentials.js';
import { loadClientCertificate, newClientKeyPair, readProvidedCertificate, saveClientCertificate } from './client-cert.js';
import { AGENT_TRUST_HINT, enroll, hostIdentity, loadCredential, saveCredential } from './credentials.js';
import { AGENT_VERSION, AgentDaemon } from './daemon.js';
import { natsCredsRenewAt, renewNatsCreds, saveNatsCreds } from './nats-creds.js';
import { newNatsUserKey } from './nats-user-key.js';
import { ShellRunner } from './exec/shell-runner.js';
import { FileOutbox } from './engine/outbox.js';
import { jsonLogger } from './log.js';
import { MountMapSource } from './mount-map.js';
import { ProcessScope, ProcessScopeSource } from './process-scope.js';
import { ContainerCatalog } from './containers/catalog.js';
import { reportHealth } from './health-file.js';
import { ContainerMeter } from './containers/meter.js';
import { ProcSource, isRealMount } from './metrics/proc-source.js';
import { MemoryTsdb } from './metrics/tsdb.js';

/** How often the agent checks whether its NATS credentials are due for renewal. */
const NATS_RENEW_CHECK_MS = 3600_000;

/**
 * Processes, containers and pods keep ten minutes of per-second history; hosts the full hour (an
 * hour of 50 containers' twelve metrics would hold 18 MB, ten minutes 3 MB).
 */
const PROCESS_RETENTION_SECONDS = 600;
const SHORT_HISTORY = ['process/', 'container/', 'pod/'];

/**
 * The store a real agent keeps its metric history in (also what `npm run bench` fills to measure
 * an agent's memory after a full hour).
 *
 * @example
 * const tsdb = agentHistory();
 */
export function agentHistory(): MemoryTsdb {
  return new MemoryTsdb({ retentionFor: (key) => (SHORT_HISTORY.some((prefix) => key.startsWith(prefix)) ? PROCESS_RETENTION_SECONDS : undefined) });
}

/**
 * Builds the real agent from a resolved config: /proc metrics, the shell
 * runner, enrollment with the join token on first start, a WebSocket to the
 * control plane (or NATS, with `bus`). Call `start()` on the result.
 *
 * @example
 * const agent = await createAgent(resolveAgentConfig({ server: 'http://127.0.0.1:7070', token }));
 * await agent.start();
 */
export async function createAgent(config: AgentConfig): Promise<AgentDaemon> {
  const logger = jsonLogger({ level: config.logLevel, component: 'agent' });
  const mapped = config.mounts;
  const scope = config.processRoot ? new ProcessScope(config.processRoot, config.hostProc) : undefined;
  const proc = new ProcSource({
    procRoot: config.hostProc,
    // The host's /proc elsewhere: the agent is in a pod, and the disks to report are the node's.
    ...(config.hostProc !== '/proc' ? { mountNamespacePid: 1 } : {}),
    mountFilter: mapped ? (m) => m.mount in mapped : isRealMount,
    ...(scope ? { processFilter: (pid: number) => scope.includes(pid) } : {}),
  });
  const mountScoped = mapped ? new MountMapSource(proc, mapped) : proc;
  const source = scope ? new ProcessScopeSource(mountScoped, scope) : mountScoped;
  const facts = await source.facts();
  const name = config.name ?? facts.hostname;
  const tsdb = agentHistory();
  // Commands and actions may set host tags by writing files here (see AgentDeps.runtimeTags).
  const tagDir = join(config.dataDir, 'tags');
  mkdirSync(tagDir, { recursive: true, mode: 0o700 });
  const runner = new ShellRunner({ maxConcurrent: config.maxConcurrentCommands, maxQueued: config.maxConcurrentCommands * 64 });
  const wsUrl = new URL('/api/v1/agents/connect', config.server);
  wsUrl.protocol = config.server.protocol === 'https:' ? 'wss:' : 'ws:';

  let credential: StoredCredential | undefined = await loadCredential(config.dataDir, config.server);
  // The CA to trust, read (or fetched by its pinned fingerprint) once, before any secret is sent.
  let ca: Promise<string | undefined> | undefined;
  const trust = (): Promise<string | undefined> => {
    ca ??= trustedCa({ caFile: config.ca, caFingerprint: config.caFingerprint }, config.server).catch((err: unknown) => {
      ca = undefined; // a control plane not up yet: try again on the next connection
      throw err;
    });
    return ca;
  };
  // A CA file that cannot be read is a configuration error: say so at start, not on every reconnection.
  if (config.ca) await trust();
  const provided = config.clientCert && config.clientKey ? await readProvidedCertificate(config.clientCert, config.clientKey) : undefined;
  const clientCertificate = async () => provided ?? (await loadClientCertificate(config.dataDir));
  /** Enrolled at this start, and not yet connected over NATS since: the next session is the credential's first. */
  let firstSession = false;
  const enrollNow = async (): Promise<StoredCredential> => {
    if (!config.token) {
      throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `no credential for ${config.server.origin} in ${config.dataDir}: start the agent once with --token <join token> (breakwater token create --role agent)`);
    }
    // A key pair for mutual TLS (unless the operator provided a certificate): a control plane that
    // requires client certificates signs its public half.
    const pair = provided ? undefined : newClientKeyPair();
    // And a NATS user key: a control plane that signs NATS credentials (scaled mode) returns its JWT.
    const natsKey = newNatsUserKey();
    const { clientCertificate: issued, natsJwt, ...fresh } = await enroll(config.server, config.token, name, await hostIdentity(config.dataDir), {
      ca: await trust(),
      natsPublicKey: natsKey.publicKey,
      ...(pair ? { publicKey: pair.publicKey } : {}),
    });
    if (pair) await saveClientCertificate(config.dataDir, pair.key, issued);
    await saveNatsCreds(config.dataDir, natsJwt, natsKey.seed);
    await saveCredential(config.dataDir, fresh);
    logger.info({ agentId: fresh.agentId, name, clientCertificate: issued ? 'issued' : provided ? 'provided' : 'none', natsCredentials: natsJwt ? 'issued' : 'none' }, 'enrolled');
    firstSession = true;
    return fresh;
  };

  const bus = config.bus;
  const connect = async (): Promise<AgentConnection> => {
    credential ??= await enrollNow();
    if (bus) {
      // Scaled mode: enrolled over HTTPS (above), the agent speaks over NATS from here on. Loaded only
      // then: the NATS client nearly doubles the agent's bundle, which every WebSocket agent would carry.
      const { connectAgentBus } = await import('./nats/agent-bus.js');
      const conn = await connectAgentBus(bus, { dataDir: config.dataDir, name, logger, firstSession });
      firstSession = false;
      return conn;
    }
    const options = { credential: credential.credential, timeoutMs: 10_000, ca: await trust(), ...(await clientCertificate()) };
    try {
      return await connectWebSocket(wsUrl.href, options);
    } catch (err) {
      // A credential the control plane no longer knows (its store was reset): enroll again if we can.
      if (err instanceof ConnectRefused && err.status === 401 && config.token) {
        credential = await enrollNow();
        return connectWebSocket(wsUrl.href, { ...options, ...(await clientCertificate()), credential: credential.credential });
      }
      const tlsProblem = explainTlsError(err, AGENT_TRUST_HINT);
      if (tlsProblem) throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `cannot connect to ${wsUrl.origin}: ${tlsProblem}`, {}, { cause: err });
      throw err;
    }
  };

  const daemon = new AgentDaemon({
    name,
    tags: config.tags,
    source,
    tsdb,
    runner,
    logger,
    connect,
    collectIntervalMs: config.collectIntervalMs,
    drainTimeoutMs: config.drainTimeoutMs,
    limits: { commandTimeoutMs: config.commandTimeoutMs, maxOutputBytes: config.maxOutputBytes },
    outbox: new FileOutbox(join(config.dataDir, 'outbox.jsonl')),
    runtimeTags: () => readTagDir(tagDir),
    commandEnv: { ...config.env, BW_TAG_DIR: tagDir },
    ...(config.fileRoot ? { fileRoot: config.fileRoot } : {}),
    ...(config.containers
      ? {
          containers: new ContainerCatalog({ procRoot: config.hostProc, ...(config.containerSocket ? { socket: config.containerSocket } : {}), ...(config.criSocket ? { criSocket: config.criSocket } : {}), onProblem: (problem) => logger.warn({ problem }, 'container metadata unavailable; listing what the kernel shows') }),
          containerMeter: new ContainerMeter({ cgroupRoot: config.hostCgroup, procRoot: config.hostProc }),
        }
      : {}),
    once: (key) => {
      // A marker file per key in the data directory: "once" survives restarts of the agent.
      const marker = join(config.dataDir, `${key}.done`);
      if (existsSync(marker)) return false;
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      writeFileSync(marker, new Date().toISOString());
      return true;
    },
  });
  // NATS credentials (scaled mode) are renewed with the agent's own credential before they expire.
  const renewNats = async () => {
    const at = await natsCredsRenewAt(config.dataDir);
    if (at === undefined || Date.now() < at || !credential) return;
    try {
      await renewNatsCreds(config.server, credential.credential, config.dataDir, await trust());
      logger.info({ name }, 'NATS credentials renewed');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, `NATS credentials not renewed; trying again in ${NATS_RENEW_CHECK_MS / 60_000} min`);
    }
  };
  const renewal = setInterval(() => void renewNats(), NATS_RENEW_CHECK_MS);
  renewal.unref();
  void renewNats();
  if (config.metricsListen) {
    // Loaded only when asked for: prom-client stays out of the memory of every other agent.
    const { startExporter } = await import('./exporter/index.js');
    const at = config.metricsListen;
    const exporter = await startExporter({ name, version: AGENT_VERSION, lastSnapshot: () => daemon.lastSnapshot, status: () => daemon.status() }, at, (err) => logger.warn({ err: err.message }, 'metrics exporter')).catch((err: NodeJS.ErrnoException) => {
      throw new BreakwaterError('BW_ERR_CONFIG', `--metrics-listen ${at.host}:${at.port}: cannot listen there (${err.code ?? err.message})`, { option: 'metricsListen' }, { cause: err });
    });
    logger.info({ url: `${exporter.url}/metrics` }, 'serving the agent\'s metrics for Prometheus');
    daemon.on('state', (s) => {
      if (s === 'stopped') void exporter.close();
    });
  }
  if (config.healthFile) reportHealth(daemon, config.healthFile, daemon.state, (problem) => logger.warn({ problem }, 'health file'));
  daemon.on('state', (s) => {
    if (s !== 'stopped') return;
    runner.shutdown();
    clearInterval(renewal);
  });
  return daemon;
}

/** Tags from files: the file name is the tag, its first line the value; anything else is ignored. */
function readTagDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.slice(0, 64)) {
    if (!TAG_KEY.test(name)) continue;
    try {
      out[name] = readFileSync(join(dir, name), 'utf8').split('\n')[0]?.slice(0, MAX_TAG_VALUE) ?? '';
    } catch {
      // removed meanwhile
    }
  }
  return out;
}
