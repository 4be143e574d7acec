/**
 * The Console: write a pipeline (highlighted, completed, checked as you type, filters also against
 * the fleet's tag and attribute values: `no host has role = "wbe"; did you mean "web" (12 hosts)?`), run it with
 * Ctrl-Enter or the Run button, and read the answer grouped across hosts. Runs that exceed the
 * blast radius ask for confirmation and run again with `yes`. Dry run (for a command or action)
 * runs nothing and explains what the run would do: targets, batches, breakers, approval, blast
 * radius. Your runs are kept in this browser.
 * The statement is the URL's (`/console?q=…`), so a link opens the Console with it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Catalogue, Plan } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { ResultRow, SummaryLine } from '../protocol/index.js';
import type { Whoami } from './api.js';
import { ApiError, errorMessage, roleAtLeast, streamQuery } from './api.js';
import { Editor } from './Editor.js';
import { useFleetInventory } from './fleet-values.js';
import { DryRunExplanation } from './DryRunExplanation.js';
import { Results } from './Results.js';
import { replaceView } from './url-state.js';

const HISTORY_KEY = 'breakwater.history';
const STATEMENT_KEY = 'breakwater.console';

interface HistoryEntry {
  readonly statement: string;
  readonly at: number;
  readonly rows: number;
  /** Failed targets (the summary line's `failed`: a non-zero exit, or never ran). */
  readonly failed: number;
  readonly runId: string | null;
}

interface Confirm {
  readonly statement: string;
  readonly message: string;
  readonly targets: number;
  readonly limit: number;
  readonly sample: readonly string[];
}

function loadHistory(): HistoryEntry[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as HistoryEntry[];
  } catch {
    return [];
  }
}

/** Why the current user may not run this statement, or undefined when they may. */
export function runBlocked(me: Whoami | undefined, plan: Plan | undefined): string | undefined {
  if (!me) return 'signing in…';
  if (!plan) return undefined;
  if (!roleAtLeast(me.role, plan.requires)) {
    const what = plan.effects.commands.length ? 'runs a shell command' : plan.effects.actions.length ? 'runs an action' : 'needs more rights';
    return `This statement ${what}: it needs the ${plan.requires} role; your token \`${me.name}\` has ${me.role}.`;
  }
  return undefined;
}

