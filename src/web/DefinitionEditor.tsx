/**
 * Editing one definition of the applied set as YAML: the definitions' diagnostics as you type
 * (underlined where they point and listed), the plan as `breakwater plan` prints it with its
 * values coloured, a back-test of an alarm over the last hours, and apply: admin only, against the
 * version the page loaded (optimistic concurrency, as the CLI: a newer version meanwhile is
 * refused, and Reload plans the edit again on top of it). Unsaved edits warn before leaving.
 */
import { useEffect, useMemo, useState } from 'react';
import type { DefinitionDiff } from '../definitions/index.js';
import { PLAN_MARKERS, formatDefinitionDiagnostic, planLines, planSummary } from '../definitions/index.js';
import type { Whoami } from './api.js';
import { errorMessage, postJson } from './api.js';
import { backtest as postBacktest } from './operate-api.js';
import { BACKTEST_HOURS } from './admin-model.js';
import { BacktestResult } from './BacktestResult.js';
import type { BacktestAnswer } from './operate-api.js';
import type { Edit, LoadedSet, PlanAnswer } from './definition-edit.js';
import { applyRefusal, backtestFiles, backtestRefusal, checkEdit, filesWithEdit, isDirty, planRefusal, rebaseEdit, staleMessage } from './definition-edit.js';
import { Editor } from './Editor.js';
import { useUnsavedWarning } from './navigate.js';

/** The plan's lines, coloured by what happens: a change's old value red, its new value green. */
function PlanView(props: { diff: DefinitionDiff }) {
  const lines = planLines(props.diff);
  return (
    <pre className="output plan" data-testid="plan">
      {lines.length === 0 && <div>No changes: the fleet already runs this.</div>}
      {lines.map((l, i) => (
        <div key={i} className={`plan-line plan-${l.op}`} data-testid="plan-line" data-op={l.op}>
          <span className="plan-marker">{PLAN_MARKERS[l.op]}</span> {l.kind} <strong>{l.name}</strong>
          {l.change && (
            <>
              : {l.change.field} <span className="plan-before">{l.change.before}</span> -&gt; <span className="plan-after">{l.change.after}</span>
            </>
          )}
        </div>
      ))}
      {'\n'}
      <div className="plan-summary">{planSummary(props.diff)}</div>
    </pre>
  );
}

/**
 * The check runs on the whole set (about 0.3–1 ms per definition), so it waits for a pause in the
 * typing rather than running on every keystroke; until then the last diagnostics stay shown.
 */
const CHECK_AFTER_MS = 120;

/**
 * The editor for `initial` within `set`. `reload` fetches the current set again (after a
 * concurrent apply); `onApplied` is told the new version; `onClose` leaves without applying.
 */
