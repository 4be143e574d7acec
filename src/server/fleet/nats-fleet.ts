import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { CancelMessage, HelloMessage, NatsSubjects, OutboxReport, ServerMessage } from '../../protocol/index.js';
import type { AgentQuotas } from '../agent-quota.js';
import { AgentMessage, decode, payloadText } from '../../protocol/index.js';
import type { AgentRecord } from '../store/index.js';
import { WarnLimiter } from '../warn-limiter.js';
import type { AgentHooks, FleetTransport, InventoryHost, QueryWaiter } from './fleet.js';
import type { Presence, PresenceEvents } from './presence.js';

/** Why a message on the reply inbox was dropped, with how many of each. */
export interface DroppedReplies {
  /** Not JSON, not an agent message, or not a `rows`/`done`, or a NATS status other than "no responders". */
  malformed: number;
  /** Names a query other than the one its inbox was made for. */
  foreign: number;
  /** For an inbox no query waits on any more: after done, cancel or close (normal after a timeout). */
  late: number;
}

export interface NatsFleetOptions {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /**
   * The known hosts and whether each is connected: the presence over NATS (NatsPresence), made
   * with the events this fleet passes it, or a fixed one (`listedInventory`). `host` is asked once
   * per host of every fan-out, so it must not scan the list.
   */
  readonly inventory: Presence | ((events: PresenceEvents) => Presence);
  /** What agents' answers reach (back-test results, joins and leaves, definitions, redaction); none in query-only tests. */
  readonly hooks?: AgentHooks;
  readonly logger?: Pick<Logger, 'warn'>;
  /**
   * Per-agent rows quota, as over WebSocket (src/server/agent-quota.ts): an agent over it has its
   * answer refused, so a flooding agent cannot fill this replica's memory within a query's timeout.
   */
  readonly quotas?: AgentQuotas;
}

interface Pending {
  readonly host: string;
  readonly id: string;
  readonly waiter: QueryWaiter;
}

/** What a waiter hears when NATS says nobody subscribes to the agent's query subject. */
export const NO_RESPONDER = 'agent offline: no responder on NATS';

/** Back-tests awaiting their result at most; beyond, the oldest is forgotten (its asker times out). */
export const MAX_BACKTESTS = 1_000;
/** Back-test reply tokens start with it; query tokens are base 36, which never holds `-`. */
const BACKTEST = 'bt-';

/**
 * The Fleet port over NATS (issue 11), standing on a presence every replica sees alike.
 *
 * Queries: each query phase is published to the agent's query subject with a reply subject under
 * this replica's own inbox, one token per (host, query); the agent streams `rows` then `done`
 * there. NATS's "no responders" status (the agent is not subscribed) becomes an offline answer via
 * the waiter, never a missing one; the fan-out's own timer turns silence into `timeout` rows and
 * calls `cancel`. A message on the inbox that is not a valid answer to the query its token names is
 * dropped and counted (`dropped`). One wildcard subscription serves every query, so a fan-out to
 * 10,000 agents costs 10,000 map entries, not 10,000 subscriptions.
 *
 * Control: definitions, alerts, cancels and `error`s go to the agent's control subject; a
 * `backtest` carries a reply subject under the same inbox, and its `backtest_result` reaches
 * hooks.onBacktestResult. The rules of the WebSocket gateway hold: an agent speaks for its own
 * host, within its quotas, its rows redacted, and once disconnected it is refused until it enrolls
 * again.
 *
 * @example
 * const fleet = new NatsFleet({ nc, subjects, hooks, inventory: (events) => new NatsPresence({ kv, store, clock, logger, events }) });
 * await fleet.load();
 * for await (const line of executePlan(planOf('host | process'), fleet, { principal: 'ops', timeoutMs: 30_000 })) show(line);
 * await fleet.closeAll();
 */
export class NatsFleet implements FleetTransport {
  readonly dropped: DroppedReplies = { malformed: 0, foreign: 0, late: 0 };
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  private readonly presence: Presence;
  /** Reply token → the query waiting on it. */
  private readonly pending = new Map<string, Pending>();
  /** `host \n id` → reply token, for cancel. */
  private readonly tokens = new Map<string, string>();
  /** Reply token → the back-test waiting on it (at most MAX_BACKTESTS). */
  private readonly backtests = new Map<string, { readonly host: string; readonly id: string }>();
  /** The definitions key each agent was last sent from this replica: a push sends only where it changed. */
  private readonly sent = new Map<string, string>();
  /** The controls key each agent was last sent from this replica, likewise. */
  private readonly sentControls = new Map<string, string>();
  private next = 0;
  /** One line a minute per agent and kind of drop: a flooding agent is counted, not logged per message. */
  private readonly warnings: WarnLimiter | undefined;

