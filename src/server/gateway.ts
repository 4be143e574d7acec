import type { Logger } from 'pino';
import type { AgentMessage, HelloMessage, OutboxReport, ServerMessage } from '../protocol/index.js';
import { AgentMessage as AgentMessageSchema, PROTOCOL_VERSION, decode } from '../protocol/index.js';
import type { ControlPlaneConnection } from '../transport/index.js';
import type { AgentRecord, Store } from './store/index.js';
import { AgentIntake } from './agent-intake.js';
import { AgentQuotas } from './agent-quota.js';
import type { AgentHooks, Clock, FleetTransport, InventoryHost, QueryWaiter } from './fleet/index.js';
import { hostAttrs, inventoryHost, systemClock } from './fleet/index.js';

export type { InventoryHost, QueryWaiter } from './fleet/index.js';

interface Session {
  readonly agent: AgentRecord;
  readonly conn: ControlPlaneConnection;
  lastSeenAt: number;
  tags: Record<string, string>;
  attrs: Record<string, string | number>;
  definitionsVersion: number | null;
  /** Its outbox, as its newest heartbeat reported it. */
  outbox?: OutboxReport;
  /** What this agent was last sent (DefinitionDelivery's key): a push sends only when it changes. */
  definitionsKey: string | null;
  controlsKey: string | null;
  /** Queries waiting for this agent, by query id. */
  readonly waiting: Map<string, QueryWaiter>;
}

export interface GatewayOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly hooks?: AgentHooks;
  /** Per-agent quotas for events, rows and permit requests (default AGENT_QUOTA_DEFAULTS). */
  readonly quotas?: AgentQuotas;
  /** When agents were last seen and ended (default: the system clock). */
  readonly clock?: Clock;
}

/**
 * Keeps the live connections to agents and the inventory built from their
 * hellos; routes query messages to agents and their answers back to the
 * waiting query.
 */
export class AgentGateway implements FleetTransport {
  private readonly sessions = new Map<string, Session>();
  private readonly known = new Map<string, InventoryHost>();
  /** Every accepted connection per agent, hello or not yet: disconnect() ends them all. */
  private readonly links = new Map<string, Set<ControlPlaneConnection>>();
  /** When disconnect() ended each agent: a credential issued before then is dead, even if it was
   *  checked just before (a connection still being upgraded). One entry per ended agent. */
  private readonly ended = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly intake: AgentIntake;
  private readonly clock: Clock;

  constructor(private readonly options: GatewayOptions) {
    this.clock = options.clock ?? systemClock;
    this.intake = new AgentIntake(options.logger, options.quotas ?? new AgentQuotas());
    // An agent silent for three heartbeats is gone, even if TCP has not noticed.
    this.sweeper = setInterval(() => this.sweep(), options.heartbeatMs);
    this.sweeper.unref();
  }

  /** Loads the inventory of known agents from the store (all disconnected until they connect). */
  async load(): Promise<void> {
    for (const a of await this.options.store.listAgents()) {
      this.known.set(a.name, inventoryHost(a, false, a.lastSeenAt));
      if (a.status === 'connected') await this.options.store.updateAgentState(a.id, { status: 'disconnected' });
    }
  }

