import { EventEmitter } from 'node:events';
import type { Definition } from '../definitions/index.js';
import type { AgentPhase } from '../lang/index.js';
import { AgentPhaseSchema, BUILTIN_CATALOGUE } from '../lang/index.js';
import type { BacktestMessage, QueryMessage, ResultRow, ServerMessage } from '../protocol/index.js';
import { BreakwaterError, PROTOCOL_VERSION, ServerMessage as ServerMessageSchema, check, decode } from '../protocol/index.js';
import type { AgentConnection } from '../transport/index.js';
import type { AgentDeps, AgentState, AgentStatus } from './daemon-deps.js';
import { ConnectRefused } from '../transport/index.js';
import { Backoff } from './backoff.js';
import { RemediationEngine } from './engine/engine.js';
import { SecretRunner } from './engine/secret-runner.js';
import { ContainerResources } from './container-resources.js';
import { oomKillsOf } from './containers/meter.js';
import { ProcessResources } from './process-resources.js';
import type { HostFacts, Sample, Snapshot } from './metrics/types.js';
import type { AgentResources, ExecutorDeps } from './query/executor.js';
import { QueryDeadline, executePhase } from './query/executor.js';
import { hostResource } from './query/resources.js';

export const AGENT_VERSION = '0.1.0';

/** Rows go back in batches of this many, so a host with thousands of processes streams. */
const ROW_BATCH = 500;

/**
 * One agent: collects metrics every interval into its store, keeps a
 * connection to the control plane (reconnecting with backoff and jitter), runs
 * the query phases it is sent, and drains on stop.
 *
 * @example
 * const agent = new AgentDaemon(deps);
 * await agent.start();
 * process.once('SIGTERM', () => void agent.stop());
 */
export class AgentDaemon extends EventEmitter {
  state: AgentState = 'starting';
  private facts: HostFacts | undefined;
  private snapshot: Snapshot | undefined;
  private readonly processResources: ProcessResources;
  private readonly containerResources: ContainerResources;
  private connection: AgentConnection | undefined;
  private readonly queries = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private readonly backoff = new Backoff();
  private collectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private collecting = false;
  private readonly now: () => number;
  /** Configured tags, overlaid with run-time ones. */
  private tags: Readonly<Record<string, string>>;
  /** Alarms, bots, custom metrics, files and the event outbox. */
  readonly engine: RemediationEngine;
  /** Every command runs through it: secrets in, their values out of the output. */
  private readonly runner: SecretRunner;

  constructor(private readonly deps: AgentDeps) {
    super();
    this.now = deps.now ?? Date.now;
    this.tags = { ...deps.tags };
    this.containerResources = new ContainerResources(deps.name, deps.tsdb, deps.commandEnv);
    this.processResources = new ProcessResources(deps.name, deps.tsdb, deps.commandEnv);
    this.runner = new SecretRunner(deps.runner);
    this.engine = new RemediationEngine({
      host: deps.name,
      runner: this.runner,
      tsdb: deps.tsdb,
      outbox: deps.outbox,
      logger: deps.logger,
      catalogue: BUILTIN_CATALOGUE,
      runPhase: (phase, targets) => this.runPhase(phase, targets),
      resources: () => this.resources(),
      once: deps.once,
      now: this.now,
      ...(deps.fileRoot ? { fileRoot: deps.fileRoot } : {}),
      collectIntervalMs: deps.collectIntervalMs,
      ...(deps.source.collectFast ? { collectFast: () => (deps.source.collectFast as () => Promise<Sample[]>)() } : {}),
    });
  }

  /** Runs one agent phase on this agent now (or as of a past time, for back-tests). */
  runPhase(phase: AgentPhase, targets?: readonly string[], asOf?: number, signal: AbortSignal = new AbortController().signal): Promise<ResultRow[]> {
    return executePhase(phase, targets, this.executorDeps(asOf), signal);
  }

  private executorDeps(asOf?: number): ExecutorDeps {
    return {
      resources: () => this.resources(),
      tsdb: this.deps.tsdb,
      source: this.deps.source,
      runner: this.runner,
      action: (name) => this.engine.compiled?.actions.get(name),
      limits: this.deps.limits,
      now: this.now,
      collectIntervalMs: this.deps.collectIntervalMs,
      ...(asOf === undefined ? {} : { asOf }),
    };
  }

  async start(): Promise<void> {
    this.facts = await this.deps.source.facts();
    await this.collect();
    this.collectTimer = setInterval(() => void this.collect(), this.deps.collectIntervalMs);
    this.collectTimer.unref?.();
    void this.connectLoop();
  }

