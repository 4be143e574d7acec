/**
 * Fleet: every agent with its connection state, tags and key metrics (CPU, memory, fullest disk)
 * as live values and sparklines. The control plane keeps one pipeline live and pushes each answer
 * (GET /api/v1/query/live, server-sent events every 2 s); the sparklines start with the last two
 * minutes from one range query, so they are drawn at once. The filter box takes a pipeline
 * (`role = "web"` or `host | zone = "a" | cpu_usage > 50`). Clicking a host shows its processes
 * and a chart of any host metric over the last hour.
 */
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Catalogue, Dimension } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import type { Agent, LiveMessage, LiveState } from './api.js';
import { agents as fetchAgents, liveQuery, query } from './api.js';
import { Editor } from './Editor.js';
import { BY_NAME, ago, cell, seriesPoints } from './format.js';
import { SparkHistory } from './history.js';
import { Results } from './Results.js';
import { Sparkline } from './Sparkline.js';
import type { Column } from './VirtualTable.js';
import { VirtualTable } from './VirtualTable.js';

// uPlot is loaded with the first chart, not with the page.
const Chart = lazy(() => import('./Chart.js').then((m) => ({ default: m.Chart })));

const EVERY = '2s';
const STEP_MS = 2000;
/** Sparkline points: two minutes of 2-second steps. */
const KEEP = 60;
const WINDOW = '2m';
const METRICS = [
  ['cpu', 'cpu_usage'],
  ['mem', 'mem_usage'],
  ['disk', 'disk_usage'],
] as const;
const PERCENT = { name: '', type: 'number', unit: 'percent' } as const;
const COUNT = new Intl.NumberFormat('en');

/** The statement the filter box stands for: a pipeline starting at `host`. */
export function filterStatement(filter: string): string {
  const f = filter.trim();
  if (!f) return 'host';
  return /^host\b/.test(f) ? f : `host | ${f}`;
}

interface HostRow {
  readonly agent: Agent;
  readonly cpu?: number;
  readonly mem?: number;
  readonly disk?: number;
  readonly error?: string;
}

function num(r: ResultRow | undefined, k: string): number | undefined {
  const v = r?.values[k];
  return typeof v === 'number' ? v : undefined;
}

const seriesKey = (host: string, metric: string) => `${host}\u0000${metric}`;

/**
 * Whether an answer disagrees with the agent list (a host it does not know, or one that connected
 * or went away since): the list is fetched again then, rather than every few seconds.
 */
function listDisagrees(known: ReadonlyMap<string, Agent>, rows: readonly ResultRow[]): boolean {
  return rows.some((r) => {
    if (r.resource?.type !== 'host') return false;
    const agent = known.get(r.resource.name);
    return !agent || (r.status === 'offline') !== (agent.status === 'disconnected');
  });
}

