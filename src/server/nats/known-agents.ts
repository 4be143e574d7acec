import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { AgentRecord, Store } from '../store/index.js';

/** An agent a NATS subject names, as the store knows it: enrolled and valid, or why not. */
export type AgentLookup = { readonly ok: true; readonly agent: AgentRecord } | { readonly ok: false; readonly reason: string };

export interface KnownAgentsOptions {
  readonly store: Pick<Store, 'getAgentByName'>;
  /** How long an answer is reused (default 5 s): a revoked agent is refused on every replica within it. */
  readonly ttlMs?: number;
  /** Names remembered at most (default 20,000): names come from subjects, so hostile ones are bounded too. */
  readonly maxEntries?: number;
  readonly clock?: Clock;
}

/** Agent names are at most this long (a hello's `name`): a longer subject token is refused unread. */
const MAX_AGENT_NAME = 256;

interface Entry {
  readonly at: number;
  readonly lookup: Promise<AgentLookup>;
}

/**
 * The store's answer to "is this agent enrolled and not revoked?", remembered briefly: over NATS a
 * subject names the agent (its NATS permissions confine it to its own subjects), and every request
 * and event would otherwise be a store query. Lookups of one name at once share one query; a
 * failed query is not remembered (the caller retries). Bounded: expired entries go first, then the
 * oldest.
 *
 * @example
 * const known = new KnownAgents({ store });
 * const found = await known.lookup('web-1');
 * if (!found.ok) reply({ type: 'error', code: 'BW_ERR_UNAUTHENTICATED', message: found.reason });
 */
export class KnownAgents {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;

  constructor(private readonly options: KnownAgentsOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The agent if it is enrolled and its credential not revoked; rejects when the store fails. */
  lookup(name: string): Promise<AgentLookup> {
    if (name.length === 0 || name.length > MAX_AGENT_NAME) return Promise.resolve(unknown(name));
    const now = this.clock.now();
    const cached = this.entries.get(name);
    if (cached && now - cached.at < (this.options.ttlMs ?? 5_000)) return cached.lookup;
    this.entries.delete(name);
    if (this.entries.size >= (this.options.maxEntries ?? 20_000)) this.evict(now);
    const lookup = this.options.store.getAgentByName(name).then(judge(name));
    this.entries.set(name, { at: now, lookup });
    lookup.catch(() => {
      if (this.entries.get(name)?.lookup === lookup) this.entries.delete(name);
    });
    return lookup;
  }

  /** Forgets what is remembered of one agent (this replica revoked or deleted it). */
  forget(name: string): void {
    this.entries.delete(name);
  }

  /** Names remembered (for tests: it stays within the cap). */
  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    const ttl = this.options.ttlMs ?? 5_000;
    for (const [name, e] of this.entries) if (now - e.at >= ttl) this.entries.delete(name);
    // Insertion order is age order: an entry is re-inserted when it is looked up again.
    for (const name of this.entries.keys()) {
      if (this.entries.size < (this.options.maxEntries ?? 20_000)) break;
      this.entries.delete(name);
    }
  }
}

const unknown = (name: string): AgentLookup => ({ ok: false, reason: `unknown agent ${JSON.stringify(name.slice(0, MAX_AGENT_NAME))}: enroll again with a join token` });

function judge(name: string): (agent: AgentRecord | undefined) => AgentLookup {
  return (agent) => {
    if (!agent) return unknown(name);
    if (agent.revokedAt !== null) return { ok: false, reason: `the credential of agent \`${agent.name}\` was revoked at ${new Date(agent.revokedAt).toISOString()}: enroll again with a join token` };
    return { ok: true, agent };
  };
}