  /** Graceful stop: refuse new queries, let running ones finish (up to the drain timeout), then close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.setState('draining');
    clearInterval(this.collectTimer);
    clearTimeout(this.reconnectTimer);
    const drained = Promise.all([...this.running]);
    const timer = setTimeout(() => {
      for (const c of this.queries.values()) c.abort();
    }, this.deps.drainTimeoutMs);
    await drained;
    clearTimeout(timer);
    clearInterval(this.heartbeatTimer);
    this.engine.stop();
    this.connection?.close(1001, 'agent stopping');
    this.setState('stopped');
  }

  private get stopping(): boolean {
    return this.state === 'draining' || this.state === 'stopped';
  }

  private setState(state: AgentState): void {
    if (this.state === state) return;
    this.deps.logger.info({ from: this.state, to: state }, 'agent state');
    this.state = state;
    this.emit('state', state);
  }

  // ---- metrics ----

  private async collect(): Promise<void> {
    if (this.collecting) return; // a slow pass (hung mount) must not pile up
    this.collecting = true;
    try {
      const snap = await this.deps.source.collect();
      this.deps.tsdb.append('host', snap.time, snap.host);
      this.snapshot = snap;
      this.refreshTags();
      this.processResources.record(snap.processes, snap.time, this.tags);
      await this.engine.afterCollect(snap);
      // After the alarms: a runtime slow to answer about a new container (up to 2 s) delays no alarm.
      await this.listContainers(snap);
      // A pass that ends: what a liveness probe watches (see health-file.ts).
      this.emit('collected');
    } catch (err) {
      this.deps.logger.warn({ err }, 'metric collection failed');
    } finally {
      this.collecting = false;
    }
  }

  private async listContainers(snap: Snapshot): Promise<void> {
    if (!this.deps.containers) return;
    const found = await this.deps.containers.list(snap.procListing);
    const measured = this.deps.containerMeter?.measure(found);
    this.containerResources.record(found, measured, snap.time);
    this.engine.afterContainers(this.containerResources.containers, (r) => oomKillsOf(measured, String(r.attrs.id)));
  }

  private resources(): AgentResources {
    if (!this.facts) throw new BreakwaterError('BW_ERR_INTERNAL', 'agent not started');
    return { host: hostResource(this.deps.name, { ...this.facts, containerDiscovery: this.containerDiscovery }, this.tags, AGENT_VERSION, this.deps.commandEnv), processes: this.processResources.resources, containers: this.containerResources.containers, pods: this.containerResources.pods };
  }

  // ---- connection ----

  private async connectLoop(): Promise<void> {
    while (!this.stopping) {
      this.setState('connecting');
      try {
        const conn = await this.deps.connect();
        if (this.stopping) {
          conn.close(1001, 'agent stopping');
          return;
        }
        await this.session(conn);
      } catch (err) {
        if (err instanceof ConnectRefused && (err.status === 401 || err.status === 403)) {
          this.deps.logger.error({ status: err.status }, err.message);
          this.emit('refused', err);
        } else if (err instanceof BreakwaterError) {
          // Enrollment refused (a used-up join token, a name enrolled from another host): say why.
          this.deps.logger.error({ code: err.code }, err.message);
        } else {
          this.deps.logger.warn({ err: (err as Error).message }, 'cannot reach the control plane');
        }
      }
      if (this.stopping) return;
      const wait = this.backoff.next();
      this.setState('backoff');
      this.deps.logger.info({ waitMs: wait }, 'reconnecting after backoff');
      await new Promise<void>((resolve) => {
        this.reconnectTimer = setTimeout(resolve, wait);
      });
    }
  }

  /** One connected session; resolves when the connection closes. */
  private session(conn: AgentConnection): Promise<void> {
    return new Promise((resolve) => {
      this.connection = conn;
      conn.onClose((code, reason) => {
        clearInterval(this.heartbeatTimer);
        this.connection = undefined;
        this.engine.detach();
        // Queries of a lost session cannot report back: stop their commands.
        for (const c of this.queries.values()) c.abort();
        this.deps.logger.warn({ code, reason }, 'connection closed');
        resolve();
      });
      conn.onMessage((frame) => this.onFrame(conn, frame));
      this.hello(conn);
    });
  }

  private onFrame(conn: AgentConnection, frame: string): void {
    const decoded = decode(ServerMessageSchema, frame);
    if (!decoded.ok) {
      this.deps.logger.warn({ error: decoded.error }, 'bad message from the control plane');
      conn.send({ type: 'done', query: 'unknown', error: `agent could not read the message: ${decoded.error}` });
      return;
    }
    this.onMessage(conn, decoded.message);
  }