export function FleetPage(props: { catalogue: Catalogue | undefined }) {
  const [filter, setFilter] = useState(() => sessionStorage.getItem('breakwater.fleet.filter') ?? '');
  const [applied, setApplied] = useState(filter);
  const [list, setList] = useState<Agent[]>([]);
  const [metrics, setMetrics] = useState<Map<string, ResultRow>>(new Map());
  const [matched, setMatched] = useState<Set<string> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState<LiveState | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const history = useRef(new SparkHistory(KEEP, STEP_MS));
  const known = useRef<ReadonlyMap<string, Agent>>(new Map());
  const fetchingAgents = useRef(false);
  const [, setTick] = useState(0);
  const prefetch = useRef(new HistoryPrefetch(history.current, () => setTick((t) => t + 1)));
  const shownRows = useRef<readonly HostRow[]>([]);
  const onRowsShown = useCallback((first: number, last: number) => prefetch.current.want(shownRows.current.slice(first, last).map((r) => r.agent.name)), []);

  const statement = filterStatement(filter);
  const analysis = useMemo(() => (props.catalogue ? analyze(statement, props.catalogue) : undefined), [statement, props.catalogue]);
  const shift = statement.length - filter.trim().length;
  const diagnostics = filter.trim() ? (analysis?.diagnostics ?? []).map((d) => ({ ...d, location: { ...d.location, start: Math.max(0, d.location.start - shift), end: Math.max(0, d.location.end - shift), column: Math.max(1, d.location.column - shift) } })) : [];

  const refreshAgents = useCallback(async () => {
    if (fetchingAgents.current) return; // the next answer asks again if it still disagrees
    fetchingAgents.current = true;
    try {
      const all = await fetchAgents();
      known.current = new Map(all.map((a) => [a.name, a]));
      setList(all);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      fetchingAgents.current = false;
    }
  }, []);

  useEffect(() => {
    sessionStorage.setItem('breakwater.fleet.filter', applied);
    const hosts = filterStatement(applied);
    const spark = history.current;
    spark.clear();
    setLive(undefined);
    void refreshAgents();
    const onMessage = (m: LiveMessage) => {
      if (m.type === 'error') return setError(m.message);
      const all = [...m.rows, ...m.failures];
      const byName = new Map<string, ResultRow>();
      for (const r of all) if (r.resource) byName.set(r.resource.name, r);
      for (const r of m.rows) {
        for (const [k, column] of METRICS) {
          const v = num(r, column);
          if (r.resource && v !== undefined) spark.push(seriesKey(r.resource.name, k), m.time, v);
        }
      }
      setMetrics(byName);
      setMatched(applied.trim() ? new Set(byName.keys()) : undefined);
      setError(undefined);
      if (listDisagrees(known.current, all)) void refreshAgents();
    };
    const stop = liveQuery(`${hosts} | ${METRICS.map(([, m]) => m).join(' | ')}`, EVERY, onMessage, (state) => {
      setLive(state);
      if (state.error) setError(state.error);
    });
    return () => {
      stop();
      prefetch.current.reset();
    };
  }, [applied, refreshAgents]);

  const rows: HostRow[] = list
    .filter((a) => !matched || matched.has(a.name))
    .sort((a, b) => BY_NAME.compare(a.name, b.name))
    .map((agent) => {
      const r = metrics.get(agent.name);
      const cpu = num(r, 'cpu_usage');
      const mem = num(r, 'mem_usage');
      const disk = num(r, 'disk_usage');
      return { agent, ...(cpu !== undefined ? { cpu } : {}), ...(mem !== undefined ? { mem } : {}), ...(disk !== undefined ? { disk } : {}), ...(r && r.status !== 'ok' ? { error: `${r.status}${r.error ? `: ${r.error}` : ''}` } : {}) };
    });
  shownRows.current = rows;
  const connected = list.filter((a) => a.status === 'connected').length;

  const metricCell = (r: HostRow, k: (typeof METRICS)[number][0]) => (
    <span className="metric">
      <span className="metric-value">{r[k] === undefined ? '-' : cell(r[k], PERCENT)}</span>
      <Sparkline values={history.current.values(seriesKey(r.agent.name, k))} max={100} width={72} height={18} />
    </span>
  );
  const columns: Column<HostRow>[] = [
    { key: 'name', header: 'host', width: 'minmax(9rem, 1.2fr)', render: (r) => <strong>{r.agent.name}</strong> },
    {
      key: 'status',
      header: 'status',
      width: '8.5rem',
      render: (r) => (
        <span className={`status status-${r.agent.status}`} title={r.error ?? (r.agent.status === 'connected' ? 'connected' : `last seen ${ago(r.agent.lastSeenAt)}`)}>
          ● {r.agent.status === 'connected' ? (r.error ? 'no answer' : 'connected') : 'offline'}
        </span>
      ),
    },
    {
      key: 'tags',
      header: 'tags',
      width: 'minmax(10rem, 2fr)',
      render: (r) => (
        <span className="tags">
          {Object.entries(r.agent.tags).map(([k, v]) => (
            <span key={k} className="tag">
              {k}={v}
            </span>
          ))}
        </span>
      ),
    },
    { key: 'cpu', header: 'CPU', width: '10rem', render: (r) => metricCell(r, 'cpu') },
    { key: 'mem', header: 'memory', width: '10rem', render: (r) => metricCell(r, 'mem') },
    { key: 'disk', header: 'fullest disk', width: '10rem', render: (r) => metricCell(r, 'disk') },
  ];

  return (
    <div className="page fleet">
      <h1>
        Fleet{' '}
        <span className="dim small" data-testid="fleet-count">
          {COUNT.format(connected)} of {COUNT.format(list.length)} hosts connected
        </span>{' '}
        <span className={`small ${live?.live ? 'status-connected' : 'status-disconnected'}`} data-testid="live" data-live={live?.live ? 'yes' : 'no'}>
          {live?.live ? '● live' : live ? '○ reconnecting…' : '○ connecting…'}
        </span>
      </h1>
      <form
        className="filter"
        onSubmit={(e) => {
          e.preventDefault();
          if (!analysis || analysis.ok) setApplied(filter);
        }}
      >
        <Editor value={filter} onChange={setFilter} onRun={() => (!analysis || analysis.ok) && setApplied(filter)} diagnostics={diagnostics} catalogue={props.catalogue} source="host" rows={1} ariaLabel="filter" placeholder='filter with a pipeline: role = "web" | cpu_usage > 50   (Ctrl-Enter applies)' />
        <button type="submit" disabled={Boolean(analysis && !analysis.ok)}>
          Filter
        </button>
        {applied && (
          <button
            type="button"
            onClick={() => {
              setFilter('');
              setApplied('');
            }}
          >
            Clear
          </button>
        )}
      </form>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      <div className={selected ? 'fleet-split' : undefined}>
        <VirtualTable rows={rows} columns={columns} rowKey={(r) => r.agent.name} onRowsShown={onRowsShown} onRowClick={(r) => setSelected(r.agent.name === selected ? undefined : r.agent.name)} selected={selected} maxVisible={24} testId="fleet-table" />
        {selected && <HostDetail host={selected} catalogue={props.catalogue} onClose={() => setSelected(undefined)} />}
      </div>
    </div>
  );
}