  /** Accepts an authenticated agent connection; the session starts with its hello. */
  accept(conn: ControlPlaneConnection, agent: AgentRecord): void {
    if (agent.enrolledAt <= (this.ended.get(agent.name) ?? -Infinity)) {
      conn.close(4401, 'the agent credential was revoked');
      return;
    }
    let session: Session | undefined;
    const links = this.links.get(agent.name) ?? new Set<ControlPlaneConnection>();
    this.links.set(agent.name, links.add(conn));
    conn.onMessage((frame) => {
      const decoded = decode(AgentMessageSchema, frame);
      if (!decoded.ok) {
        this.intake.warnOnce(agent.name, 'protocol', { agent: agent.name, error: decoded.error }, 'bad message from agent');
        conn.send({ type: 'error', code: 'BW_ERR_PROTOCOL', message: decoded.error });
        // An answer to a query that does not pass validation fails that host's part of the query,
        // saying why, instead of vanishing while the query waits for (or counts) the agent.
        const query = session && queryOf(frame);
        if (session && query) this.failQuery(session, query, `the agent's answer was refused: ${decoded.error}`);
        return;
      }
      const msg = decoded.message;
      if (!session) {
        if (msg.type !== 'hello') {
          conn.send({ type: 'error', code: 'BW_ERR_PROTOCOL', message: `expected hello first, found ${msg.type}` });
          conn.close(4400, 'protocol error');
          return;
        }
        session = this.open(conn, agent, msg);
        return;
      }
      this.onMessage(session, msg);
    });
    conn.onClose(() => {
      links.delete(conn);
      if (links.size === 0 && this.links.get(agent.name) === links) this.links.delete(agent.name);
      if (session) this.close(session, 'agent disconnected during the query');
    });
  }

  private open(conn: ControlPlaneConnection, agent: AgentRecord, hello: HelloMessage): Session {
    if (hello.v !== PROTOCOL_VERSION) {
      conn.send({ type: 'error', code: 'BW_ERR_PROTOCOL', message: `protocol version ${hello.v} is not supported; this control plane speaks ${PROTOCOL_VERSION}` });
    }
    const previous = this.sessions.get(agent.name);
    // The host's first connection ever (agent_joined; later ones are agent_reconnected): the record
    // was read before this process stored the last connection's lastSeenAt, so the inventory asks too.
    const first = agent.lastSeenAt === null && !previous && (this.known.get(agent.name)?.lastSeenAt ?? null) === null;
    // A reconnect can race the old socket's close: the newest connection wins.
    if (previous) this.close(previous, 'agent reconnected');
    const now = this.clock.now();
    const facts = { ...hello.facts };
    const session: Session = {
      agent,
      conn,
      lastSeenAt: now,
      tags: { ...hello.tags },
      attrs: hostAttrs(agent.name, facts, 'connected'),
      waiting: new Map(),
      definitionsVersion: null,
      definitionsKey: null,
      controlsKey: null,
    };
    this.sessions.set(agent.name, session);
    this.known.set(agent.name, { name: agent.name, agentId: agent.id, connected: true, lastSeenAt: now, tags: session.tags, attrs: session.attrs });
    conn.send({ type: 'welcome', v: PROTOCOL_VERSION, agentId: agent.id, heartbeatMs: this.options.heartbeatMs });
    this.pushTo(session);
    this.options.hooks?.onConnected(agent.name, first);
    void this.options.store
      .updateAgentState(agent.id, { status: 'connected', lastSeenAt: now, tags: session.tags, facts: stringify(facts) })
      .catch((err: unknown) => this.options.logger.error({ err }, 'could not record agent state'));
    this.options.logger.info({ agent: agent.name, remote: conn.remote }, 'agent connected');
    return session;
  }

