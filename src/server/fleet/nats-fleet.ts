import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { CancelMessage, NatsSubjects } from '../../protocol/index.js';
import type { AgentQuotas } from '../agent-quota.js';
import { AgentMessage, decode } from '../../protocol/index.js';
import { WarnLimiter } from '../warn-limiter.js';
import type { InventoryHost, QueryFleet, QueryWaiter } from './fleet.js';

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
   * The known hosts and whether each is connected. Presence over NATS (heartbeats every replica
   * sees) is a later increment of issue 11; until then the caller supplies it (`listedInventory`).
   * `host` is asked once per host of every fan-out, so it must not scan the list.
   */
  readonly inventory: Inventory;
  readonly logger?: Pick<Logger, 'warn'>;
  /**
   * Per-agent rows quota, as over WebSocket (src/server/agent-quota.ts): an agent over it has its
   * answer refused, so a flooding agent cannot fill this replica's memory within a query's timeout.
   */
  readonly quotas?: AgentQuotas;
}

/** Who is known and connected, as the query fan-out asks it. */
export type Inventory = Pick<QueryFleet, 'inventory' | 'host'>;

/**
 * A fixed inventory from a list, indexed by name (tests, and callers with their own presence).
 *
 * @example
 * new NatsFleet({ nc, subjects, inventory: listedInventory([{ name: 'web-1', agentId: 'a1', connected: true, lastSeenAt: null, tags: {}, attrs: {} }]) });
 */
export function listedInventory(hosts: readonly InventoryHost[]): Inventory {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  return { inventory: () => hosts, host: (name) => byName.get(name) };
}

interface Pending {
  readonly host: string;
  readonly id: string;
  readonly waiter: QueryWaiter;
}

/** What a waiter hears when NATS says nobody subscribes to the agent's query subject. */
export const NO_RESPONDER = 'agent offline: no responder on NATS';

/**
 * The query part of the Fleet port over NATS (issue 11, "Queries"): each query phase is published
 * to the agent's query subject with a reply subject under this replica's own inbox, one token per
 * (host, query); the agent streams `rows` then `done` there. NATS's "no responders" status (the
 * agent is not subscribed) becomes an offline answer via the waiter, never a missing one; the
 * fan-out's own timer turns silence into `timeout` rows and calls `cancel`. A message on the inbox
 * that is not a valid answer to the query its token names is dropped and counted (`dropped`).
 *
 * One wildcard subscription serves every query, so a fan-out to 10,000 agents costs 10,000 map
 * entries, not 10,000 subscriptions; entries go on done, lost, cancel or close.
 *
 * @example
 * const fleet = new NatsFleet({ nc, subjects: natsSubjects('bw'), inventory: listedInventory(hosts) });
 * for await (const line of executePlan(planOf('host | process'), fleet, { principal: 'ops', timeoutMs: 30_000 })) show(line);
 * await fleet.close();
 */
export class NatsFleet implements QueryFleet {
  readonly dropped: DroppedReplies = { malformed: 0, foreign: 0, late: 0 };
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  /** Reply token → the query waiting on it. */
  private readonly pending = new Map<string, Pending>();
  /** `host \n id` → reply token, for cancel. */
  private readonly tokens = new Map<string, string>();
  private next = 0;
  /** One line a minute per agent and kind of drop: a flooding agent is counted, not logged per message. */
  private readonly warnings: WarnLimiter | undefined;

  constructor(private readonly options: NatsFleetOptions) {
    this.warnings = options.logger ? new WarnLimiter(options.logger) : undefined;
    this.subscription = options.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.fail(err.message) : this.receive(msg)) });
    // Answers cannot reach a closed connection: say so now rather than let each become a timeout.
    void options.nc.closed().then((err) => this.fail(`lost the connection to NATS${err ? `: ${err.message}` : ''}`));
  }

  inventory(): readonly InventoryHost[] {
    return this.options.inventory.inventory();
  }

  host(name: string): InventoryHost | undefined {
    return this.options.inventory.host(name);
  }

  connected(name: string): boolean {
    return this.host(name)?.connected === true;
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
    try {
      this.options.nc.publish(this.options.subjects.agentQuery(host), frame, { reply: `${this.inbox}.${token}` });
    } catch (err) {
      // Closed or draining connection, or a frame over NATS's max_payload: nothing was sent.
      this.settle(token);
      this.options.logger?.warn({ err, host, query: id }, 'could not publish a query to NATS');
      return false;
    }
    return true;
  }

  cancel(host: string, query: string): void {
    const token = this.tokens.get(key(host, query));
    if (token !== undefined) this.settle(token);
    const message: CancelMessage = { type: 'cancel', query };
    try {
      this.options.nc.publish(this.options.subjects.agentControl(host), JSON.stringify(message));
    } catch {
      // The connection is gone: the agent's own deadline stops it.
    }
  }

  /** Stops listening; every query still waiting hears `onLost`. */
  async close(reason = 'control plane stopping'): Promise<void> {
    this.fail(reason);
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
    await this.subscription.closed;
  }

  private receive(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const entry = this.pending.get(token);
    if (!entry) {
      this.dropped.late++;
      return;
    }
    if (msg.headers?.code === 503) {
      this.settle(token)?.waiter.onLost(NO_RESPONDER);
      return;
    }
    const decoded = msg.headers?.hasError ? { ok: false as const, error: `NATS status ${msg.headers.code} ${msg.headers.description}` } : decode(AgentMessage, text(msg.data));
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
    entry.waiter.onRows(answer.rows);
  }

  /** Ends the agent's part with an error its rows will say, and tells the agent to stop. */
  private refuse(entry: Pending, why: string): void {
    this.cancel(entry.host, entry.id);
    entry.waiter.onDone(`the agent's answer was refused: ${why}`);
  }

  private drop(reason: keyof DroppedReplies, entry: Pending, detail: string): void {
    this.dropped[reason]++;
    this.warnings?.once(`${entry.host} ${reason}`, { host: entry.host, query: entry.id, reason: detail, dropped: this.dropped[reason] }, `dropped a ${reason} reply from NATS`);
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

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The payload as text; bytes that are not UTF-8 become text decode() refuses as not JSON. */
function text(data: Uint8Array): string {
  try {
    return decoder.decode(data);
  } catch {
    return '\u0000 not UTF-8';
  }
}