export function DefinitionEditor(props: { me: Whoami; set: LoadedSet; initial: Edit; reload: () => Promise<LoadedSet>; onApplied: (version: number) => void; onClose: () => void }) {
  const [set, setSet] = useState(props.set);
  const [edit, setEdit] = useState(props.initial);
  const [planned, setPlanned] = useState<{ text: string; answer: PlanAnswer } | undefined>();
  const [backtested, setBacktested] = useState<{ text: string; answer: BacktestAnswer } | undefined>();
  const [hours, setHours] = useState<number>(1);
  const [stale, setStale] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [rebased, setRebased] = useState<{ text: string; conflict: boolean } | undefined>();
  const [busy, setBusy] = useState(false);
  const [settled, setSettled] = useState(edit);
  useEffect(() => {
    const t = setTimeout(() => setSettled(edit), CHECK_AFTER_MS);
    return () => clearTimeout(t);
  }, [edit]);
  const checked = useMemo(() => checkEdit(set, settled), [set, settled]);
  const dirty = isDirty(edit);
  useUnsavedWarning(dirty ? `Leave without applying your edit of ${edit.path}? It is not saved.` : undefined);

  // Plan and apply wait for the check of the text as it is now, so they never act on an unchecked one.
  const checking = settled.text !== edit.text;
  const errors = checked.here.filter((d) => d.severity === 'error').length + checked.elsewhere.filter((d) => d.severity === 'error').length;
  const fixFirst = checking ? 'Checking…' : errors ? `Fix the ${errors} error(s) first.` : undefined;
  const planBlocked = planRefusal(props.me.role, set) ?? fixFirst;
  const backtestBlocked = backtestRefusal(props.me.role) ?? fixFirst;
  // A plan or back-test is shown for the text it was made of only.
  const current = planned?.text === edit.text ? planned.answer : undefined;
  const backtest = backtested?.text === edit.text ? backtested.answer : undefined;
  const changes = current?.diff ? current.diff.create.length + current.diff.update.length + current.diff.delete.length : 0;
  const applyBlocked = applyRefusal(props.me.role) ?? (stale ? 'Reload first: the definitions changed meanwhile.' : !current ? 'Plan first: apply applies the plan shown.' : !current.ok ? 'The plan has errors.' : changes === 0 ? 'Nothing to apply.' : undefined);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
    } catch (err) {
      const conflict = staleMessage(set.version, err);
      if (conflict) setStale(conflict);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  /** Plans `what` on `on`; a plan answered on another version than `on` is the concurrency message instead. */
  const planOn = async (on: LoadedSet, what: Edit) => {
    const answer = await postJson<PlanAnswer>('/api/v1/definitions/plan', { files: filesWithEdit(on, what) });
    const moved = staleMessage(on.version, undefined, answer.baseVersion);
    setStale(moved);
    setPlanned(moved ? undefined : { text: what.text, answer });
  };
  const plan = (on: LoadedSet, what: Edit) => run(() => planOn(on, what));

  const reloadAndPlan = () =>
    run(async () => {
      const fresh = await props.reload();
      const moved = rebaseEdit(edit, fresh);
      setSet(fresh);
      setEdit(moved.edit);
      setStale(undefined);
      setPlanned(undefined);
      setRebased({
        conflict: moved.conflict,
        text: moved.conflict
          ? `${edit.path} changed in version ${fresh.version} where you edited it too: your text is kept as you wrote it, so check in the plan what it would undo.`
          : `Your edit now sits on version ${fresh.version}${moved.edit.original !== edit.original ? `, with that version's other changes to ${edit.path}` : ''}.`,
      });
      await planOn(fresh, moved.edit);
    });

  const apply = () =>
    run(async () => {
      const applied = await postJson<{ version: number; changed: boolean }>('/api/v1/definitions/apply', { files: filesWithEdit(set, edit), baseVersion: set.version });
      props.onApplied(applied.version);
    });

  const runBacktest = () =>
    run(async () => {
      setBacktested({ text: edit.text, answer: await postBacktest(backtestFiles(set, edit), hours * 3600) });
    });

  return (
    <section className="definition-editor" data-testid="definition-editor">
      <header className="editor-head">
        <h2>
          {edit.isNew ? `New ${edit.kind}` : `Edit ${edit.path}`} <span className="dim small">on version {set.version}</span>
        </h2>
        <span className="spacer" />
        {dirty && (
          <span className="badge warn" data-testid="unsaved">
            unsaved
          </span>
        )}
        <button data-testid="close-editor" onClick={() => (!dirty || window.confirm(`Discard your edit of ${edit.path}?`)) && props.onClose()}>
          Close
        </button>
      </header>
      <Editor plain value={edit.text} onChange={(text) => setEdit({ ...edit, text })} onRun={() => planBlocked === undefined && !busy && void plan(set, edit)} diagnostics={checked.here} catalogue={undefined} rows={Math.max(10, edit.text.split('\n').length + 1)} ariaLabel={`${edit.kind} YAML`} />
      {checked.elsewhere.length > 0 && (
        <ul className="diagnostics" data-testid="diagnostics-elsewhere">
          {checked.elsewhere.map((d, i) => (
            <li key={i} className={`diagnostic diagnostic-${d.severity}`}>
              {formatDefinitionDiagnostic(d)}
            </li>
          ))}
        </ul>
      )}
      <div className="editor-actions">
        <button data-testid="plan-edit" disabled={busy || planBlocked !== undefined} title={planBlocked} onClick={() => void plan(set, edit)}>
          Plan
        </button>
        {edit.kind === 'alarm' && (
          <>
            <select data-testid="backtest-hours" aria-label="back-test window" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {BACKTEST_HOURS.map((h) => (
                <option key={h} value={h}>
                  last {h} h
                </option>
              ))}
            </select>
            <button data-testid="backtest-edit" disabled={busy || backtestBlocked !== undefined} title={backtestBlocked} onClick={() => void runBacktest()}>
              Back-test
            </button>
          </>
        )}
        <button className="primary" data-testid="apply-edit" disabled={busy || applyBlocked !== undefined} title={applyBlocked} onClick={() => void apply()}>
          Apply as version {set.version + 1}
        </button>
        <span className="dim small" data-testid="apply-reason">
          {[...new Set([planBlocked, applyBlocked])].filter(Boolean).join(' ')}
        </span>
      </div>
      {stale && (
        <div className="error-box" role="alert" data-testid="stale">
          {stale}{' '}
          <button data-testid="reload-replan" disabled={busy} onClick={() => void reloadAndPlan()}>
            Reload and re-plan
          </button>
        </div>
      )}
      {rebased && (
        <p className={rebased.conflict ? 'warn-box' : 'notice'} role="status" data-testid="rebased">
          {rebased.text}
        </p>
      )}
      {error && (
        <div className="error-box" role="alert" data-testid="edit-error">
          {error}
        </div>
      )}
      {current && !current.ok && (
        <ul className="diagnostics" data-testid="plan-diagnostics">
          {current.diagnostics.map((d, i) => (
            <li key={i} className={`diagnostic diagnostic-${d.severity}`}>
              {formatDefinitionDiagnostic(d)}
            </li>
          ))}
        </ul>
      )}
      {current?.diff && <PlanView diff={current.diff} />}
      {backtest && <BacktestResult answer={backtest} />}
    </section>
  );
}
