import type { KV, KvEntry } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NatsSubjects, OutboxReport } from '../../protocol/index.js';
import { agentFromToken, decode, payloadText, PresenceMessage } from '../../protocol/index.js';
import type { AgentRecord, Store } from '../store/index.js';
import { WarnLimiter } from '../warn-limiter.js';
import type { TimerClock } from './clock.js';
import type { InventoryHost } from './fleet.js';
import type { Presence, PresenceEvents } from './presence.js';
import { inventoryHost } from './presence.js';

/** The largest presence entry the bucket takes: far above a presence (facts, tags) and a bound on what one agent makes a replica parse. */
export const MAX_PRESENCE_BYTES = 64 * 1024;
/** How long a departed agent's key stays in the bucket. */
export const PRESENCE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Creates the presence bucket (history 1, file storage, keys gone after a day, values bounded),
 * or opens it; safe for every replica to call at start-up.
 *
 * @example
 * const kv = await ensurePresenceBucket(nc, natsSubjects('bw'));
 */
export async function ensurePresenceBucket(nc: NatsConnection, subjects: NatsSubjects): Promise<KV> {
  return new Kvm(nc).create(subjects.presenceBucket, { history: 1, storage: StorageType.File, ttl: PRESENCE_MAX_AGE_MS, maxValueSize: MAX_PRESENCE_BYTES });
}

/** Why presence entries were ignored, with how many of each. */
export interface IgnoredPresence {
  /** Not JSON, not a PresenceMessage, or over the size bound. */
  malformed: number;
  /** The message names an agent other than the one its key names. */
  impostor: number;
  /** The key names no enrolled agent, or one revoked or disconnected since it enrolled. */
  unknown: number;
}

export interface NatsPresenceOptions {
  readonly kv: KV;
  readonly store: Store;
  /** The sweep and "now" against which each entry's NATS timestamp is judged. */
  readonly clock: TimerClock;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly events: PresenceEvents;
  /** The agents table's lastSeenAt is written at most this often per agent while it stays
   *  connected (default a minute; connect and disconnect write it at once). */
  readonly lastSeenWriteMs?: number;
  /**
   * The heartbeat interval the replicas tell agents in their welcome (the server's heartbeat). An
   * agent's presence is judged by the shorter of its own claim and this: an agent that claims a
   * heartbeat of weeks must not stay "connected" for weeks after it stopped (default: its claim).
   */
  readonly maxHeartbeatMs?: number;
}

/** How often presence is judged against the clock. */
const SWEEP_MS = 1000;
/** An agent the store did not vouch for is asked about again after this long, not per entry. */
const LOOKUP_AGAIN_MS = 10_000;
/** How long after start an agent the store says is connected may go without a presence entry before it is written disconnected. */
const STORED_GRACE_MS = 60_000;
/** Store look-ups remembered at most (their names come from the bucket, before anything vouched for them). */
const MAX_LOOKUPS = 10_000;
/** See NatsPresenceOptions.lastSeenWriteMs: at 100,000 agents, some 1,700 rows a second per replica, in a few statements a sweep. */
const LAST_SEEN_WRITE_MS = 60_000;

interface Tracked {
  record: AgentRecord;
  /** When the record was read from the store (or given by enrolment here). */
  readAt: number;
  /** The newest presence and when NATS stored it (server time). */
  latest?: { message: PresenceMessage; at: number };
  /** The session this replica counts as connected, if any. */
  session?: string;
  /** What the agents table says, as far as this replica wrote or read it. */
  storedConnected: boolean;
  written: { lastSeenAt: number; tags: string; facts: string; definitionsVersion: number | null };
  /** The newest tags: presence's, or a hello's taken at once. */
  tags: Readonly<Record<string, string>>;
}

/**
 * Presence over NATS: every replica watches the presence KV bucket and keeps the inventory in
 * memory. An agent is connected while its newest entry's NATS timestamp is within three of its
 * heartbeats of the clock's now, so every replica judges it the same. Only entries that decode,
 * name the agent their key names, and belong to an enrolled, unrevoked agent count; the rest are
 * counted (`ignored`) and logged once a minute per agent. Memory holds the enrolled agents, and a
 * capped list of names the store was asked about.
 *
 * @example
 * const presence = new NatsPresence({ kv: await ensurePresenceBucket(nc, subjects), store, clock, logger, events });
 * await presence.load();
 */
