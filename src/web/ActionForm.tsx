/**
 * Actions: run a defined action from a form built from its parameters (type, default, whether it
 * is required), on the hosts a target query selects, with a live count of what the query matches.
 * The form writes the statement (shown as it is built), checks it with POST /api/v1/check as you
 * type (the checker's messages, the fleet's typo warnings), and runs it with POST /api/v1/query,
 * as the Console does: roles, action rules, approvals, the blast radius and the audit all apply.
 * The chosen action and target are in the URL (`/actions?action=clean_logs&target=...`).
 */
import { useEffect, useMemo, useState } from 'react';
import type { ActionParamSpec, ActionSpec, Catalogue, Diagnostic, Plan } from '../lang/index.js';
import type { ResultRow, SummaryLine } from '../protocol/index.js';
import type { Whoami } from './api.js';
import { ApiError, catalogue as fetchCatalogue, errorMessage, postJson, query, streamQuery } from './api.js';
import type { ActionValues } from './action-statement.js';
import { actionStatement } from './action-statement.js';
import { runBlocked } from './Console.js';
import { Results } from './Results.js';

/** How long typing pauses before the statement is checked and the targets counted. */
const SETTLE_MS = 300;

interface Check {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly plan: Plan | null;
}

/** The URL's choice of action and target, read once when the page opens. */
function fromUrl(): { action: string; target: string } {
  const q = new URLSearchParams(window.location.search);
  return { action: q.get('action') ?? '', target: q.get('target') ?? 'host' };
}

function ParamInput(props: { param: ActionParamSpec; value: string; onChange: (v: string) => void }) {
  const p = props.param;
  const id = `param-${p.name}`;
  const placeholder = p.default !== undefined ? `default: ${String(p.default)}` : p.required ? 'required' : 'optional';
  return (
    <label className="param" htmlFor={id}>
      <span>
        <code>{p.name}</code> <span className="dim">{p.type}</span>
        {p.required && <span className="bad-text"> *</span>}
      </span>
      {p.type === 'bool' ? (
        <select id={id} data-testid={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          <option value="">{p.default !== undefined ? `default (${String(p.default)})` : '—'}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : (
        // A number is typed as text: what is not one reaches the checker, which says why.
        <input id={id} data-testid={id} type="text" inputMode={p.type === 'number' ? 'decimal' : 'text'} value={props.value} placeholder={placeholder} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" />
      )}
      {p.description && <span className="dim small">{p.description}</span>}
    </label>
  );
}

/** The check of the statement and the count of targets, once typing settles. */
function useChecked(statement: string, target: string): { check: Check | undefined; checkError: string | undefined; targets: number | string | undefined } {
  const [check, setCheck] = useState<Check | undefined>();
  const [checkError, setCheckError] = useState<string | undefined>();
  // The count with the query it counted: a count of the query before the last edit is not shown as this one's.
  const [counted, setCounted] = useState<{ readonly target: string; readonly targets: number | string } | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      postJson<Check>('/api/v1/check', { statement })
        .then((c) => {
          if (controller.signal.aborted) return;
          setCheck(c);
          setCheckError(undefined);
        })
        .catch((err: unknown) => {
          if (controller.signal.aborted) return;
          setCheck(undefined);
          setCheckError(errorMessage(err));
        });
      query(target.trim() || 'host', controller.signal)
        .then((r) => !controller.signal.aborted && setCounted({ target, targets: r.rows.length + r.failures.length }))
        .catch((err: unknown) => !controller.signal.aborted && setCounted({ target, targets: errorMessage(err) }));
    }, SETTLE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [statement, target]);
  return { check, checkError, targets: counted?.target === target ? counted.targets : undefined };
}

/** The catalogue as the control plane has it now: actions applied since signing in are in it. */
function useFreshCatalogue(signedIn: Catalogue | undefined): Catalogue | undefined {
  const [fresh, setFresh] = useState<Catalogue | undefined>();
  useEffect(() => {
    fetchCatalogue()
      .then(setFresh)
      .catch(() => undefined); // the one from sign-in serves
  }, []);
  return fresh ?? signedIn;
}

