import type { NatsConnection } from '@nats-io/transport-node';
import { connect as connectNats, credsAuthenticator } from '@nats-io/transport-node';
import type { AgentLogger, AgentState, StoredCredential } from '../agent/index.js';
import { MemoryOutbox, AgentDaemon, BuiltinRunner, MemoryTsdb, SyntheticSource, enroll, jsonLogger, openNatsAgentConnection } from '../agent/index.js';
import { BreakwaterError, natsSubjects } from '../protocol/index.js';
import type { AgentConnection } from '../transport/index.js';
import { ConnectRefused, connectWebSocket } from '../transport/index.js';

/*
 * The swarm: one process hosting N simulated agents for load tests. Each is the real AgentDaemon
 * (the same protocol, query executor, reconnect logic and heartbeats as a real agent) with a
 * SyntheticSource for metrics, a small MemoryTsdb, and the BuiltinRunner, which runs no processes.
 * Each enrolls with the join token through the real enrollment endpoint and keeps its own
 * WebSocket to the control plane, so the control plane cannot tell the swarm from a fleet.
 *
 * Start-up is paced: at most `concurrency` agents are enrolling and connecting at once, so a
 * swarm of thousands does not stampede the control plane (nor measure its worst case by accident).
 *
 * Collection: each agent collects every `collectIntervalMs` from its own timer, as a real agent
 * does; agents start a few milliseconds apart, so their passes spread over the second instead of
 * arriving in one burst. Measured on a 2-core machine: a pass costs about 20 µs per agent
 * (SyntheticSource does no I/O; most of it is the MemoryTsdb append), and a swarm of 1,000 idle
 * agents, heartbeats included, uses about 5 % of one core, half of it garbage collection on V8's
 * helper threads. Node keeps timers of equal duration in one list behind one OS timer, so a shared
 * tick would save nothing measurable; the daemon keeps its own timer.
 *
 * Over NATS (`bus`, the scaled mode), the agents still enroll over HTTP, then share one NATS
 * connection, as Choria-style simulators do: each simulated agent keeps its own subjects (query,
 * control, presence, requests, events), so the control plane sees N agents, while the swarm holds
 * one socket instead of N. Agent permissions by inbox prefix (agentInboxPrefix) do not apply to a
 * shared connection: the swarm needs an open NATS (or one user allowed every agent's subjects).
 */

export interface SwarmOptions {
  /** The control plane, e.g. `http://127.0.0.1:7070`. */
  readonly server: string;
  /** A join token (role agent). */
  readonly joinToken: string;
  /** PEM of the CA that signed the control plane's certificate (https://), e.g. its generated tls/ca.pem. */
  readonly ca?: string;
  readonly agents: number;
  /** Agents are named `${prefix}-1` … `${prefix}-N` (default `swarm`). */
  readonly prefix?: string;
  /** Per-second history each simulated agent keeps, seconds (default 300: small, to keep memory sane; no roll-ups). */
  readonly retentionSeconds?: number;
  /** Default 1000, as a real agent. */
  readonly collectIntervalMs?: number;
  /** Agents enrolling and connecting at once (default 50). */
  readonly concurrency?: number;
  /** Extra tags per agent index (0-based), over the defaults (role, zone, env, swarm). */
  readonly tags?: (index: number) => Record<string, string>;
  /** How long start-up may take before it gives up (default 60 s plus 50 ms per agent). */
  readonly startTimeoutMs?: number;
  /** Log level of the agents' shared logger (default warn); or pass a logger. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly logger?: AgentLogger;
  /** Aborting it during start-up stops the agents started so far and rejects. */
  readonly signal?: AbortSignal;
  /** Called as agents enroll and connect (the CLI prints it, throttled). */
  readonly onProgress?: (progress: SwarmProgress) => void;
  /** Speak over NATS (the scaled mode) instead of one WebSocket per agent. */
  readonly bus?: SwarmBus;
}

/** The NATS the swarm's agents share one connection to. */
export interface SwarmBus {
  /** `nats://HOST:PORT`, several separated by commas. */
  readonly servers: string;
  /** Subject prefix of the fleet (default `bw`). */
  readonly prefix?: string;
  /** Contents of a NATS credentials file, for a NATS that requires one. */
  readonly creds?: Uint8Array;
}

export interface SwarmProgress {
  readonly total: number;
  readonly enrolled: number;
  readonly connected: number;
}

