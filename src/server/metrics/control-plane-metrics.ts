import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FleetEvent, OutboxReport } from '../../protocol/index.js';
import type { Fleet } from '../fleet/index.js';
import type { Store } from '../store/index.js';
import { MAX_PAGE_LIMIT } from '../store/index.js';

/** How a statement's execution ended, as `breakwater_queries_total` counts it. */
export type QueryOutcome = 'succeeded' | 'failed' | 'error' | 'interrupted';

/** Why the circuit breaker refused a permit: the fleet's budget is used up, or this host's share. */
export type BreakerRefusal = 'tripped' | 'host_share';

/** What the gauges read when Prometheus scrapes: the fleet, the store and the open streams. */
export interface MetricSources {
  readonly fleet: Pick<Fleet, 'connectedCount' | 'inventory'>;
  readonly store: Pick<Store, 'listApprovals'>;
  /** The API's open streams (api/token-streams.ts TokenStreams), by kind. */
  readonly streams: { openCount(kind: 'live' | 'events'): number };
  /** What connected agents last reported of their event outboxes (none: the gauges read 0). */
  readonly outboxes?: (() => readonly OutboxReport[]) | undefined;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const AGENTS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/**
 * One control plane's (one replica's) metrics in a registry of its own, for `GET /metrics`: each
 * server made in one process (tests, the lab) counts its own, and no global registry is touched.
 * Counters are told by the parts that count (`statementFinished`, `eventsStored`, ...); gauges are
 * read from `MetricSources` at each scrape. Names and labels: docs/integrations.md.
 *
 * @example
 * const metrics = new ControlPlaneMetrics(logger);
 * metrics.watch({ fleet, store, streams });
 * reply.type(metrics.contentType).send(await metrics.exposition());
 */
export class ControlPlaneMetrics {
  private readonly registry = new Registry();
  private sources: MetricSources | undefined;
  private readonly queries = new Counter({ name: 'breakwater_queries_total', help: 'Statements executed (after authorization), by how they ended.', labelNames: ['outcome'], registers: [this.registry] });
  private readonly queryDuration = new Histogram({ name: 'breakwater_query_duration_seconds', help: 'How long a statement took to execute, from the first agent asked to the result.', buckets: SECONDS, registers: [this.registry] });
  private readonly fanOut = new Histogram({ name: 'breakwater_query_fanout_agents', help: 'Agents asked by one statement (every agent phase counted).', buckets: AGENTS, registers: [this.registry] });
  private readonly events = new Counter({ name: 'breakwater_events_ingested_total', help: 'Events stored by this replica (from agents and its own), by type.', labelNames: ['type'], registers: [this.registry] });
  private readonly botRuns = new Counter({ name: 'breakwater_bot_runs_total', help: "Bots' runs reported by agents and stored by this replica, by result.", labelNames: ['result'], registers: [this.registry] });
  private readonly trips = new Counter({ name: 'breakwater_circuit_breaker_trips_total', help: 'Bot permits the fleet-wide circuit breaker refused: its budget used up (tripped) or one host\'s share (host_share).', labelNames: ['reason'], registers: [this.registry] });
  private readonly storeDuration = new Histogram({ name: 'breakwater_store_operation_duration_seconds', help: 'How long one store operation took, by operation.', labelNames: ['operation'], buckets: SECONDS, registers: [this.registry] });
  private readonly storeErrors = new Counter({ name: 'breakwater_store_operation_errors_total', help: 'Store operations that failed, by operation.', labelNames: ['operation'], registers: [this.registry] });

  constructor(private readonly logger: Pick<Logger, 'warn'>) {
    const sources = () => this.sources;
    const warn = (what: string, err: unknown) => this.logger.warn({ err: (err as Error).message }, `metrics: could not read ${what}; the gauge keeps its last value`);
    new Gauge({
      name: 'breakwater_agents',
      help: 'Known agents, by whether they are connected now (the fleet as this replica sees it: every replica sees the whole fleet).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const s = sources();
        if (!s) return;
        const connected = s.fleet.connectedCount;
        this.set({ state: 'connected' }, connected);
        this.set({ state: 'disconnected' }, Math.max(0, s.fleet.inventory().length - connected));
      },
    });
    new Gauge({
      name: 'breakwater_approvals_pending',
      help: `Bot runs waiting for a person's approval (counted up to ${MAX_PAGE_LIMIT}).`,
      registers: [this.registry],
      async collect() {
        const s = sources();
        if (!s) return;
        try {
          this.set((await s.store.listApprovals({ status: 'pending', limit: MAX_PAGE_LIMIT })).length);
        } catch (err) {
          warn('the pending approvals', err);
        }
      },
    });
    new Gauge({
      name: 'breakwater_live_streams',
      help: 'Server-sent event streams open on this replica: live queries (live) and event streams (events).',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        const s = sources();
        if (!s) return;
        for (const kind of ['live', 'events'] as const) this.set({ kind }, s.streams.openCount(kind));
      },
    });
    const outbox = (name: string, help: string, read: (o: readonly OutboxReport[]) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(sources()?.outboxes?.() ?? []));
        },
      });
    outbox('breakwater_agent_outbox_events', "Events waiting in connected agents' outboxes, summed, as the agents last reported them.", (o) => o.reduce((n, x) => n + x.pending, 0));
    outbox('breakwater_agent_outbox_oldest_seconds', "The age of the oldest event waiting in any connected agent's outbox, as last reported (0: none waiting).", (o) => o.reduce((n, x) => Math.max(n, x.oldestAgeMs / 1000), 0));
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition's media type (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Where the gauges read from; set once the fleet and streams exist. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** Every metric in the text exposition format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** One statement's execution ended: its outcome, duration and how many agents it asked. */
  statementFinished(outcome: QueryOutcome, seconds: number, agentsAsked: number): void {
    this.queries.inc({ outcome });
    this.queryDuration.observe(seconds);
    this.fanOut.observe(agentsAsked);
  }

  /** Events this replica stored (each once): counted by type, and bots' runs by result. */
  eventsStored(events: readonly FleetEvent[]): void {
    for (const e of events) {
      this.events.inc({ type: e.type });
      if (e.type === 'bot_ran') this.botRuns.inc({ result: botResult(e.details) });
    }
  }

  breakerRefused(reason: BreakerRefusal): void {
    this.trips.inc({ reason });
  }

  /** One store call settled (timedStore's observer). */
  storeCall(operation: string, seconds: number, failed: boolean): void {
    this.storeDuration.observe({ operation }, seconds);
    if (failed) this.storeErrors.inc({ operation });
  }
}

/** A bot_ran event's result: timed out, succeeded or failed (its details as the agent reports them). */
function botResult(details: Readonly<Record<string, unknown>>): 'succeeded' | 'failed' | 'timed_out' {
  if (details.timedOut === true) return 'timed_out';
  return details.ok === true ? 'succeeded' : 'failed';
}
