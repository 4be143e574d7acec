/**
 * Fleet: every agent with its connection state, tags and key metrics (CPU, memory, fullest disk)
 * as live values and sparklines. The control plane keeps one pipeline live and pushes each answer
 * (GET /api/v1/query/live, server-sent events every 2 s); the sparklines start with the last two
 * minutes from one range query, so they are drawn at once. The filter box takes a pipeline
 * (`role = "web"` or `host | zone = "a" | cpu_usage > 50`); one that orders (`sort(-cpu_usage)`,
 * `top(5, disk_usage)`) orders the table, until a column header is clicked. Clicking a host shows
 * its containers, pods and processes and a chart of any host metric over a range; ticking hosts
 * draws them on one compare chart. While the control plane cannot be reached, the rows stay as
 * last known, dimmed and marked with the time of the last answer. The view (filter, open host, range, compared hosts,
 * header sort) is the URL's (src/web/url-state.ts), so a link opens the same view and Back returns
 * to the previous filter. A sorted table re-sorts on every answer, except while the pointer is over
 * its rows: the order holds still there, so a row does not move away from under a click.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Catalogue } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import type { Agent, LiveMessage, LiveState } from './api.js';
import { liveQuery, unreachable } from './api.js';
import { Editor } from './Editor.js';
import { HistoryPrefetch, METRICS, seriesKey } from './fleet-history.js';
import { filterStatement, fleetStatement } from './fleet-statement.js';
import { sharedAgents } from './fleet-values.js';
import { BY_NAME, ago, cell } from './format.js';
import { SparkHistory } from './history.js';
import { HostDetail } from './HostDetail.js';
import { MetricChart } from './MetricChart.js';
import { useEscape } from './shortcuts.js';
import { Sparkline } from './Sparkline.js';
import { keepOrder, nextSort, sortFromParam, sortRows, sortToParam } from './table-sort.js';
import type { FleetView } from './url-state.js';
import { MAX_COMPARE, fleetSearch, parseFleetView, pushView, replaceView, useUrlSearch } from './url-state.js';
import type { Column } from './VirtualTable.js';
import { VirtualTable } from './VirtualTable.js';

const EVERY = '2s';
const STEP_MS = 2000;
/** Sparkline points: two minutes of 2-second steps. */
const KEEP = 60;
const PERCENT = { name: '', type: 'number', unit: 'percent' } as const;
const COUNT = new Intl.NumberFormat('en');
const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

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

