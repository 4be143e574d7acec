/**
 * One run (`/runs/<id>`): what ran, who started it and how it ended, then each target's status,
 * exit code, duration and output. Long output is collapsed to its first lines; what the page
 * renders is bounded (MAX_SHOWN), the rest is said and left to `breakwater get run <id> -o json`.
 */
import { useEffect, useState } from 'react';
import { runKindOf, runRunbookOf } from '../definitions/index.js';
import type { RunResult, RunWithResults } from '../protocol/index.js';
import { BY_NAME, runDuration } from '../protocol/index.js';
import { ApiError, run as fetchRun } from './api.js';
import { navigateOnClick } from './navigate.js';
import { runbookTarget } from './runbook-link.js';
import { localTime } from './format.js';
import { runsPath } from './runs-url.js';
import { TableHead } from './TableHead.js';

/** Lines shown before "Show all". */
export const COLLAPSED_LINES = 12;
/** Characters rendered at most for one output, expanded: a browser tab stays responsive. */
export const MAX_SHOWN = 256 * 1024;

/** What an output block shows: the first lines while collapsed, at most MAX_SHOWN characters, and what was left out. */
export function visibleOutput(text: string, expanded: boolean): { shown: string; lines: number; hiddenLines: number; truncatedChars: number } {
  const lines = text.replace(/\n$/, '').split('\n');
  if (!expanded && lines.length > COLLAPSED_LINES) {
    const shown = lines.slice(0, COLLAPSED_LINES).join('\n').slice(0, MAX_SHOWN);
    return { shown, lines: lines.length, hiddenLines: lines.length - COLLAPSED_LINES, truncatedChars: 0 };
  }
  const shown = text.slice(0, MAX_SHOWN);
  return { shown, lines: lines.length, hiddenLines: 0, truncatedChars: text.length - shown.length };
}

/** A run's status as a badge: green when it succeeded, red when it did not, blue while it runs. */
export function StatusBadge(props: { status: string }) {
  const tone = props.status === 'succeeded' ? 'ok' : props.status === 'running' || props.status === 'dry_run' ? 'neutral' : 'bad';
  return <span className={`badge ${tone}`}>{props.status}</span>;
}

/** How a run started; a runbook cell's run links to its runbook on the Runbooks page (by name, as an alarm's link does). */
export function RunKind(props: { principal: string }) {
  const from = runRunbookOf(props.principal);
  if (!from) return <>{runKindOf(props.principal)}</>;
  return (
    <a href={runbookTarget(from.runbook, {}).href} onClick={navigateOnClick} data-testid="run-runbook" title={`open the runbook ${from.runbook}: this run is its cell ${from.cell}`}>
      runbook {from.runbook}, cell {from.cell}
    </a>
  );
}

/** When a run started, in the browser's time zone; the exact time on hover. */
export const Started = (props: { at: number }) => <span title={new Date(props.at).toISOString()}>{localTime(props.at / 1000)}</span>;

function OutputBlock(props: { name: 'stdout' | 'stderr' | 'error'; text: string; runId: string }) {
  const [expanded, setExpanded] = useState(false);
  const v = visibleOutput(props.text, expanded);
  return (
    <div className="run-output" data-testid={`run-${props.name}`}>
      <div className="hint">
        {props.name} · {v.lines} {v.lines === 1 ? 'line' : 'lines'}
      </div>
      <pre className={`output ${props.name === 'stdout' ? '' : 'stderr'}`}>{v.shown}</pre>
      {v.hiddenLines > 0 && (
        <button type="button" className="link" onClick={() => setExpanded(true)} data-testid="show-all">
          Show all {v.lines} lines
        </button>
      )}
      {expanded && props.text.split('\n').length > COLLAPSED_LINES && (
        <button type="button" className="link" onClick={() => setExpanded(false)}>
          Collapse
        </button>
      )}
      {v.truncatedChars > 0 && (
        <p className="hint" data-testid="output-truncated">
          {v.truncatedChars} more characters not shown here: <code>breakwater get run {props.runId} -o json</code> has all of it.
        </p>
      )}
    </div>
  );
}

