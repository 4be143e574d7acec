/** A runbook's pipeline cell (editor, checks, run button) and the output of one run of it. */
import { useMemo } from 'react';
import type { Catalogue } from '../lang/index.js';
import type { Whoami } from './api.js';
import { runBlocked } from './Console.js';
import { Editor } from './Editor.js';
import { DryRunExplanation } from './DryRunExplanation.js';
import { Results } from './Results.js';
import { checkCell } from './runbook-check.js';
import type { CellOutput } from './runbook-model.js';

/** What a run of a pipeline cell gave: its error, summary line and rows. */
export function OutputView(props: { output: CellOutput }) {
  const o = props.output;
  const s = o.summary;
  return (
    <div className="cell-output" data-testid="cell-output">
      {o.error && (
        <div className="error-box" role="alert" data-testid="cell-error">
          {o.error}
        </div>
      )}
      {s && s.rows !== undefined && (
        <div className="run-summary" data-testid="cell-summary">
          {s.rows} rows · {s.failed ?? 0} failed{s.agentsAsked !== undefined ? ` · ${s.agentsAnswered ?? 0}/${s.agentsAsked} agents answered` : ''}
          {s.durationMs !== undefined ? ` · ${s.durationMs} ms` : ''}
        </div>
      )}
      {s?.explanation && <DryRunExplanation explanation={s.explanation} />}
      {(o.rows.length > 0 || (s && s.rows !== undefined)) && <Results rows={o.rows} columns={s?.columns ?? []} ordered={s?.ordered ?? false} />}
    </div>
  );
}

/** A pipeline cell: the Console's editor, checked with the runbook's parameters, its Run button, and Dry run for a command or action. */
export function PipelineCell(props: {
  text: string;
  index: number;
  params: readonly string[];
  me: Whoami | undefined;
  catalogue: Catalogue | undefined;
  onChange: (text: string) => void;
  onRun: () => void;
  onDryRun: () => void;
  disabled: boolean;
}) {
  const checked = useMemo(() => (props.catalogue ? checkCell(props.text, props.params, props.catalogue) : undefined), [props.text, props.params, props.catalogue]);
  const diagnostics = props.text.trim() ? (checked?.diagnostics ?? []) : [];
  const blocked = runBlocked(props.me, checked?.analysis.plan);
  const invalid = Boolean(checked?.diagnostics.some((d) => d.severity === 'error'));
  const plan = checked?.analysis.plan;
  const effectful = Boolean(plan && plan.effects.commands.length + plan.effects.actions.length > 0);
  return (
    <div className="pipeline-cell">
      <Editor value={props.text} onChange={props.onChange} onRun={() => !blocked && !invalid && !props.disabled && props.onRun()} diagnostics={diagnostics} catalogue={props.catalogue} params={props.params} rows={2} ariaLabel={`pipeline cell ${props.index + 1}`} placeholder="host | name = $host | `uptime`" />
      <div className="toolbar">
        <button data-testid="run-cell" disabled={props.disabled || Boolean(blocked) || invalid || !props.text.trim()} title={blocked ?? (invalid ? 'fix the statement first' : 'Ctrl-Enter')} onClick={props.onRun}>
          Run cell
        </button>
        {effectful && (
          <button data-testid="dry-run-cell" disabled={props.disabled || Boolean(blocked) || invalid} title="run nothing: see the targets, batches, breakers, approval and blast radius" onClick={props.onDryRun}>
            Dry run
          </button>
        )}
        {blocked && props.me && <span className="blocked">{blocked}</span>}
      </div>
    </div>
  );
}
