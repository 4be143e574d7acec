/**
 * Fleet's sparklines: the metrics each host row draws, the key of a host's series, and the
 * prefetch of their last two minutes for the rows in view.
 */
import { query } from './api.js';
import { FLEET_METRICS } from './fleet-statement.js';
import { seriesPoints } from './format.js';
import type { SparkHistory } from './history.js';

const WINDOW = '2m';
const [CPU, MEM, DISK] = FLEET_METRICS;
/** The row's sparkline columns and the metric each draws. */
export const METRICS = [
  ['cpu', CPU],
  ['mem', MEM],
  ['disk', DISK],
] as const;

/** The key of a host's sparkline series for one of {@link METRICS}. */
export const seriesKey = (host: string, metric: string) => `${host}\u0000${metric}`;

/**
 * Sparkline history for the hosts in view only: with 1,000 hosts, two minutes of three metrics for
 * all of them is ~12 MB of JSON on every page load; the ~30 rows in view are ~0.4 MB. Rows scrolled
 * into view are fetched together once scrolling rests; each host once per filter.
 */
export class HistoryPrefetch {
  private readonly done = new Set<string>();
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller = new AbortController();

  constructor(
    private readonly spark: SparkHistory,
    private readonly drawn: () => void,
  ) {}

  want(hosts: readonly string[]): void {
    for (const h of hosts) if (!this.done.has(h)) this.pending.add(h);
    if (!this.pending.size) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fetch(), PREFETCH_REST_MS);
  }

  /** A new filter: the sparklines start again, so does their history. */
  reset(): void {
    clearTimeout(this.timer);
    this.controller.abort();
    this.controller = new AbortController();
    this.done.clear();
    this.pending.clear();
  }

  private async fetch(): Promise<void> {
    const hosts = [...this.pending];
    this.pending = new Set();
    for (const h of hosts) this.done.add(h);
    const ranges = METRICS.map(([, m]) => `${m}[${WINDOW}]`);
    try {
      const answer = await query(`host | name in ${JSON.stringify(hosts)} | ${ranges.join(' | ')}`, this.controller.signal);
      for (const r of answer.rows) {
        for (const [i, [k]] of METRICS.entries()) {
          const [xs, ys] = seriesPoints(r.values[ranges[i] as string]);
          const samples = xs.flatMap((x, j) => {
            const y = ys[j];
            return typeof y === 'number' ? [[x * 1000, y] as const] : [];
          });
          if (r.resource) this.spark.prefill(seriesKey(r.resource.name, k), samples);
        }
      }
      this.drawn();
    } catch {
      // Without the history, sparklines fill from live values as they arrive.
    }
  }
}

/** Scrolling has rested this long before the rows in view are fetched. */
const PREFETCH_REST_MS = 150;