export class NatsPresence implements Presence {
  readonly ignored: IgnoredPresence = { malformed: 0, impostor: 0, unknown: 0 };
  private readonly known = new Map<string, Tracked>();
  /** When refuse() ended each agent: its presence counts again only once it enrolled after that. */
  private readonly ended = new Map<string, number>();
  /** Names the store was asked about, and when (a refused name is not asked again for a while). */
  private readonly lookups = new Map<string, number>();
  private readonly warnings: WarnLimiter;
  /** lastSeenAt due per agent id, written together at the next sweep (one statement, not one per agent). */
  private readonly seen = new Map<string, number>();
  private watcher: Awaited<ReturnType<KV['watch']>> | undefined;
  private cancelSweep: (() => void) | undefined;
  private startedAt = 0;
  private closed = false;

  constructor(private readonly options: NatsPresenceOptions) {
    this.warnings = new WarnLimiter(options.logger, options.clock);
  }

  async load(): Promise<void> {
    for (const a of await this.options.store.listAgents()) this.track(a);
    this.startedAt = this.options.clock.now();
    this.watcher = await this.options.kv.watch();
    void this.follow(this.watcher);
    this.scheduleSweep();
  }

  inventory(): InventoryHost[] {
    return [...this.known.values()].map((t) => this.view(t));
  }

  host(name: string): InventoryHost | undefined {
    const t = this.known.get(name);
    return t && this.view(t);
  }

  get connectedCount(): number {
    let n = 0;
    for (const t of this.known.values()) if (t.session !== undefined) n++;
    return n;
  }

  outboxes(): OutboxReport[] {
    return [...this.known.values()].flatMap((t) => (t.session !== undefined && t.latest?.message.outbox ? [t.latest.message.outbox] : []));
  }

  versions(): Map<string, number | null> {
    return new Map([...this.known.values()].filter((t) => t.session !== undefined).map((t) => [t.record.name, t.latest?.message.definitionsVersion ?? null]));
  }

  enrolled(agent: AgentRecord): void {
    const t = this.known.get(agent.name);
    if (!t || t.record.enrolledAt < agent.enrolledAt) this.track(agent, t);
  }

  forget(name: string): void {
    this.known.delete(name);
    this.ended.delete(name);
  }

  refuse(name: string, reason: string): boolean {
    this.ended.set(name, this.options.clock.now());
    const t = this.known.get(name);
    if (!t || t.session === undefined) return false;
    this.leave(t, reason);
    return true;
  }

  retag(name: string, tags: Readonly<Record<string, string>>): void {
    const t = this.known.get(name);
    if (t) t.tags = { ...tags };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelSweep?.();
    this.watcher?.stop();
  }

  private track(record: AgentRecord, previous?: Tracked): Tracked {
    const readAt = this.options.clock.now();
    const t: Tracked = previous
      ? { ...previous, record, readAt }
      : { record, readAt, storedConnected: record.status === 'connected', tags: record.tags, written: { lastSeenAt: record.lastSeenAt ?? 0, tags: JSON.stringify(record.tags), facts: JSON.stringify(record.facts), definitionsVersion: record.definitionsVersion } };
    this.known.set(record.name, t);
    return t;
  }

  private view(t: Tracked): InventoryHost {
    const connected = t.session !== undefined;
    const lastSeenAt = t.latest?.at ?? t.record.lastSeenAt;
    return inventoryHost(t.record, connected, lastSeenAt, t.latest?.message.facts ?? t.record.facts, t.tags);
  }

  private async follow(watcher: NonNullable<typeof this.watcher>): Promise<void> {
    try {
      for await (const entry of watcher) this.receive(entry);
    } catch (err) {
      if (!this.closed) this.options.logger.error({ err }, 'stopped watching the presence bucket');
    }
  }

