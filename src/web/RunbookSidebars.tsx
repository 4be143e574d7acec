/** The Runbooks page's two side columns: the runbooks to open (with New and Import) and a runbook's saved runs. */
import { useRef } from 'react';
import type { Runbook, SavedRun } from './runbook-model.js';

/**
 * The list of runbooks, with New and Import YAML (operators and admins only).
 *
 * @example
 * <RunbookList runbooks={list} openId={draft?.id} mayWrite onOpen={open} onNew={start} onImport={importYaml} />
 */
export function RunbookList(props: {
  runbooks: readonly Runbook[];
  openId: string | undefined;
  mayWrite: boolean;
  onOpen: (id: string) => void;
  onNew: () => void;
  onImport: (file: File) => void;
}) {
  const importInput = useRef<HTMLInputElement>(null);
  const { mayWrite } = props;
  return (
    <aside className="runbook-list" data-testid="runbook-list">
      <h1>Runbooks</h1>
      <button className="primary" data-testid="new-runbook" disabled={!mayWrite} title={mayWrite ? undefined : 'writing runbooks needs the operator role'} onClick={props.onNew}>
        New runbook
      </button>{' '}
      <button data-testid="import-runbook" disabled={!mayWrite} title={mayWrite ? 'a .yaml or .yml runbook file, as Export YAML writes it' : 'importing runbooks needs the operator role'} onClick={() => importInput.current?.click()}>
        Import YAML…
      </button>
      <input
        ref={importInput}
        type="file"
        accept=".yaml,.yml"
        hidden
        disabled={!mayWrite}
        data-testid="import-file"
        aria-label="runbook file to import"
        onChange={(e) => {
          const file = e.target.files?.[0];
          // Cleared, so choosing the same file again (after fixing it) imports again.
          e.target.value = '';
          if (file) props.onImport(file);
        }}
      />
      <ul>
        {props.runbooks.map((rb) => (
          <li key={rb.id} className={props.openId === rb.id ? 'active' : undefined}>
            <button className="link" onClick={() => props.onOpen(rb.id)}>
              {rb.name}
            </button>
            {rb.description && <span className="dim small">{rb.description}</span>}
          </li>
        ))}
      </ul>
      {props.runbooks.length === 0 && <p className="dim">No runbooks yet.</p>}
    </aside>
  );
}

/** A runbook's saved runs, newest first; opening one shows it read-only. */
export function SavedRuns(props: { runs: readonly SavedRun[]; onOpen: (id: string) => void }) {
  return (
    <aside className="history" data-testid="saved-runs">
      <h2>Saved runs</h2>
      {props.runs.length === 0 && <p className="dim">Runs you save appear here.</p>}
      <ul>
        {props.runs.map((r) => (
          <li key={r.id}>
            <button className="link" data-testid="saved-run" onClick={() => props.onOpen(r.id)}>
              {new Date(r.createdAt).toLocaleString()}
            </button>
            <span className="dim">
              {r.createdBy}
              {Object.keys(r.params).length > 0 && ` · ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ')}`}
            </span>
          </li>
        ))}
      </ul>
    </aside>
  );
}
