import type { Phase } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import type { AgentRecord } from '../store/index.js';
import type { TimerClock } from './clock.js';
import type { Fleet, InventoryHost, QueryWaiter } from './fleet.js';

/** The query message a fan-out sends, as an agent reads it. */
export interface SentQuery {
  readonly host: string;
  readonly id: string;
  readonly frame: string;
  readonly phase: Extract<Phase, { where: 'agent' }>;
  readonly targets?: readonly string[];
  readonly timeoutMs: number;
  readonly runId?: string;
}

/**
 * How one agent answers one query: its rows (at once, or `afterMs` later on the fake clock) and then done or
 * an error; or it goes silent, or it disconnects (`lost`) after sending `rows`.
 */
export type FakeAnswer =
  | { readonly rows?: readonly ResultRow[]; readonly afterMs?: number; readonly error?: string }
  | { readonly silent: true }
  | { readonly lost: string; readonly rows?: readonly ResultRow[]; readonly afterMs?: number };

export interface FakeHost {
  readonly name: string;
  /** Not connected: queries see it offline. Default connected. */
  readonly offline?: boolean;
  /** Connected, but the send fails (it went away just then). */
  readonly refuses?: boolean;
  readonly lastSeenAt?: number | null;
  readonly tags?: Record<string, string>;
  readonly attrs?: Record<string, string | number>;
  /** Default: answers at once with no rows. */
  answer?(query: SentQuery): FakeAnswer;
}

/**
 * A Fleet for tests: hosts that answer queries as told, on a fake clock; records every query sent
 * and every cancel. The only way the code under test reaches these "agents" is the Fleet port.
 *
 * @example
 * const fleet = new FakeFleet(clock, [{ name: 'web-1', answer: (q) => ({ rows: [hostRow('web-1', { up: 1 })] }) }]);
 */
export class FakeFleet implements Fleet {
  readonly sent: SentQuery[] = [];
  readonly cancelled: { host: string; id: string }[] = [];
  /** What the fleet was told besides queries: control messages a connected host took, disconnects, forgets. */
  readonly log: { readonly sent: { host: string; message: Record<string, unknown> }[]; readonly disconnected: string[]; readonly forgotten: string[] } = { sent: [], disconnected: [], forgotten: [] };
  private readonly hosts = new Map<string, FakeHost>();

  constructor(
    private readonly clock: TimerClock,
    hosts: readonly FakeHost[],
  ) {
    for (const h of hosts) this.hosts.set(h.name, h);
  }

  inventory(): readonly InventoryHost[] {
    return [...this.hosts.keys()].map((name) => this.host(name) as InventoryHost);
  }

  host(name: string): InventoryHost | undefined {
    const h = this.hosts.get(name);
    if (!h) return undefined;
    return { name, agentId: `agent-${name}`, connected: !h.offline, lastSeenAt: h.lastSeenAt ?? null, tags: h.tags ?? {}, attrs: h.attrs ?? {} };
  }

  connected(name: string): boolean {
    const h = this.hosts.get(name);
    return h !== undefined && !h.offline;
  }

  get connectedCount(): number {
    return [...this.hosts.values()].filter((h) => !h.offline).length;
  }

  send(host: string, id: string, frame: string, waiter: QueryWaiter): boolean {
    const h = this.hosts.get(host);
    if (!h || h.offline || h.refuses) return false;
    const message = JSON.parse(frame) as Omit<SentQuery, 'host' | 'frame'>;
    const query: SentQuery = { ...message, host, id, frame };
    this.sent.push(query);
    const answer = h.answer?.(query) ?? {};
    if ('silent' in answer) return true;
    const reply = () => {
      if (answer.rows) waiter.onRows(answer.rows);
      if ('lost' in answer) waiter.onLost(answer.lost);
      else waiter.onDone(answer.error);
    };
    // Never within the send itself: a real agent's answer comes in a later turn.
    if (answer.afterMs === undefined) queueMicrotask(reply);
    else this.clock.setTimeout(reply, answer.afterMs);
    return true;
  }

  cancel(host: string, query: string): void {
    this.cancelled.push({ host, id: query });
  }

  sendTo(host: string, message: Parameters<Fleet['sendTo']>[1]): boolean {
    if (!this.connected(host)) return false;
    this.log.sent.push({ host, message: { ...message } });
    return true;
  }

  pushDefinitions(): void {}

  versions(): ReadonlyMap<string, number | null> {
    return new Map();
  }

  /** As the gateway: a newly enrolled agent is known (not connected) until it connects; a known one stays as it is. */
  enrolled(agent: AgentRecord): void {
    if (!this.hosts.has(agent.name)) this.hosts.set(agent.name, { name: agent.name, offline: true });
  }

  disconnect(name: string): boolean {
    if (!this.connected(name)) return false;
    this.log.disconnected.push(name);
    return true;
  }

  forget(name: string): void {
    this.log.forgotten.push(name);
    this.hosts.delete(name);
  }
}

/** A row about a host, as an agent answers for itself. */
export function hostRow(host: string, values: ResultRow['values'] = {}): ResultRow {
  return { resource: { type: 'host', id: host, name: host, host }, status: 'ok', values };
}