/**
 * Sparkline history for the hosts in view only: with 1,000 hosts, two minutes of three metrics for
 * all of them is ~12 MB of JSON on every page load; the ~30 rows in view are ~0.4 MB. Rows scrolled
 * into view are fetched together once scrolling rests; each host once per filter.
 */
class HistoryPrefetch {
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

/** An hour at one point a second: what the chart keeps. */
const CHART_POINTS = 3600;

/**
 * A host's chart and processes: the metric's last hour once, then each second's value appended
 * from a live query; the process table from another live query.
 */
function HostDetail(props: { host: string; catalogue: Catalogue | undefined; onClose: () => void }) {
  const hostMetrics = props.catalogue?.resources.host.metrics ?? [];
  const [metric, setMetric] = useState('cpu_usage');
  const [series, setSeries] = useState<{ xs: number[]; ys: (number | null)[] } | undefined>();
  const [procs, setProcs] = useState<ResultRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const sel = `host | name = ${JSON.stringify(props.host)}`;
  const procStatement = `${sel} | process | cpu_usage | mem_rss_bytes | top(100, cpu_usage)`;
  const procColumns = useMemo(() => (props.catalogue ? [...(analyze(procStatement, props.catalogue).plan?.columns ?? [])] : []), [procStatement, props.catalogue]);

  useEffect(() => {
    const controller = new AbortController();
    const points = { xs: [] as number[], ys: [] as (number | null)[] };
    const show = () => setSeries({ xs: [...points.xs], ys: [...points.ys] });
    setSeries(undefined);
    const onState = (state: LiveState) => setError(state.error);
    query(`${sel} | ${metric}[1h]`, controller.signal)
      .then((chart) => {
        const [xs, ys] = seriesPoints(chart.rows[0]?.values[`${metric}[1h]`]);
        // Live values that arrived while the hour was loading go after it.
        const after = points.xs.findIndex((x) => x > (xs.at(-1) ?? -Infinity));
        points.xs = [...xs, ...(after < 0 ? [] : points.xs.slice(after))];
        points.ys = [...ys, ...(after < 0 ? [] : points.ys.slice(after))];
        show();
      })
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError((err as Error).message);
      });
    const stopChart = liveQuery(
      `${sel} | ${metric}`,
      '1s',
      (m) => {
        if (m.type === 'error') return setError(m.message);
        const v = m.rows[0]?.values[metric];
        const x = Math.floor(m.time / 1000);
        if (typeof v !== 'number' || x <= (points.xs.at(-1) ?? -Infinity)) return;
        points.xs.push(x);
        points.ys.push(v);
        if (points.xs.length > CHART_POINTS) {
          points.xs.shift();
          points.ys.shift();
        }
        show();
      },
      onState,
    );
    const stopProcs = liveQuery(procStatement, '2s', (m) => (m.type === 'error' ? setError(m.message) : setProcs([...m.rows, ...m.failures])), onState);
    return () => {
      controller.abort();
      stopChart();
      stopProcs();
    };
  }, [sel, metric, procStatement]);

  const unit: Dimension | undefined = hostMetrics.find((m) => m.name === metric)?.dim;
  return (
    <section className="host-detail" data-testid="host-detail">
      <header>
        <h2>{props.host}</h2>
        <button className="link" onClick={props.onClose} aria-label="close">
          ✕
        </button>
      </header>
      {error && <div className="error-box">{error}</div>}
      <label className="metric-pick">
        metric{' '}
        <select value={metric} onChange={(e) => setMetric(e.target.value)}>
          {hostMetrics.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>{' '}
        <span className="dim">last hour, 1 s resolution, live</span>
      </label>
      {series && series.xs.length > 1 ? (
        <Suspense fallback={<p className="dim">Loading…</p>}>
          <Chart title={metric} xs={series.xs} ys={series.ys} unit={unit} />
        </Suspense>
      ) : (
        <p className="dim">{series ? 'No samples yet.' : 'Loading…'}</p>
      )}
      <h3>Processes</h3>
      {procs ? <Results rows={procs} columns={procColumns} ordered /> : <p className="dim">Loading…</p>}
    </section>
  );
}