  private receive(entry: KvEntry): void {
    // An agent's key is one subject token (presenceSubject): a key of several names nobody's.
    if (entry.key.includes('.')) return this.ignore(entry.key.slice(0, 256), 'malformed', 'the key is not one subject token');
    const name = agentFromToken(entry.key);
    const t = this.known.get(name);
    if (entry.operation !== 'PUT') {
      // The agent took its presence back (a clean stop): gone now, not three heartbeats later.
      if (t?.latest) t.latest = undefined;
      if (t) this.judge(t);
      return;
    }
    const decoded = entry.length > MAX_PRESENCE_BYTES ? { ok: false as const, error: `larger than ${MAX_PRESENCE_BYTES} bytes` } : decode(PresenceMessage, payloadText(entry.value));
    if (!decoded.ok) return this.ignore(name, 'malformed', decoded.error);
    if (decoded.message.name !== name) return this.ignore(name, 'impostor', `the entry names agent ${JSON.stringify(decoded.message.name.slice(0, 256))}`);
    const latest = { message: decoded.message, at: entry.created.getTime() };
    // A new session is vouched for by the store unless the record was just read: a credential
    // revoked through another replica is refused here too.
    const vouched = t && this.usable(t.record) && (latest.message.session === t.session || this.options.clock.now() - t.readAt < LOOKUP_AGAIN_MS);
    if (t && vouched) this.apply(t, latest);
    else this.vouch(name, latest, t);
  }

  /** Asks the store whether `name` is an enrolled, unrevoked agent, then counts its presence (or ignores it). */
  private vouch(name: string, latest: NonNullable<Tracked['latest']>, t: Tracked | undefined): void {
    const now = this.options.clock.now();
    const asked = this.lookups.get(name);
    if (asked !== undefined && now - asked < LOOKUP_AGAIN_MS) {
      if (t && this.usable(t.record)) this.apply(t, latest);
      else this.ignore(name, 'unknown', 'not an enrolled agent (or revoked, or disconnected since it enrolled)');
      return;
    }
    this.lookups.delete(name);
    if (this.lookups.size >= MAX_LOOKUPS) this.lookups.delete(this.lookups.keys().next().value as string);
    this.lookups.set(name, now);
    void this.options.store.getAgentByName(name).then(
      (record) => {
        if (this.closed) return;
        if (!record || !this.usable(record)) {
          if (t?.session !== undefined) this.leave(t, 'the agent credential was revoked');
          return this.ignore(name, 'unknown', 'not an enrolled agent (or revoked, or disconnected since it enrolled)');
        }
        this.apply(this.track(record, this.known.get(name)), latest);
      },
      (err: unknown) => this.options.logger.error({ err, agent: name }, 'could not look up an agent named by a presence entry'),
    );
  }

  private apply(t: Tracked, latest: NonNullable<Tracked['latest']>): void {
    // A look-up can finish after a newer entry came: the newest wins.
    if (t.latest && t.latest.at > latest.at) return this.judge(t);
    t.latest = latest;
    t.tags = latest.message.tags;
    this.judge(t);
  }

  private usable(record: AgentRecord): boolean {
    return record.revokedAt === null && record.enrolledAt > (this.ended.get(record.name) ?? -Infinity);
  }

  private ignore(name: string, kind: keyof IgnoredPresence, reason: string): void {
    this.ignored[kind]++;
    this.warnings.once(`${name} ${kind}`, { agent: name, reason, ignored: this.ignored[kind] }, `ignored a presence entry (${kind})`);
  }

  /**
   * Compares the agent's presence with the clock: connects, disconnects, or (on a new entry, not
   * on the sweep, which sees nothing new) records what changed.
   */
  private judge(t: Tracked, sweeping = false): void {
    const now = this.options.clock.now();
    const latest = t.latest;
    const fresh = latest !== undefined && now - latest.at <= 3 * Math.min(latest.message.heartbeatMs, this.options.maxHeartbeatMs ?? Infinity) && this.usable(t.record);
    if (fresh) {
      if (t.session !== latest.message.session) {
        if (t.session !== undefined) this.leave(t, 'agent reconnected');
        this.join(t, latest);
      } else if (!sweeping) this.record(t, latest);
      return;
    }
    if (t.session !== undefined) return this.leave(t, latest ? 'agent stopped sending heartbeats' : 'agent left');
    // The store says connected, and no replica will see this agent's next transition: say what is.
    // Without an entry, only once the watch had time to deliver the bucket's current values.
    if (t.storedConnected && (latest !== undefined || now - this.startedAt > STORED_GRACE_MS)) {
      t.storedConnected = false;
      this.write(t, { status: 'disconnected' });
    }
  }