export interface SwarmAgent {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly daemon: AgentDaemon;
  /** For fault injection: `agent.source.override('disk_usage', 97, { mount: '/', ... })`. */
  readonly source: SyntheticSource;
}

export interface Swarm {
  readonly agents: readonly SwarmAgent[];
  /** Agents connected now. */
  readonly connected: number;
  /** Stops every agent (graceful: running queries finish, up to a short drain timeout). */
  stop(): Promise<void>;
}

const ROLES = ['web', 'web', 'db', 'cache'];
const ZONES = ['a', 'b', 'c'];
const DRAIN_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Enrollment is retried this many times on errors that may pass (the control plane busy, a reset connection). */
const ENROLL_ATTEMPTS = 5;

/**
 * Starts a swarm of simulated agents and resolves once every one is connected.
 *
 * @example
 * const swarm = await startSwarm({ server: 'http://127.0.0.1:7070', joinToken, agents: 1000 });
 * // ... queries see swarm-1 … swarm-1000
 * await swarm.stop();
 */
export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  const total = options.agents;
  if (!Number.isInteger(total) || total < 1 || total > 100_000) {
    throw new BreakwaterError('BW_ERR_CONFIG', `agents: expected a whole number from 1 to 100000, found ${total}`);
  }
  const prefix = options.prefix ?? 'swarm';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/.test(prefix)) {
    throw new BreakwaterError('BW_ERR_CONFIG', `prefix: expected letters, digits, \`.\`, \`-\`, \`_\`, found ${JSON.stringify(prefix)}`);
  }
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 50));
  const retentionSeconds = Math.max(1, Math.floor(options.retentionSeconds ?? 300));
  const collectIntervalMs = options.collectIntervalMs ?? 1000;
  const server = new URL(options.server);
  const wsUrl = new URL('/api/v1/agents/connect', server);
  wsUrl.protocol = server.protocol === 'https:' ? 'wss:' : 'ws:';
  const tls = { ca: options.ca };
  const logger = options.logger ?? jsonLogger({ level: options.logLevel ?? 'warn', component: 'swarm' });

  const bus = options.bus ? await openBus(options.bus, prefix) : undefined;
  const agents: SwarmAgent[] = [];
  let enrolled = 0;
  let connected = 0;
  let failure: Error | undefined;
  let stopping = false;
  const progress = () => options.onProgress?.({ total, enrolled, connected });

  const create = async (index: number): Promise<SwarmAgent> => {
    const name = `${prefix}-${index + 1}`;
    const source = new SyntheticSource({ hostname: name, seed: name });
    const facts = await source.facts();
    const tags = { role: ROLES[index % ROLES.length] as string, zone: ZONES[index % ZONES.length] as string, env: 'swarm', swarm: prefix, ...options.tags?.(index) };
    const tsdb = new MemoryTsdb({ retentionSeconds, rollupRetentionSeconds: 0 });
    const runner = new BuiltinRunner({
      uptimeSeconds: () => tsdb.latest('host', 'uptime_seconds', [])[0]?.value,
      loadAverage: () => {
        const at = (m: string) => tsdb.latest('host', m, [])[0]?.value ?? 0;
        return [at('load1'), at('load5'), at('load15')];
      },
    });
    let credential: StoredCredential = await enrollWithRetry(server, options.joinToken, name, facts.machineId, tls);
    if (stopping) throw new BreakwaterError('BW_ERR_UNAVAILABLE', 'swarm stopping');
    enrolled++;
    progress();
    const connect = async (): Promise<AgentConnection> => {
      if (bus) return openNatsAgentConnection({ nc: bus.nc, subjects: bus.subjects, name, logger });
      try {
        return await connectWebSocket(wsUrl.href, { credential: credential.credential, timeoutMs: CONNECT_TIMEOUT_MS, ca: options.ca });
      } catch (err) {
        // The control plane forgot this credential (its store was reset): enroll again.
        if (err instanceof ConnectRefused && err.status === 401) {
          credential = await enroll(server, options.joinToken, name, facts.machineId, tls);
          return connectWebSocket(wsUrl.href, { credential: credential.credential, timeoutMs: CONNECT_TIMEOUT_MS, ca: options.ca });
        }
        throw err;
      }
    };
    const onceKeys = new Set<string>();
    const daemon = new AgentDaemon({
      name,
      tags,
      source,
      tsdb,
      runner,
      logger,
      connect,
      // Simulated agents keep their events in memory: the swarm measures the control plane, not disks.
      outbox: new MemoryOutbox(),
      once: (key) => !onceKeys.has(key) && Boolean(onceKeys.add(key)),
      collectIntervalMs,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      limits: { commandTimeoutMs: 60_000, maxOutputBytes: 1024 * 1024 },
    });
    let up = false;
    daemon.on('state', (s: AgentState) => {
      if (s === 'connected' && !up) {
        up = true;
        connected++;
        progress();
      } else if (s !== 'connected' && up) {
        up = false;
        connected--;
      }
    });
    const agent: SwarmAgent = { name, tags, daemon, source };
    await daemon.start();
    agents.push(agent);
    if (stopping) {
      await daemon.stop(); // stop() ran while this one was starting: it did not see it
      throw new BreakwaterError('BW_ERR_UNAVAILABLE', 'swarm stopping');
    }
    await untilConnected(daemon, CONNECT_TIMEOUT_MS * 2);
    return agent;
  };

  const stop = async () => {
    stopping = true;
    await Promise.all(agents.map((a) => a.daemon.stop()));
    if (bus && !bus.nc.isClosed()) await bus.nc.drain();
  };

  // A pool of `concurrency` workers, each enrolling and connecting one agent at a time.
  let next = 0;
  const worker = async () => {
    while (next < total && !failure && !stopping) {
      const index = next++;
      try {
        await create(index);
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  const startTimeoutMs = options.startTimeoutMs ?? 60_000 + 50 * total;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<'timeout' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), startTimeoutMs);
    onAbort = () => resolve('aborted');
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = await Promise.race([Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker)), interrupted]);
  clearTimeout(timer);
  if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  if (outcome === 'timeout' || outcome === 'aborted' || failure || connected < total) {
    await stop();
    if (outcome === 'aborted') throw new BreakwaterError('BW_ERR_UNAVAILABLE', `swarm: start-up interrupted with ${connected} of ${total} agents connected; all stopped`);
    if (failure instanceof BreakwaterError) throw failure;
    const why = failure ? `: ${failure.message}` : outcome === 'timeout' ? ` within ${Math.round(startTimeoutMs / 1000)} s` : '';
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `swarm: ${connected} of ${total} agents connected (${enrolled} enrolled)${why}`, { connected, enrolled, total }, { cause: failure });
  }
  return {
    agents,
    get connected() {
      return connected;
    },
    stop,
  };
}

