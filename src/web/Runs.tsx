/**
 * Runs: every recorded run (ad hoc, runbook cells, bots, schedules, approved bot runs), newest
 * first, filtered server-side by bot, host, status, kind, principal and time; the filter lives in
 * the URL (runs-url.ts). `/runs/<id>` shows one run with each resource's result (RunDetail).
 */
import { useCallback, useEffect, useState } from 'react';
import { runKindOf } from '../definitions/index.js';
import type { Run } from '../protocol/index.js';
import { RUN_STATUSES, runDuration } from '../protocol/index.js';
import { ApiError, runs as fetchRuns } from './api.js';
import { localTime } from './format.js';
import { navigateOnClick } from './navigate.js';
import { RunDetail, RunKind, Started, StatusBadge } from './RunDetail.js';
import type { RunsFilter } from './runs-url.js';
import { NO_FILTER, RANGES, apiQuery, filterOf, runIdOf, runPath, runsPath } from './runs-url.js';
import { PAGED_SORT_NOTE, TableHead } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';
import { useUrlSort } from './url-state.js';

const PAGE = 100;
const KINDS: Readonly<Record<string, string>> = { adhoc: 'ad hoc (people)', bot: 'bots', schedule: 'schedules', approval: 'approved bot runs', runbook: 'runbook cells' };

export function RunsPage(props: { path: string }) {
  const id = runIdOf(props.path);
  return id === undefined ? <RunList /> : <RunDetail id={id} />;
}