function ResultRows(props: { result: RunResult; runId: string }) {
  const r = props.result;
  const outputs = (['stdout', 'stderr', 'error'] as const).filter((k) => r[k]);
  const failed = r.status !== 'ok' || (r.exitCode !== null && r.exitCode !== 0);
  return (
    <>
      <tr data-testid="result-row" data-host={r.host} data-resource={r.resourceId} data-exit={r.exitCode ?? ''} data-status={r.status}>
        <td>{r.host}</td>
        <td className="dim">{r.resourceId === r.host ? '' : r.resourceId}</td>
        <td>
          <span className={`badge ${failed ? 'bad' : 'ok'}`}>{r.status}</span>
        </td>
        <td className={`num${failed ? ' bad-text' : ''}`} data-testid="exit-code">
          {r.exitCode ?? '–'}
        </td>
        <td className="num nowrap">{r.durationMs === null ? '–' : runDuration(0, r.durationMs)}</td>
      </tr>
      <tr className="result-output">
        <td colSpan={5}>{outputs.length === 0 ? <span className="hint">no output</span> : outputs.map((k) => <OutputBlock key={k} name={k} text={r[k] ?? ''} runId={props.runId} />)}</td>
      </tr>
    </>
  );
}

/** A run's page: its summary and its results, failures first, then by host. */
export function RunDetail(props: { id: string }) {
  const [detail, setDetail] = useState<RunWithResults | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let stopped = false;
    setDetail(undefined);
    fetchRun(props.id)
      .then((d) => {
        if (stopped) return;
        setDetail(d);
        setError(undefined);
      })
      .catch((err: unknown) => !stopped && setError(err instanceof ApiError && err.code === 'BW_ERR_FORBIDDEN' ? `You cannot read this run's output: ${err.message}` : err instanceof ApiError ? err.message : String(err)));
    return () => {
      stopped = true;
    };
  }, [props.id]);

  const back = (
    <a href="/runs" onClick={navigateOnClick} data-testid="back-to-runs">
      ← Runs
    </a>
  );
  if (error)
    return (
      <div className="run-detail">
        {back}
        <p className="error-box" role="alert" data-testid="run-error">
          {error}
        </p>
      </div>
    );
  if (!detail) return <p className="dim">Loading run {props.id}…</p>;
  const { run, results } = detail;
  const failedFirst = (r: RunResult) => (r.status !== 'ok' || (r.exitCode ?? 0) !== 0 ? 0 : 1);
  const sorted = [...results].sort((a, b) => failedFirst(a) - failedFirst(b) || BY_NAME.compare(a.host, b.host) || BY_NAME.compare(a.resourceId, b.resourceId));
  return (
    <div className="run-detail" data-testid="run-detail" data-id={run.id}>
      {back}
      <header className="page-head">
        <h1>Run</h1>
        <StatusBadge status={run.status} />
        <span className="hint">{run.id}</span>
      </header>
      <pre className="output run-statement" data-testid="run-statement">
        {run.statement}
      </pre>
      <dl className="run-facts">
        <dt>Who</dt>
        <dd>
          <a href={runsPath({ principal: run.principal })} onClick={navigateOnClick}>
            {run.principal}
          </a>{' '}
          <span className="dim">
            (<RunKind principal={run.principal} />)
          </span>
        </dd>
        <dt>Started</dt>
        <dd>
          <Started at={run.startedAt} />
        </dd>
        <dt>Took</dt>
        <dd>{runDuration(run.startedAt, run.finishedAt)}</dd>
        <dt>Targets</dt>
        <dd data-testid="run-counts">
          {run.targets} {run.targets === 1 ? 'target' : 'targets'}, <span className={run.failures ? 'bad-text' : undefined}>{run.failures} failed</span>
        </dd>
      </dl>
      {results.length === 0 ? (
        <p className="dim">{run.status === 'running' ? 'No result yet: the run is still going.' : 'This run recorded no result (nothing was reached, or it was refused or interrupted first).'}</p>
      ) : (
        <table className="table results-table" data-testid="run-results">
          <TableHead columns={['Host', 'Resource', 'Status', { label: 'Exit', num: true }, { label: 'Took', num: true }]} />
          <tbody>
            {sorted.map((r, i) => (
              <ResultRows key={`${r.resourceId}-${i}`} result={r} runId={run.id} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