export function ConsolePage(props: { me: Whoami | undefined; catalogue: Catalogue | undefined }) {
  const [statement, setStatement] = useState(() => new URLSearchParams(window.location.search).get('q') ?? sessionStorage.getItem(STATEMENT_KEY) ?? 'host | cpu_usage | mem_usage | disk_usage');
  const [rows, setRows] = useState<ResultRow[]>([]);
  const [plan, setPlan] = useState<Plan | undefined>();
  const [summary, setSummary] = useState<SummaryLine | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [running, setRunning] = useState(false);
  const [confirm, setConfirm] = useState<Confirm | undefined>();
  const [history, setHistory] = useState<HistoryEntry[]>(loadHistory);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    sessionStorage.setItem(STATEMENT_KEY, statement);
    // As it is typed: the link is always the statement shown, without a history step per key.
    replaceView(statement ? `?${new URLSearchParams({ q: statement }).toString()}` : '');
  }, [statement]);
  // With the fleet's values, a filter on one no host has (near one some have) is warned about as you type.
  const fleet = useFleetInventory();
  const analysis = useMemo(() => (props.catalogue ? analyze(statement, props.catalogue, fleet && (() => fleet)) : undefined), [statement, props.catalogue, fleet]);
  const diagnostics = statement.trim() ? (analysis?.diagnostics ?? []) : [];
  const blocked = runBlocked(props.me, analysis?.plan);
  const invalid = analysis && !analysis.ok;

  const effectful = Boolean(analysis?.plan && analysis.plan.effects.commands.length + analysis.plan.effects.actions.length > 0);
  const run = async (text: string, yes = false, dryRun = false) => {
    if (running || !text.trim()) return;
    if (blocked || invalid) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setRunning(true);
    setRows([]);
    setPlan(undefined);
    setSummary(undefined);
    setError(undefined);
    const got: ResultRow[] = [];
    let pending = false;
    const flush = () => {
      pending = false;
      setRows([...got]);
    };
    let last: SummaryLine | undefined;
    try {
      await streamQuery(
        { statement: text, ...(yes ? { yes: true } : {}), ...(dryRun ? { dryRun: true } : {}) },
        (line) => {
          if (line.type === 'plan') setPlan(line.plan);
          else if (line.type === 'row') {
            got.push(line.row);
            if (!pending) {
              pending = true;
              requestAnimationFrame(flush);
            }
          } else if (line.type === 'summary') {
            last = line;
            setSummary(line);
          } else if (line.type === 'error') setError(`${line.code}: ${line.message}`);
        },
        controller.signal,
      );
      flush();
      if (last && !dryRun) {
        const entry: HistoryEntry = { statement: text, at: Date.now(), rows: last.rows, failed: last.failed, runId: last.runId };
        setHistory((h) => {
          const next = [entry, ...h.filter((x) => x.statement !== text)].slice(0, 50);
          localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
          return next;
        });
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') {
        const d = err.details as { targets?: number; limit?: number; sample?: string[] };
        setConfirm({ statement: text, message: err.message, targets: d.targets ?? 0, limit: d.limit ?? 0, sample: d.sample ?? [] });
      } else if ((err as Error).name !== 'AbortError') {
        setError(errorMessage(err));
      }
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="page console">
      <div className="console-main">
        <h1>Console</h1>
        <Editor value={statement} onChange={setStatement} onRun={() => void run(statement)} diagnostics={diagnostics} catalogue={props.catalogue} rows={3} placeholder='host | role = "web" | `uptime`' />
        <div className="toolbar">
          <button className="primary" data-testid="run" disabled={Boolean(blocked) || Boolean(invalid) || running || !statement.trim()} title={blocked ?? (invalid ? 'fix the statement first' : 'Ctrl-Enter')} onClick={() => void run(statement)}>
            {running ? 'Running…' : 'Run'}
          </button>
          {effectful && (
            <button data-testid="dry-run" disabled={Boolean(blocked) || Boolean(invalid) || running} title="run nothing: see the targets, batches, breakers, approval and blast radius" onClick={() => void run(statement, false, true)}>
              Dry run
            </button>
          )}
          {running && (
            <button onClick={() => abort.current?.abort()} data-testid="cancel">
              Cancel
            </button>
          )}
          <span className="hint">Ctrl-Enter runs · Tab completes</span>
          {blocked && props.me && (
            <span className="blocked" data-testid="run-blocked">
              {blocked}
            </span>
          )}
        </div>
        {error && (
          <div className="error-box" role="alert" data-testid="query-error">
            {error}
          </div>
        )}
        {summary && (
          <div className="run-summary" data-testid="run-summary">
            {summary.rows} rows · {summary.failed} failed · {summary.agentsAnswered}/{summary.agentsAsked} agents answered · {summary.durationMs} ms
          </div>
        )}
        {summary?.explanation && <DryRunExplanation explanation={summary.explanation} />}
        {(rows.length > 0 || summary) && <Results rows={rows} columns={plan?.columns ?? []} ordered={plan?.ordered ?? false} />}
      </div>
      <aside className="history" data-testid="history">
        <h2>Your runs</h2>
        {history.length === 0 && <p className="dim">Runs you make appear here.</p>}
        <ul>
          {history.map((h) => (
            <li key={`${h.at}-${h.statement}`}>
              <button className="link" onClick={() => setStatement(h.statement)} title="put it in the editor">
                <code>{h.statement}</code>
              </button>
              <span className={h.failed ? 'dim bad-text' : 'dim'}>
                {new Date(h.at).toLocaleTimeString()} · {h.rows} rows{h.failed ? ` · ${h.failed} failed` : ''}
              </span>
            </li>
          ))}
        </ul>
      </aside>
      {confirm && (
        <div className="dialog-backdrop">
          <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog">
            <h2 id="confirm-title">Run on {confirm.targets} resources?</h2>
            <p>
              This touches more than the {confirm.limit} resources allowed without confirmation. Nothing has run yet.
            </p>
            {confirm.sample.length > 0 && (
              <p className="dim">
                Targets include: {confirm.sample.join(', ')}
                {confirm.targets > confirm.sample.length ? `, +${confirm.targets - confirm.sample.length} more` : ''}
              </p>
            )}
            <pre className="output">{confirm.statement}</pre>
            <div className="toolbar">
              <button onClick={() => setConfirm(undefined)}>Cancel</button>
              <button
                className="danger"
                data-testid="confirm-run"
                onClick={() => {
                  const s = confirm.statement;
                  setConfirm(undefined);
                  void run(s, true);
                }}
              >
                Run on {confirm.targets}
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