/** The list's filter: read from the URL, and written back to it (replacing, so Back leaves the page). */
function useUrlFilter(): [RunsFilter, (f: RunsFilter) => void] {
  const [filter, setFilter] = useState<RunsFilter>(() => filterOf(window.location.search));
  useEffect(() => {
    const onPop = () => setFilter(filterOf(window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const change = useCallback((f: RunsFilter) => {
    // The header sort stays: it orders whichever runs the filter lists.
    window.history.replaceState(null, '', runsPath(f, new URLSearchParams(window.location.search).get('sort') ?? undefined));
    setFilter(f);
  }, []);
  return [filter, change];
}

/** One of the list's choice filters: a select named by its filter key, its options as [value, label]. */
function FilterSelect(props: { name: 'status' | 'kind' | 'since'; value: string; options: readonly (readonly [string, string])[]; onChange: (key: keyof RunsFilter, value: string) => void }) {
  return (
    <select aria-label={props.name} value={props.value} onChange={(e) => props.onChange(props.name, e.target.value)} data-testid={`runs-filter-${props.name}`}>
      {props.options.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </select>
  );
}

/** Each sortable column's value (the keys are the URL's `sort=`). */
const SORT_VALUES: Readonly<Record<string, (r: Run) => SortValue>> = {
  started: (r) => r.startedAt,
  kind: (r) => runKindOf(r.principal),
  who: (r) => r.principal,
  what: (r) => r.statement,
  status: (r) => r.status,
  targets: (r) => r.targets,
  failed: (r) => r.failures,
  took: (r) => (r.finishedAt === null ? undefined : r.finishedAt - r.startedAt),
};

function RunList() {
  const [filter, setFilter] = useUrlFilter();
  const sorting = useUrlSort();
  // Typed filters apply after a short pause; the selects at once.
  const [typed, setTyped] = useState(filter);
  const [rows, setRows] = useState<Run[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => setTyped(filter), [filter]);
  useEffect(() => {
    if (typed === filter) return;
    const t = setTimeout(() => setFilter(typed), 300);
    return () => clearTimeout(t);
  }, [typed, filter, setFilter]);

  const load = useCallback(async (f: RunsFilter, before?: number) => {
    setLoading(true);
    try {
      const page = await fetchRuns(apiQuery(f, Date.now(), PAGE, before));
      setRows((current) => (before === undefined ? page : [...current, ...page.filter((r) => !current.some((c) => c.id === r.id))]));
      setMore(page.length === PAGE);
      setError(undefined);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      if (before === undefined) setRows([]);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(filter);
  }, [filter, load]);

  const select = (key: keyof RunsFilter, value: string) => setFilter({ ...typed, [key]: value });
  const text = (key: keyof RunsFilter, label: string, placeholder: string) => (
    <input aria-label={label} placeholder={placeholder} value={typed[key]} onChange={(e) => setTyped({ ...typed, [key]: e.target.value.trim() })} data-testid={`runs-filter-${key}`} />
  );
  const absoluteSince = filter.since !== '' && !(filter.since in RANGES);

  return (
    <div className="runs-page">
      <header className="page-head">
        <h1>Runs</h1>
        <span className="hint">commands and actions run by people, bots, schedules and approvals</span>
      </header>
      <div className="toolbar" data-testid="runs-filters">
        {text('bot', 'bot', 'bot')}
        {text('host', 'host', 'host')}
        {text('principal', 'principal', 'principal (who)')}
        <FilterSelect name="status" value={filter.status} onChange={select} options={[['', 'any status'], ...RUN_STATUSES.map((s) => [s, s] as const)]} />
        <FilterSelect name="kind" value={filter.kind} onChange={select} options={[['', 'every kind'], ...Object.entries(KINDS)]} />
        <FilterSelect
          name="since"
          value={filter.since}
          onChange={select}
          options={[['', 'any time'], ...Object.keys(RANGES).map((r) => [r, `last ${r}`] as const), ...(absoluteSince ? [[filter.since, `since ${Number.isFinite(Number(filter.since)) ? localTime(Number(filter.since) / 1000) : filter.since}`] as const] : [])]}
        />
        <button type="button" onClick={() => setFilter(NO_FILTER)} disabled={runsPath(filter) === '/runs'}>
          Clear
        </button>
        <button type="button" onClick={() => void load(filter)} disabled={loading}>
          Refresh
        </button>
        <span className="hint" data-testid="runs-count">
          {loading ? 'loading…' : `${rows.length}${more ? '+' : ''} runs, newest first`}
        </span>
      </div>
      {error && (
        <p className="error-box" role="alert" data-testid="runs-error">
          {error}
        </p>
      )}
      <table className="table" data-testid="runs-table">
        <TableHead
          columns={[{ label: 'Started', sort: 'started' }, { label: 'Kind', sort: 'kind' }, { label: 'Who', sort: 'who' }, { label: 'What', sort: 'what' }, { label: 'Status', sort: 'status' }, { label: 'Targets', num: true, sort: 'targets' }, { label: 'Failed', num: true, sort: 'failed' }, { label: 'Took', num: true, sort: 'took' }]}
          sorting={sorting}
          note={PAGED_SORT_NOTE}
        />
        <tbody>
          {sortedBy(rows, sorting.sort, SORT_VALUES).map((r) => (
            <tr key={r.id} data-testid="run-row" data-id={r.id} data-status={r.status} data-principal={r.principal}>
              <td className="nowrap">
                <Started at={r.startedAt} />
              </td>
              <td className="dim">
                <RunKind principal={r.principal} />
              </td>
              <td>{r.principal}</td>
              <td>
                <a href={runPath(r.id)} onClick={navigateOnClick} data-testid="run-link" title="open this run: each target's exit code and output">
                  <code className="wrap">{r.statement}</code>
                </a>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td className="num">{r.targets}</td>
              <td className={`num${r.failures ? ' bad-text' : ''}`}>{r.failures}</td>
              <td className="num nowrap">{runDuration(r.startedAt, r.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && rows.length === 0 && !error && <p className="dim">No run matches.</p>}
      {more && (
        <button type="button" disabled={loading} onClick={() => void load(filter, rows[rows.length - 1]?.startedAt)} data-testid="runs-older">
          Older runs
        </button>
      )}
    </div>
  );
}
