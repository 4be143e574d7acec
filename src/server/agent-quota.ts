/**
 * How much one agent may send per minute. Each is a token bucket that holds a minute's worth and
 * refills continuously, so a burst up to the per-minute figure passes and a sustained flood is cut
 * to the rate. Defaults in {@link AGENT_QUOTA_DEFAULTS}; `agentQuotas` in the server's options.
 */
export interface AgentQuotaLimits {
  /** Events stored (or refused) per minute. */
  readonly eventsPerMinute: number;
  /** Result rows taken per minute, across every query. */
  readonly rowsPerMinute: number;
  /** Circuit-breaker permit requests per minute. */
  readonly permitsPerMinute: number;
}

/*
 * Far above what an agent sends in normal work (a few events a minute; a live view of a busy host's
 * processes, ~1,000 rows a second; a permit per bot run), and low enough that one agent cannot fill
 * the store: 600 events a minute is 864,000 a day at most.
 */
export const AGENT_QUOTA_DEFAULTS: AgentQuotaLimits = { eventsPerMinute: 600, rowsPerMinute: 600_000, permitsPerMinute: 60 };

export type QuotaKind = 'events' | 'rows' | 'permits';

const MINUTE_MS = 60_000;

class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.tokens = perMinute;
    this.at = now;
  }

  /** Takes up to `n` tokens; returns how many it got. */
  take(n: number, now: number): number {
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.at) * this.perMinute) / MINUTE_MS);
    this.at = now;
    const got = Math.min(n, Math.floor(this.tokens));
    this.tokens -= got;
    return got;
  }

  /** Milliseconds until `n` tokens (at most a minute's worth) are there. */
  waitMs(n: number): number {
    const missing = Math.min(n, this.perMinute) - this.tokens;
    return Math.max(1, Math.ceil((missing * MINUTE_MS) / this.perMinute));
  }
}

/**
 * The buckets of every agent, by name. They outlive the connection (reconnecting does not refill
 * them), so there is one set per enrolled agent.
 */
export class AgentQuotas {
  private readonly buckets = new Map<string, Record<QuotaKind, TokenBucket>>();

  constructor(
    private readonly limits: AgentQuotaLimits = AGENT_QUOTA_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes up to `n` of the agent's `kind`; returns how many it may have, and when to ask again for the rest. */
  take(agent: string, kind: QuotaKind, n: number): { granted: number; retryAfterMs: number } {
    const bucket = this.bucketsOf(agent)[kind];
    const granted = bucket.take(n, this.now());
    return { granted, retryAfterMs: granted < n ? bucket.waitMs(n - granted) : 0 };
  }

  limit(kind: QuotaKind): number {
    return this.limits[`${kind}PerMinute`];
  }

  private bucketsOf(agent: string): Record<QuotaKind, TokenBucket> {
    let b = this.buckets.get(agent);
    if (!b) {
      const now = this.now();
      b = { events: new TokenBucket(this.limits.eventsPerMinute, now), rows: new TokenBucket(this.limits.rowsPerMinute, now), permits: new TokenBucket(this.limits.permitsPerMinute, now) };
      this.buckets.set(agent, b);
    }
    return b;
  }
}