  private onMessage(session: Session, msg: AgentMessage): void {
    session.lastSeenAt = this.clock.now();
    switch (msg.type) {
      case 'hello': {
        // Each is a write to the store: it spends one of the agent's events.
        if (!this.intake.withinQuota(session.agent.name, session.conn, 'events', 1)) return;
        // Tags changed at run time (a quarantine): the inventory and the store follow.
        session.tags = { ...msg.tags };
        const known = this.known.get(session.agent.name);
        if (known) this.known.set(session.agent.name, { ...known, tags: session.tags });
        void this.options.store.updateAgentState(session.agent.id, { tags: session.tags }).catch(() => undefined);
        // Files and secrets follow the host's tags: in scope now, or taken back.
        this.pushTo(session);
        return;
      }
      case 'heartbeat':
        if (msg.outbox) session.outbox = msg.outbox;
        if (msg.definitionsVersion !== undefined && msg.definitionsVersion !== null && msg.definitionsVersion !== session.definitionsVersion) {
          session.definitionsVersion = msg.definitionsVersion;
          void this.options.store.updateAgentState(session.agent.id, { definitionsVersion: msg.definitionsVersion }).catch(() => undefined);
        }
        return;
      case 'events':
        if (this.options.hooks) this.intake.events(session.agent.name, session.conn, msg.events, this.options.hooks);
        return;
      case 'permit': {
        const answer = (allowed: boolean, reason: string) => void session.conn.send({ type: 'permit_answer', id: msg.id, allowed, reason });
        const refused = this.intake.screenRequest(session.agent.name, msg);
        if (refused) {
          if (refused.code === 'BW_ERR_QUOTA') session.conn.send({ type: 'error', ...refused });
          return answer(false, refused.message);
        }
        // Unanswered on failure: the agent's `offline` policy decides, as when the control plane is away.
        void (this.options.hooks?.onPermit(session.agent.name, msg, this.known.size) ?? Promise.resolve({ allowed: true, reason: 'no circuit breaker' })).then(
          (a) => answer(a.allowed, a.reason),
          (err: unknown) => this.options.logger.error({ err, agent: session.agent.name, bot: msg.bot }, 'could not answer a permit request'),
        );
        return;
      }
      case 'approval': {
        // Each request is stored, with an approval_requested event: it spends the agent's event quota.
        const refused = this.intake.screenRequest(session.agent.name, msg);
        if (refused) {
          session.conn.send({ type: 'error', ...refused });
          return;
        }
        void this.options.hooks?.onApproval(session.agent.name, msg).catch((err: unknown) => this.options.logger.error({ err }, 'could not record an approval request'));
        return;
      }
      case 'backtest_result':
        this.options.hooks?.onBacktestResult(session.agent.name, msg);
        return;
      case 'rows': {
        if (!session.waiting.has(msg.query)) return;
        // An agent speaks for its own host only: rows about another host fail its answer, saying so.
        const foreign = msg.rows.filter((r) => r.resource && r.resource.host !== session.agent.name).length;
        if (foreign) {
          this.options.logger.warn({ agent: session.agent.name, rows: foreign }, 'agent sent rows about other hosts; its answer was refused');
          this.failQuery(session, msg.query, `the agent's answer was refused: ${foreign} row(s) named a host other than ${session.agent.name}`);
          return;
        }
        if (!this.intake.withinQuota(session.agent.name, session.conn, 'rows', msg.rows.length)) {
          this.failQuery(session, msg.query, `the agent's answer was refused: rows quota exceeded (at most ${this.intake.limit('rows')} rows a minute per agent)`);
          return;
        }
        session.waiting.get(msg.query)?.onRows(this.options.hooks?.redact(msg.rows) ?? msg.rows);
        return;
      }
      case 'done': {
        const waiter = session.waiting.get(msg.query);
        session.waiting.delete(msg.query);
        waiter?.onDone(msg.error);
        return;
      }
    }
  }

  /** Ends the agent's part of a waiting query with an error: its rows become failure rows saying why. */
  private failQuery(session: Session, query: string, reason: string): void {
    const waiter = session.waiting.get(query);
    if (!waiter) return;
    session.waiting.delete(query);
    session.conn.send({ type: 'cancel', query });
    waiter.onDone(reason);
  }

  private close(session: Session, reason: string): void {
    if (this.sessions.get(session.agent.name) !== session) return;
    this.sessions.delete(session.agent.name);
    for (const w of session.waiting.values()) w.onLost(reason);
    session.waiting.clear();
    session.conn.close(1000, reason);
    const lastSeenAt = session.lastSeenAt;
    this.known.set(session.agent.name, { name: session.agent.name, agentId: session.agent.id, connected: false, lastSeenAt, tags: session.tags, attrs: { ...session.attrs, status: 'disconnected' } });
    void this.options.store.updateAgentState(session.agent.id, { status: 'disconnected', lastSeenAt }).catch(() => undefined);
    this.options.hooks?.onDisconnected(session.agent.name, reason);
    this.options.logger.info({ agent: session.agent.name }, 'agent disconnected');
  }