  private join(t: Tracked, latest: NonNullable<Tracked['latest']>): void {
    const { message } = latest;
    t.session = message.session;
    t.storedConnected = true;
    // The agent says (see PresenceMessage.firstSession): every replica then records the same type.
    const first = message.firstSession ?? t.record.lastSeenAt === null;
    t.record = { ...t.record, lastSeenAt: latest.at };
    this.seen.delete(t.record.id);
    t.written = { lastSeenAt: latest.at, tags: JSON.stringify(t.tags), facts: JSON.stringify(message.facts), definitionsVersion: message.definitionsVersion ?? t.written.definitionsVersion };
    this.write(t, { status: 'connected', lastSeenAt: latest.at, tags: { ...t.tags }, facts: { ...message.facts }, ...(message.definitionsVersion !== null ? { definitionsVersion: message.definitionsVersion } : {}) });
    this.options.events.onConnected(t.record.name, first, message.session);
  }

  private leave(t: Tracked, reason: string): void {
    const session = t.session;
    t.session = undefined;
    t.storedConnected = false;
    const lastSeenAt = t.latest?.at ?? t.written.lastSeenAt;
    this.seen.delete(t.record.id);
    this.write(t, { status: 'disconnected', lastSeenAt });
    this.options.events.onDisconnected(t.record.name, reason, session);
  }

  /** Writes what changed while connected: tags, facts, definitions version, and lastSeenAt now and then. */
  private record(t: Tracked, latest: NonNullable<Tracked['latest']>): void {
    const { message } = latest;
    const patch: Parameters<Store['updateAgentState']>[1] = {};
    const tags = JSON.stringify(t.tags);
    const facts = JSON.stringify(message.facts);
    if (tags !== t.written.tags) patch.tags = { ...t.tags };
    if (facts !== t.written.facts) patch.facts = { ...message.facts };
    if (message.definitionsVersion !== null && message.definitionsVersion !== t.written.definitionsVersion) patch.definitionsVersion = message.definitionsVersion;
    const seenDue = latest.at - t.written.lastSeenAt >= (this.options.lastSeenWriteMs ?? LAST_SEEN_WRITE_MS);
    const changed = Object.keys(patch).length > 0;
    if (!changed && !seenDue) return;
    t.written = { lastSeenAt: seenDue ? latest.at : t.written.lastSeenAt, tags, facts, definitionsVersion: patch.definitionsVersion ?? t.written.definitionsVersion };
    // Only the time is due (the usual case): batched with the other agents' at the next sweep.
    if (!changed) return void this.seen.set(t.record.id, latest.at);
    this.seen.delete(t.record.id);
    this.write(t, seenDue ? { ...patch, lastSeenAt: latest.at } : patch);
  }

  private flushSeen(): void {
    if (this.seen.size === 0) return;
    const seen = [...this.seen].map(([id, at]) => ({ id, at }));
    this.seen.clear();
    void this.options.store.touchAgents(seen).catch((err: unknown) => this.options.logger.error({ err, agents: seen.length }, 'could not record when agents were last seen'));
  }

  private write(t: Tracked, patch: Parameters<Store['updateAgentState']>[1]): void {
    void this.options.store.updateAgentState(t.record.id, patch).catch((err: unknown) => this.options.logger.error({ err, agent: t.record.name }, 'could not record agent state'));
  }

  private scheduleSweep(): void {
    if (this.closed) return;
    this.cancelSweep = this.options.clock.setTimeout(() => {
      for (const t of this.known.values()) this.judge(t, true);
      this.flushSeen();
      this.scheduleSweep();
    }, SWEEP_MS);
  }
}