export function ActionFormPage(props: { me: Whoami; catalogue: Catalogue | undefined }) {
  const cat = useFreshCatalogue(props.catalogue);
  const actions = useMemo(() => Object.values(cat?.actions ?? {}).sort((a, b) => a.name.localeCompare(b.name)), [cat]);
  const initial = useMemo(fromUrl, []);
  const [name, setName] = useState(initial.action);
  const [target, setTarget] = useState(initial.target);
  const [values, setValues] = useState<ActionValues>({});
  const action: ActionSpec | undefined = actions.find((a) => a.name === name) ?? actions[0];
  const statement = action ? actionStatement(target, action, values) : '';
  const { check, checkError, targets } = useChecked(statement, target);

  const [rows, setRows] = useState<ResultRow[]>([]);
  const [plan, setPlan] = useState<Plan | undefined>();
  const [summary, setSummary] = useState<SummaryLine | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const [running, setRunning] = useState(false);

  useEffect(() => {
    if (!action) return;
    const q = new URLSearchParams({ action: action.name, target });
    window.history.replaceState(null, '', `/actions?${q.toString()}`);
  }, [action, target]);

  const blocked = runBlocked(props.me, check?.plan ?? undefined);
  const errors = [...(check?.diagnostics ?? []).filter((d) => d.severity === 'error').map((d) => d.message), ...(checkError ? [`cannot check the statement: ${checkError}`] : [])];
  const warnings = (check?.diagnostics ?? []).filter((d) => d.severity !== 'error');

  const run = async (dryRun: boolean, yes = false) => {
    setRunning(true);
    setRows([]);
    setPlan(undefined);
    setSummary(undefined);
    setError(undefined);
    setConfirm(undefined);
    const got: ResultRow[] = [];
    try {
      await streamQuery({ statement, ...(dryRun ? { dryRun: true } : {}), ...(yes ? { yes: true } : {}) }, (line) => {
        if (line.type === 'plan') setPlan(line.plan);
        else if (line.type === 'row') got.push(line.row);
        else if (line.type === 'summary') setSummary(line);
        else if (line.type === 'error') setError(`${line.code}: ${line.message}`);
      });
      setRows(got);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') setConfirm(err.message);
      else setError(errorMessage(err));
    } finally {
      setRunning(false);
    }
  };

  if (!cat) return <p className="dim">Loading the catalogue…</p>;
  if (!action) return <p className="dim">No action is defined: apply definitions with an `action` first.</p>;
  return (
    <div className="page action-form">
      <h1>Run an action</h1>
      <form
        className="panel form-grid"
        data-testid="action-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <label className="param">
          <span>Action</span>
          <select
            data-testid="action-select"
            value={action.name}
            onChange={(e) => {
              setName(e.target.value);
              setValues({});
            }}
          >
            {actions.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
          {action.description && <span className="dim small">{action.description}</span>}
        </label>
        <label className="param">
          <span>Targets (a query selecting {action.resources.join(' or ')})</span>
          <input data-testid="target" type="text" value={target} onChange={(e) => setTarget(e.target.value)} autoComplete="off" spellCheck={false} />
          <span className="small" data-testid="target-count">
            {targets === undefined ? 'counting…' : typeof targets === 'number' ? `matches ${targets} ${targets === 1 ? 'resource' : 'resources'} now` : `cannot count the targets: ${targets}`}
          </span>
        </label>
        {action.params.length === 0 && <p className="dim">This action takes no parameters.</p>}
        {action.params.map((p) => (
          <ParamInput key={`${action.name}.${p.name}`} param={p} value={values[p.name] ?? ''} onChange={(v) => setValues({ ...values, [p.name]: v })} />
        ))}
        <div className="statement">
          <span className="dim small">The statement this runs (as the Console and `breakwater run` would):</span>
          <pre className="output" data-testid="action-statement">{statement}</pre>
        </div>
        {errors.length > 0 && (
          <div className="error-box" role="alert" data-testid="action-invalid">
            {errors.map((message, i) => (
              <div key={i}>{message}</div>
            ))}
          </div>
        )}
        {warnings.map((d, i) => (
          <div key={i} className="warn-box" data-testid="action-warning">
            {d.message}
          </div>
        ))}
        <div className="toolbar">
          <button className="primary" type="submit" data-testid="action-run" disabled={running || !check?.ok || Boolean(blocked)} title={blocked ?? (check?.ok ? 'Run it' : 'fix the form first')}>
            {running ? 'Running…' : 'Run'}
          </button>
          <button type="button" data-testid="action-dry-run" disabled={running || !check?.ok || Boolean(blocked)} onClick={() => void run(true)}>
            Dry run
          </button>
          {blocked && <span className="blocked">{blocked}</span>}
        </div>
      </form>
      {confirm && (
        <div className="warn-box" role="alert" data-testid="action-confirm">
          <p>{confirm}</p>
          <button className="danger" data-testid="action-confirm-run" onClick={() => void run(false, true)}>
            Run it anyway
          </button>
        </div>
      )}
      {error && (
        <div className="error-box" role="alert" data-testid="action-error">
          {error}
        </div>
      )}
      {summary && (
        <div className="run-summary" data-testid="action-summary">
          {plan && summary.runId ? `run ${summary.runId} · ` : ''}
          {summary.rows} rows · {summary.failed} failed · {summary.agentsAnswered}/{summary.agentsAsked} agents answered · {summary.durationMs} ms
        </div>
      )}
      {(rows.length > 0 || summary) && <Results rows={rows} columns={plan?.columns ?? []} ordered={plan?.ordered ?? false} />}
    </div>
  );
}