/** The swarm's one NATS connection, reconnecting forever as an agent's does. */
async function openBus(bus: SwarmBus, prefix: string): Promise<{ nc: NatsConnection; subjects: ReturnType<typeof natsSubjects> }> {
  const subjects = natsSubjects(bus.prefix ?? 'bw');
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      servers: bus.servers.split(',').map((s) => s.trim()),
      name: `breakwater swarm ${prefix}`,
      maxReconnectAttempts: -1,
      ...(bus.creds ? { authenticator: credsAuthenticator(bus.creds) } : {}),
    });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `swarm: cannot connect to NATS at ${bus.servers}: ${(err as Error).message}`, {}, { cause: err });
  }
  return { nc, subjects };
}

async function enrollWithRetry(server: URL, joinToken: string, name: string, hostId: string, tls: { ca?: string | undefined }): Promise<StoredCredential> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enroll(server, joinToken, name, hostId, tls);
    } catch (err) {
      // A refused join token will not get better by asking again.
      if (attempt >= ENROLL_ATTEMPTS || (err instanceof BreakwaterError && err.code === 'BW_ERR_UNAUTHENTICATED')) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt * Math.random()));
    }
  }
}

/** Resolves when the daemon reaches `connected`; rejects when it is refused or stopped, or after `timeoutMs`. */
function untilConnected(daemon: AgentDaemon, timeoutMs: number): Promise<void> {
  if (daemon.state === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      daemon.off('state', onState);
      daemon.off('refused', onRefused);
      if (err) reject(err);
      else resolve();
    };
    const onState = (s: AgentState) => {
      if (s === 'connected') done();
      else if (s === 'stopped' || s === 'draining') done(new BreakwaterError('BW_ERR_UNAVAILABLE', 'agent stopped before it connected'));
    };
    const onRefused = (err: Error) => done(new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the control plane refused the agent: ${err.message}`));
    const timer = setTimeout(() => done(new BreakwaterError('BW_ERR_UNAVAILABLE', `agent not connected after ${timeoutMs / 1000} s`)), timeoutMs);
    daemon.on('state', onState);
    daemon.on('refused', onRefused);
  });
}