const FILTER_KEY = 'breakwater.fleet.filter';


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
  const view = parseFleetView(useUrlSearch());
  const show = (patch: Partial<FleetView>, step: 'push' | 'replace') => (step === 'push' ? pushView : replaceView)(fleetSearch({ ...view, ...patch }));
  const applied = view.filter;
  const selected = view.host;
  const sortBy = sortFromParam(view.sort);
  const [filter, setFilter] = useState(applied);
  // Back and Forward bring another filter: the box shows it.
  useEffect(() => setFilter(applied), [applied]);
  // Plain /fleet (the nav link) shows the filter last applied in this tab.
  useEffect(() => {
    const kept = sessionStorage.getItem(FILTER_KEY);
    if (!window.location.search && kept) replaceView(fleetSearch({ ...parseFleetView(''), filter: kept }));
  }, []);
  const [list, setList] = useState<Agent[]>([]);
  const [metrics, setMetrics] = useState<Map<string, ResultRow>>(new Map());
  const [matched, setMatched] = useState<Set<string> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState<LiveState | undefined>();
  /** While the pointer is over the rows, their order as last shown (for the filter and sort it was shown with). */
  const held = useRef<{ readonly over: boolean; readonly view: string; readonly order: readonly string[] }>({ over: false, view: '', order: [] });
  /** Where each host came in the last answer: the table's order when the filter orders. */
  const [rank, setRank] = useState<ReadonlyMap<string, number>>(new Map());
  const [offline, setOffline] = useState(false);
  /** When the last answer was evaluated (ms epoch): what the rows show while the control plane is away. */
  const [lastKnown, setLastKnown] = useState<number | undefined>();
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
  const asked = useMemo(() => fleetStatement(applied, props.catalogue), [applied, props.catalogue]);
  /** A filter applied: a step Back returns from; a filter that orders the rows itself takes over from a clicked header. */
  const apply = (text: string) => {
    if (analysis && !analysis.ok) return;
    show({ filter: text, sort: fleetStatement(text, props.catalogue).ordered ? undefined : view.sort }, 'push');
  };
  useEscape(Boolean(selected), () => show({ host: undefined }, 'push'));
  useEscape(view.compare.length > 0, () => show({ compare: [] }, 'replace'));
  const diagnostics = filter.trim() ? (analysis?.diagnostics ?? []).map((d) => ({ ...d, location: { ...d.location, start: Math.max(0, d.location.start - shift), end: Math.max(0, d.location.end - shift), column: Math.max(1, d.location.column - shift) } })) : [];

  const refreshAgents = useCallback(async () => {
    if (fetchingAgents.current) return; // the next answer asks again if it still disagrees
    fetchingAgents.current = true;
    try {
      const all = await sharedAgents();
      known.current = new Map(all.map((a) => [a.name, a]));
      setList(all);
      setOffline(false);
    } catch (err) {
      if (unreachable(err)) setOffline(true);
      else setError((err as Error).message);
    } finally {
      fetchingAgents.current = false;
    }
  }, []);

  useEffect(() => {
    sessionStorage.setItem(FILTER_KEY, applied);
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
      setRank(new Map(all.flatMap((r, i) => (r.resource ? [[r.resource.name, i] as const] : []))));
      setMatched(applied.trim() ? new Set(byName.keys()) : undefined);
      setError(undefined);
      setOffline(false);
      setLastKnown(m.time);
      if (listDisagrees(known.current, all)) void refreshAgents();
    };
    const stop = liveQuery(asked.statement, EVERY, onMessage, (state) => {
      setLive(state);
      // The browser retries the stream by itself; asking for the agents says whether the control plane is there.
      if (!state.live) void refreshAgents();
      if (state.unreachable) setOffline(true);
      else if (state.error) setError(state.error);
    });
    return () => {
      stop();
      prefetch.current.reset();
    };
    // On the statement, not the memo's object: the catalogue arriving after the first render makes
    // a new object for the same statement, and restarting then cost a second agent list and live query.
  }, [applied, asked.statement, refreshAgents]);

  const inOrder = (a: Agent, b: Agent) => (asked.ordered ? (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity) : 0) || BY_NAME.compare(a.name, b.name);
  const unsorted: HostRow[] = list
    .filter((a) => !matched || matched.has(a.name))
    .sort(inOrder)
    .map((agent) => {
      const r = metrics.get(agent.name);
      const cpu = num(r, 'cpu_usage');
      const mem = num(r, 'mem_usage');
      const disk = num(r, 'disk_usage');
      return { agent, ...(cpu !== undefined ? { cpu } : {}), ...(mem !== undefined ? { mem } : {}), ...(disk !== undefined ? { disk } : {}), ...(r && r.status !== 'ok' ? { error: `${r.status}${r.error ? `: ${r.error}` : ''}` } : {}) };
    });
  const stale = offline || live?.live === false;
  const lastKnownAt = lastKnown === undefined ? 'never' : CLOCK.format(lastKnown);
  const connected = list.filter((a) => a.status === 'connected').length;

  const metricCell = (r: HostRow, k: (typeof METRICS)[number][0]) => (
    <span className="metric">
      <span className="metric-value">{r[k] === undefined ? '-' : cell(r[k], PERCENT)}</span>
      <Sparkline values={history.current.values(seriesKey(r.agent.name, k))} max={100} width={72} height={18} />
    </span>
  );
  const toggleCompare = (host: string) => show({ compare: view.compare.includes(host) ? view.compare.filter((h) => h !== host) : [...view.compare, host] }, 'replace');
  const columns: Column<HostRow>[] = [
    {
      key: 'pick',
      header: <span className="visually-hidden">compare</span>,
      width: '1.4rem',
      render: (r) => {
        const on = view.compare.includes(r.agent.name);
        return (
          <input
            type="checkbox"
            className="compare-pick"
            aria-label={`compare ${r.agent.name}`}
            title={on ? 'remove from the compare chart' : view.compare.length >= MAX_COMPARE ? `at most ${MAX_COMPARE} hosts on one chart` : 'add to the compare chart'}
            checked={on}
            disabled={!on && view.compare.length >= MAX_COMPARE}
            onClick={(e) => e.stopPropagation()}
            onChange={() => toggleCompare(r.agent.name)}
          />
        );
      },
    },
    { key: 'name', header: 'host', width: 'minmax(9rem, 1.2fr)', sortValue: (r) => r.agent.name, render: (r) => <strong>{r.agent.name}</strong> },
    {
      key: 'status',
      header: 'status',
      width: '8.5rem',
      sortValue: statusText,
      render: (r) =>
        stale ? (
          <span className="status status-stale" title={`the control plane is not answering; this was ${statusText(r)} at ${lastKnownAt}`}>
            ◌ as of {lastKnownAt}
          </span>
        ) : (
          <span className={`status status-${r.agent.status}`} title={r.error ?? (r.agent.status === 'connected' ? 'connected' : `last seen ${ago(r.agent.lastSeenAt)}`)}>
            ● {statusText(r)}
          </span>
        ),
    },
    {
      key: 'tags',
      header: 'tags',
      width: 'minmax(10rem, 2fr)',
      sortValue: (r) => Object.entries(r.agent.tags).map(([k, v]) => `${k}=${v}`).join(' '),
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
    { key: 'cpu', header: 'CPU', width: '10rem', sortValue: (r) => r.cpu, render: (r) => metricCell(r, 'cpu') },
    { key: 'mem', header: 'memory', width: '10rem', sortValue: (r) => r.mem, render: (r) => metricCell(r, 'mem') },
    { key: 'disk', header: 'fullest disk', width: '10rem', sortValue: (r) => r.disk, render: (r) => metricCell(r, 'disk') },
  ];
  const sortColumn = sortBy && columns.find((c) => c.key === sortBy.key)?.sortValue;
  const sorted = sortBy && sortColumn ? sortRows(unsorted, sortBy, sortColumn) : unsorted;
  const viewKey = `${applied}\u0000${view.sort ?? ''}`;
  const holding = held.current.over && held.current.view === viewKey && Boolean(sortBy ?? asked.ordered);
  const rows = holding ? keepOrder(held.current.order, sorted, (r) => r.agent.name) : sorted;
  held.current = { over: held.current.over, view: viewKey, order: rows.map((r) => r.agent.name) };
  shownRows.current = rows;
  const pointerOverRows = (over: boolean) => {
    held.current = { ...held.current, over };
    if (!over) setTick((t) => t + 1); // the order the values call for, at once
  };

  return (
    <div className="page fleet">
      <h1>
        Fleet{' '}
        <span className="dim small" data-testid="fleet-count">
          {COUNT.format(connected)} of {COUNT.format(list.length)} hosts connected{stale ? ` as of ${lastKnownAt}` : ''}
        </span>{' '}
        <span className={`small ${live?.live ? 'status-connected' : 'status-disconnected'}`} data-testid="live" data-live={live?.live ? 'yes' : 'no'}>
          {live?.live ? '● live' : live ? '○ reconnecting…' : '○ connecting…'}
        </span>
      </h1>
      {offline && (
        <div className="warn-box" role="alert" data-testid="fleet-offline">
          Cannot reach the control plane at {window.location.origin} — retrying. The rows below are the last known state, from {lastKnownAt}.
        </div>
      )}
      <form
        className="filter"
        onSubmit={(e) => {
          e.preventDefault();
          apply(filter);
        }}
      >
        <Editor value={filter} onChange={setFilter} onRun={() => apply(filter)} diagnostics={diagnostics} catalogue={props.catalogue} source="host" rows={1} ariaLabel="filter" submitOnEnter pageFilter placeholder='filter: role = "web" | cpu_usage > 50   (Enter applies)' />
        <button type="submit" disabled={Boolean(analysis && !analysis.ok)}>
          Filter
        </button>
        {applied && (
          <button
            type="button"
            onClick={() => {
              setFilter('');
              apply('');
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
      <div className={`${selected || view.compare.length ? 'fleet-split' : ''}${stale ? ' stale' : ''}`} data-stale={stale ? 'yes' : 'no'} data-testid="fleet-rows" data-holding={holding ? 'yes' : 'no'}>
        <VirtualTable rows={rows} columns={columns} rowKey={(r) => r.agent.name} sort={sortBy} onSort={(key) => show({ sort: sortToParam(nextSort(sortBy, key)) }, 'replace')} onRowsShown={onRowsShown} onRowClick={(r) => show({ host: r.agent.name === selected ? undefined : r.agent.name }, 'push')} selected={selected} maxVisible={24} minWidth="60rem" onPointerOverRows={pointerOverRows} testId="fleet-table" />
        {(selected || view.compare.length > 0) && (
          <div className="fleet-side">
            {view.compare.length > 0 && (
              <section className="host-detail" data-testid="compare" aria-label="compare hosts">
                <header>
                  <h2>Compare {view.compare.join(', ')}</h2>
                  <button className="link" onClick={() => show({ compare: [] }, 'replace')} aria-label="close compare" title="close (Esc)">
                    ✕
                  </button>
                </header>
                <MetricChart hosts={view.compare} catalogue={props.catalogue} range={view.range} onRange={(range) => show({ range }, 'replace')} />
              </section>
            )}
            {selected && <HostDetail host={selected} containerDiscovery={list.find((a) => a.name === selected)?.attributes.container_discovery} catalogue={props.catalogue} range={view.range} onRange={(range) => show({ range }, 'replace')} onClose={() => show({ host: undefined }, 'push')} />}
          </div>
        )}
      </div>
    </div>
  );
}

function statusText(r: HostRow): string {
  if (r.agent.status !== 'connected') return 'offline';
  return r.error ? 'no answer' : 'connected';
}