  private sweep(): void {
    const limit = this.clock.now() - 3 * this.options.heartbeatMs;
    for (const s of this.sessions.values()) if (s.lastSeenAt < limit) this.close(s, 'agent stopped sending heartbeats');
  }

  /** Every known host, connected or not. */
  inventory(): InventoryHost[] {
    return [...this.known.values()];
  }

  host(name: string): InventoryHost | undefined {
    return this.known.get(name);
  }

  connected(name: string): boolean {
    return this.sessions.has(name);
  }

  /**
   * Sends a query to one agent; the waiter hears its rows and its end. False when the agent is
   * not connected. `frame` is the encoded message: a fan-out encodes it once for every agent.
   */
  send(host: string, id: string, frame: string, waiter: QueryWaiter): boolean {
    const s = this.sessions.get(host);
    if (!s) return false;
    s.waiting.set(id, waiter);
    if (!s.conn.sendFrame(frame)) {
      s.waiting.delete(id);
      return false;
    }
    return true;
  }

  cancel(host: string, query: string): void {
    const s = this.sessions.get(host);
    if (!s) return;
    s.waiting.delete(query);
    s.conn.send({ type: 'cancel', query });
  }

  /** Sends each connected agent its definitions where they changed (a new version, a secret's value, its tags). */
  pushDefinitions(): void {
    for (const s of this.sessions.values()) this.pushTo(s);
  }

  private pushTo(session: Session): void {
    const host = this.known.get(session.agent.name);
    const defs = host ? this.options.hooks?.definitions(host) : undefined;
    if (defs && defs.key !== session.definitionsKey && session.conn.sendFrame(defs.frame)) session.definitionsKey = defs.key;
    const controls = host ? this.options.hooks?.controls?.(host) : undefined;
    if (controls && controls.key !== session.controlsKey && session.conn.sendFrame(controls.frame)) session.controlsKey = controls.key;
  }

  /** Sends one message to one agent; false when it is not connected. */
  sendTo(host: string, message: ServerMessage): boolean {
    return this.sessions.get(host)?.conn.send(message) ?? false;
  }

  /** The definitions version each connected agent reported. */
  versions(): Map<string, number | null> {
    return new Map([...this.sessions.values()].map((s) => [s.agent.name, s.definitionsVersion]));
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  outboxes(): OutboxReport[] {
    return [...this.sessions.values()].flatMap((s) => (s.outbox ? [s.outbox] : []));
  }

  /** Registers a freshly enrolled agent so queries see it before it connects. */
  enrolled(agent: AgentRecord): void {
    if (!this.known.has(agent.name)) this.known.set(agent.name, inventoryHost(agent, false, null));
  }

  /** Ends an agent's session at once (its credential was revoked, or it was deleted); queries
   *  waiting on it hear `reason` (a WebSocket close reason: keep it short). False when it was not
   *  connected. */
  disconnect(name: string, reason: string): boolean {
    this.ended.set(name, this.clock.now());
    const session = this.sessions.get(name);
    if (session) this.close(session, reason);
    // A connection authenticated just before the revocation, whose hello has not come yet.
    const links = [...(this.links.get(name) ?? [])];
    for (const conn of links) conn.close(4401, reason);
    return session !== undefined || links.length > 0;
  }

  /** Drops a deleted agent from the inventory. */
  forget(name: string): void {
    this.known.delete(name);
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const s of [...this.sessions.values()]) this.close(s, 'control plane stopping');
  }
}

/** The query a frame that failed validation answers, if it names one (a `rows` or `done`). */
function queryOf(frame: string): string | undefined {
  try {
    const raw = JSON.parse(frame) as unknown;
    if (raw === null || typeof raw !== 'object') return undefined;
    const { type, query } = raw as { type?: unknown; query?: unknown };
    return (type === 'rows' || type === 'done') && typeof query === 'string' ? query : undefined;
  } catch {
    return undefined;
  }
}

function stringify(o: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}