  constructor(private readonly options: NatsFleetOptions) {
    this.warnings = options.logger ? new WarnLimiter(options.logger) : undefined;
    const { inventory } = options;
    this.presence = typeof inventory === 'function' ? inventory({ onConnected: (...a) => options.hooks?.onConnected(...a), onDisconnected: (host, reason, session) => this.lost(host, reason, session) }) : inventory;
    this.subscription = options.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.fail(err.message) : this.receive(msg)) });
    // Answers cannot reach a closed connection: say so now rather than let each become a timeout.
    void options.nc.closed().then((err) => this.fail(`lost the connection to NATS${err ? `: ${err.message}` : ''}`));
  }

  load(): Promise<void> {
    return this.presence.load();
  }

  inventory(): readonly InventoryHost[] {
    return this.presence.inventory();
  }

  host(name: string): InventoryHost | undefined {
    return this.presence.host(name);
  }

  connected(name: string): boolean {
    return this.host(name)?.connected === true;
  }

  get connectedCount(): number {
    return this.presence.connectedCount;
  }

  versions(): ReadonlyMap<string, number | null> {
    return this.presence.versions();
  }

  outboxes(): readonly OutboxReport[] {
    return this.presence.outboxes?.() ?? [];
  }

  enrolled(agent: AgentRecord): void {
    this.presence.enrolled(agent);
  }

  forget(name: string): void {
    this.presence.forget(name);
    this.sent.delete(name);
    this.sentControls.delete(name);
  }

  /**
   * After the agent-requests service answered an agent's hello with `welcome`: its tags count at
   * once, and it is sent its definitions (always: a new session has none yet).
   */
  welcomed(agent: AgentRecord, hello: HelloMessage): void {
    this.presence.enrolled(agent);
    this.presence.retag(agent.name, hello.tags);
    const host = this.presence.host(agent.name);
    if (host) this.pushTo(host, true);
  }

  /** Sends each connected agent its definitions where they differ from what this replica last sent it. */
  pushDefinitions(): void {
    for (const host of this.presence.inventory()) if (host.connected) this.pushTo(host, false);
  }

  /**
   * Ends the agent's session on every count this replica keeps, refuses its presence and answers
   * until it enrolls again, and tells it so on its control subject (it stops). True when it was connected.
   */
  disconnect(name: string, reason: string): boolean {
    const was = this.presence.refuse(name, reason);
    this.end(name, reason);
    this.publish(this.options.subjects.agentControl(name), JSON.stringify({ type: 'error', code: 'BW_ERR_UNAUTHENTICATED', message: reason } satisfies ServerMessage));
    return was;
  }

  /** Sends one control message; a `backtest`'s result comes back to hooks.onBacktestResult. False when the agent is not connected. */
  sendTo(host: string, message: ServerMessage): boolean {
    if (!this.connected(host)) return false;
    let reply: string | undefined;
    if (message.type === 'backtest') {
      const token = `${BACKTEST}${(this.next++).toString(36)}`;
      if (this.backtests.size >= MAX_BACKTESTS) this.backtests.delete(this.backtests.keys().next().value as string);
      this.backtests.set(token, { host, id: message.id });
      reply = `${this.inbox}.${token}`;
    }
    return this.publish(this.options.subjects.agentControl(host), JSON.stringify(message), reply);
  }

  /** Ends every session this replica counts and stops listening. */
  async closeAll(): Promise<void> {
    await this.presence.close();
    await this.close();
  }

  /** Queries waiting for an answer (for tests and metrics: it returns to 0 when all are settled). */
  get waiting(): number {
    return this.pending.size;
  }

  send(host: string, id: string, frame: string, waiter: QueryWaiter): boolean {
    if (!this.connected(host) || this.options.nc.isClosed()) return false;
    const token = (this.next++).toString(36);
    this.pending.set(token, { host, id, waiter });
    this.tokens.set(key(host, id), token);
    if (this.publish(this.options.subjects.agentQuery(host), frame, `${this.inbox}.${token}`)) return true;
    this.settle(token);
    return false;
  }

  cancel(host: string, query: string): void {
    const token = this.tokens.get(key(host, query));
    if (token !== undefined) this.settle(token);
    const message: CancelMessage = { type: 'cancel', query };
    // Unsent when the connection is gone: the agent's own deadline stops it.
    this.publish(this.options.subjects.agentControl(host), JSON.stringify(message));
  }

  /** Publishes, or says false: a closed connection, or a message over NATS's max_payload. */
  private publish(subject: string, frame: string, reply?: string): boolean {
    try {
      this.options.nc.publish(subject, frame, reply === undefined ? undefined : { reply });
      return true;
    } catch (err) {
      // Closed or draining connection, or a frame over NATS's max_payload: nothing was sent.
      this.options.logger?.warn({ err: (err as Error).message, subject }, 'could not publish to NATS');
      return false;
    }
  }

  private pushTo(host: InventoryHost, always: boolean): void {
    const subject = this.options.subjects.agentControl(host.name);
    const defs = this.options.hooks?.definitions(host);
    if (defs && (always || this.sent.get(host.name) !== defs.key) && this.publish(subject, defs.frame)) this.sent.set(host.name, defs.key);
    const controls = this.options.hooks?.controls?.(host);
    if (controls && (always || this.sentControls.get(host.name) !== controls.key) && this.publish(subject, controls.frame)) this.sentControls.set(host.name, controls.key);
  }

  /** The presence says the agent left (or was disconnected here): its waiting queries are lost now, not at their timeout. */
  private lost(host: string, reason: string, session: string | undefined): void {
    this.end(host, reason);
    this.options.hooks?.onDisconnected(host, reason, session);
  }

  /** Forgets what this replica sent the agent and what waits on it. */
  private end(host: string, reason: string): void {
    this.sent.delete(host);
    this.sentControls.delete(host);
    for (const [token, entry] of [...this.pending]) if (entry.host === host) this.settle(token)?.waiter.onLost(reason);
  }

  /** Stops listening; every query still waiting hears `onLost`. */
  async close(reason = 'control plane stopping'): Promise<void> {
    this.fail(reason);
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
    await this.subscription.closed;
  }

  private receive(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    if (token.startsWith(BACKTEST)) return this.backtestResult(token, msg);
    const entry = this.pending.get(token);
    if (!entry) {
      this.dropped.late++;
      return;
    }
    if (msg.headers?.code === 503) {
      this.settle(token)?.waiter.onLost(NO_RESPONDER);
      return;
    }
    const decoded = msg.headers?.hasError ? { ok: false as const, error: `NATS status ${msg.headers.code} ${msg.headers.description}` } : decode(AgentMessage, payloadText(msg.data));
    if (!decoded.ok || (decoded.message.type !== 'rows' && decoded.message.type !== 'done')) {
      this.drop('malformed', entry, decoded.ok ? `a ${decoded.message.type} message where rows or done belong` : decoded.error);
      return;
    }
    const answer = decoded.message;
    if (answer.query !== entry.id) {
      this.drop('foreign', entry, `answer names query ${answer.query}`);
      return;
    }
    if (answer.type === 'done') {
      this.settle(token)?.waiter.onDone(answer.error);
      return;
    }
    // An agent speaks for its own host only (as over WebSocket, src/server/gateway.ts).
    const foreign = answer.rows.filter((r) => r.resource && r.resource.host !== entry.host).length;
    if (foreign) return this.refuse(entry, `${foreign} row(s) named a host other than ${entry.host}`);
    const quota = this.options.quotas;
    if (quota && quota.take(entry.host, 'rows', answer.rows.length).granted < answer.rows.length) return this.refuse(entry, `rows quota exceeded (at most ${quota.limit('rows')} rows a minute per agent)`);
    entry.waiter.onRows(this.options.hooks?.redact(answer.rows) ?? answer.rows);
  }

  private backtestResult(token: string, msg: Msg): void {
    const entry = this.backtests.get(token);
    if (!entry) {
      this.dropped.late++;
      return;
    }
    this.backtests.delete(token);
    // No responder: the back-test's own timeout says the agent did not answer.
    if (msg.headers?.code === 503) return;
    const decoded = msg.headers?.hasError ? { ok: false as const, error: `NATS status ${msg.headers.code}` } : decode(AgentMessage, payloadText(msg.data));
    if (!decoded.ok || decoded.message.type !== 'backtest_result') return this.drop('malformed', entry, decoded.ok ? `a ${decoded.message.type} message where a backtest_result belongs` : decoded.error);
    if (decoded.message.id !== entry.id) return this.drop('foreign', entry, `answer names back-test ${decoded.message.id}`);
    this.options.hooks?.onBacktestResult(entry.host, decoded.message);
  }

  /** Ends the agent's part with an error its rows will say, and tells the agent to stop. */
  private refuse(entry: Pending, why: string): void {
    this.cancel(entry.host, entry.id);
    entry.waiter.onDone(`the agent's answer was refused: ${why}`);
  }

  private drop(reason: keyof DroppedReplies, entry: { readonly host: string; readonly id: string }, detail: string): void {
    this.dropped[reason]++;
    this.warnings?.once(`${entry.host} ${reason}`, { host: entry.host, id: entry.id, reason: detail, dropped: this.dropped[reason] }, `dropped a ${reason} reply from NATS`);
  }

  /** Forgets a query; returns it if it was still waiting. */
  private settle(token: string): Pending | undefined {
    const entry = this.pending.get(token);
    if (!entry) return undefined;
    this.pending.delete(token);
    this.tokens.delete(key(entry.host, entry.id));
    return entry;
  }

  private fail(reason: string): void {
    for (const token of [...this.pending.keys()]) this.settle(token)?.waiter.onLost(reason);
  }
}

function key(host: string, id: string): string {
  return `${host}\n${id}`;
}