  private onMessage(conn: AgentConnection, msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        this.backoff.reset();
        this.setState('connected');
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(conn), msg.heartbeatMs);
        this.heartbeatTimer.unref?.();
        this.engine.attach(conn);
        return;
      case 'definitions':
        this.runner.setSecrets(msg.secrets ?? {});
        this.engine.setDefinitions(msg.version, msg.definitions as Definition[]);
        this.heartbeat(conn);
        return;
      case 'controls':
        this.engine.setControls(msg);
        return;
      case 'ack':
        this.engine.onAck(msg);
        return;
      case 'permit_answer':
        this.engine.onPermitAnswer(msg);
        return;
      case 'backtest':
        this.track(this.backtest(conn, msg));
        return;
      case 'alert':
        this.engine.onExternalAlert(msg.name, msg.context, msg.on ?? 'fired');
        return;
      case 'query':
        this.track(this.query(conn, msg));
        return;
      case 'cancel':
        this.queries.get(msg.query)?.abort();
        return;
      case 'error':
        this.deps.logger.error({ code: msg.code }, msg.message);
        return;
    }
  }

  private hello(conn: AgentConnection): void {
    const facts = this.facts as HostFacts;
    conn.send({ type: 'hello', v: PROTOCOL_VERSION, name: this.deps.name, facts: { ...facts, hostname: facts.hostname.slice(0, 256), agentVersion: AGENT_VERSION, containerDiscovery: this.containerDiscovery }, tags: this.tags });
  }

  /** What the host's `container_discovery` attribute says: whether this agent lists containers. */
  private get containerDiscovery(): 'on' | 'off' {
    return this.deps.containers ? 'on' : 'off';
  }

  /** Picks up run-time tags; a change is announced to the control plane with a fresh hello. */
  private refreshTags(): void {
    if (!this.deps.runtimeTags) return;
    const next = { ...this.deps.tags, ...this.deps.runtimeTags() };
    if (JSON.stringify(next) === JSON.stringify(this.tags)) return;
    this.deps.logger.info({ tags: next }, 'tags changed');
    this.tags = next;
    if (this.connection) this.hello(this.connection);
  }

  private heartbeat(conn: AgentConnection): void {
    const { outboxPending, outboxOldestAgeMs } = this.status();
    // An agent whose clock runs behind its events' times would report a negative age: 0; a far-off one is capped.
    const outbox = { pending: outboxPending, oldestAgeMs: Math.min(outboxOldestAgeMs, 10 * 365 * 86_400_000) };
    conn.send({ type: 'heartbeat', time: this.now(), active: this.deps.runner.active, rssBytes: residentBytes(), definitionsVersion: this.engine.version, outbox });
  }

  private async backtest(conn: AgentConnection, msg: BacktestMessage): Promise<void> {
    try {
      const transitions = await this.engine.backtest(msg.alarm, msg.seconds, (time) => (phase, targets) => this.runPhase(phase, targets, time));
      conn.send({ type: 'backtest_result', id: msg.id, transitions });
    } catch (err) {
      conn.send({ type: 'backtest_result', id: msg.id, transitions: [], error: (err as Error).message });
    }
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async query(conn: AgentConnection, msg: QueryMessage): Promise<void> {
    if (this.state === 'draining') {
      conn.send({ type: 'done', query: msg.id, error: 'agent is shutting down' });
      return;
    }
    const phase = check(AgentPhaseSchema, msg.phase);
    if (!phase.ok) {
      conn.send({ type: 'done', query: msg.id, error: `agent cannot run this plan phase: ${phase.error}` });
      return;
    }
    const controller = new AbortController();
    this.queries.set(msg.id, controller);
    const deadline = setTimeout(() => controller.abort(new QueryDeadline(msg.timeoutMs)), msg.timeoutMs);
    try {
      const rows = await executePhase(phase.message, msg.targets, this.executorDeps(), controller.signal);
      sendRows(conn, msg.id, rows);
      conn.send({ type: 'done', query: msg.id });
    } catch (err) {
      this.deps.logger.error({ err, query: msg.id }, 'query failed');
      conn.send({ type: 'done', query: msg.id, error: `agent failed: ${(err as Error).message}` });
    } finally {
      clearTimeout(deadline);
      this.queries.delete(msg.id);
    }
  }

  /** The newest collection, for tests and status. */
  get lastSnapshot(): Snapshot | undefined {
    return this.snapshot;
  }

  /** What the agent reports of itself (its heartbeat, its own /metrics): outbox, commands, history. */
  status(): AgentStatus {
    const oldest = this.deps.outbox.pending(1)[0];
    return {
      state: this.state,
      outboxPending: this.deps.outbox.size,
      outboxOldestAgeMs: oldest ? Math.max(0, this.now() - oldest.time) : 0,
      commandsActive: this.deps.runner.active,
      historyBytes: this.deps.tsdb.bytes,
    };
  }
}

function sendRows(conn: AgentConnection, query: string, rows: readonly ResultRow[]): void {
  for (let i = 0; i < rows.length; i += ROW_BATCH) conn.send({ type: 'rows', query, rows: rows.slice(i, i + ROW_BATCH) });
}

/** The process's RSS read at most once a second: a swarm runs thousands of daemons in one process, each reading it at every heartbeat. */
let rssRead = { at: -Infinity, bytes: 0 };
function residentBytes(): number {
  const now = performance.now();
  if (now - rssRead.at >= 1000) rssRead = { at: now, bytes: process.memoryUsage.rss() };
  return rssRead.bytes;
}
