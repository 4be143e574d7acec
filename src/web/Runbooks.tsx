/**
 * Runbooks: notebooks of markdown and pipeline cells kept by the control plane. Parameters
 * (`$host`) are filled in above the cells (or from the URL, `/runbooks?id=…&host=web-1`, or by
 * name, `/runbooks?runbook=disk-full&host=web-1`, as an alarm links here) and put into each
 * pipeline as a quoted string before it runs. Cells run through POST /api/v1/query like the
 * Console, with the Console's editor and result views; a run's outputs can be saved and reopened
 * read-only. A runbook's YAML file (as Export YAML gives it) can be imported.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Catalogue } from '../lang/index.js';
import type { RunbookCell } from '../definitions/index.js';
import { RUNBOOK_PARAM, substituteParams } from '../definitions/index.js';
import type { Whoami } from './api.js';
import { ApiError, errorMessage as message, getJson, savedToken, sendJson } from './api.js';
import { Markdown } from './Markdown.js';
import { OutputView, PipelineCell } from './RunbookCells.js';
import { RunbookList, SavedRuns } from './RunbookSidebars.js';
import type { CellOutput, Draft, Runbook, SavedRun } from './runbook-model.js';
import { EMPTY, IMPORT_LIMIT, cellOrigin, paramList, streamCell, toDraft } from './runbook-model.js';
import { RUNBOOK_URL_KEYS } from './runbook-link.js';
import './runbooks.css';

export function RunbooksPage(props: { me: Whoami | undefined; catalogue: Catalogue | undefined }) {
  const search = useMemo(() => new URLSearchParams(window.location.search), []);
  const [list, setList] = useState<Runbook[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [values, setValues] = useState<Record<string, string>>(() => {
    const v: Record<string, string> = {};
    for (const [k, val] of search) if (!RUNBOOK_URL_KEYS.has(k) && RUNBOOK_PARAM.test(k)) v[k] = val;
    return v;
  });
  const [outputs, setOutputs] = useState<Record<number, CellOutput>>({});
  const [running, setRunning] = useState<number | null>(null);
  const [runs, setRuns] = useState<SavedRun[]>([]);
  const [viewing, setViewing] = useState<SavedRun | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [exported, setExported] = useState<string | undefined>();
  const abort = useRef<AbortController | null>(null);
  /** The runbook as stored (opened or saved last): a cell's run names it as its origin. */
  const stored = useRef<Runbook | null>(null);

  const refresh = useCallback(async (): Promise<Runbook[] | undefined> => {
    try {
      const all = await getJson<Runbook[]>('/api/v1/runbooks');
      setList(all);
      return all;
    } catch (err) {
      setError(message(err));
      return undefined;
    }
  }, []);

  const open = useCallback(async (id: string) => {
    try {
      const rb = await getJson<Runbook>(`/api/v1/runbooks/${encodeURIComponent(id)}`);
      stored.current = rb;
      setDraft(toDraft(rb));
      setOutputs({});
      setViewing(null);
      setExported(undefined);
      setError(undefined);
      setNotice(undefined);
      setRuns(await getJson<SavedRun[]>(`/api/v1/runbooks/${encodeURIComponent(id)}/runs`));
      // The URL names this runbook by id with the values given for its parameters, to share or reload.
      const given = new URLSearchParams(window.location.search);
      const q = new URLSearchParams({ id });
      for (const p of rb.params) if (given.has(p)) q.set(p, given.get(p) ?? '');
      window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
    } catch (err) {
      setError(message(err));
    }
  }, []);

  useEffect(() => {
    void refresh().then((all) => {
      const id = search.get('id');
      const name = search.get('runbook');
      const named = name === null ? undefined : all?.find((rb) => rb.name === name);
      if (id) void open(id);
      else if (named) void open(named.id);
      else if (name !== null && all) setError(`There is no runbook named “${name}” on this control plane. An alarm's \`runbook\` field may name one that was never created or was renamed: create it with that name, or import its YAML file.`);
    });
  }, [refresh, open, search]);

  const params = draft ? paramList(draft.params) : [];
  const badParams = params.filter((p) => !RUNBOOK_PARAM.test(p));
  const missing = params.filter((p) => !(values[p] ?? '').trim());
  const edit = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));
  const editCell = (i: number, patch: Partial<RunbookCell>) => edit({ cells: (draft?.cells ?? []).map((c, j) => (j === i ? { ...c, ...patch } : c)) });

  const save = async () => {
    if (!draft) return;
    const body = { name: draft.name.trim(), description: draft.description, params, cells: draft.cells };
    try {
      const rb = draft.id ? await sendJson<Runbook>('PUT', `/api/v1/runbooks/${encodeURIComponent(draft.id)}`, body) : await sendJson<Runbook>('POST', '/api/v1/runbooks', body);
      stored.current = rb;
      setDraft(toDraft(rb));
      setError(undefined);
      setNotice(`Saved ${rb.name}.`);
      if (!draft.id) {
        const q = new URLSearchParams(window.location.search);
        q.set('id', rb.id);
        window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
      }
      await refresh();
    } catch (err) {
      setError(message(err));
    }
  };

  const remove = async () => {
    if (!draft?.id || !window.confirm(`Delete the runbook ${draft.name} and its saved runs?`)) return;
    try {
      await sendJson('DELETE', `/api/v1/runbooks/${encodeURIComponent(draft.id)}`);
      stored.current = null;
      setDraft(null);
      setRuns([]);
      window.history.replaceState(null, '', window.location.pathname);
      await refresh();
    } catch (err) {
      setError(message(err));
    }
  };

  /** Runs one pipeline cell; resolves to its output (also shown at once). */
  const runCell = async (i: number, yes = false, dryRun = false): Promise<CellOutput | undefined> => {
    const cell = draft?.cells[i];
    if (!draft || !cell || cell.kind !== 'pipeline') return undefined;
    const sub = substituteParams(cell.text, params, Object.fromEntries(params.map((p) => [p, (values[p] ?? '').trim()])));
    const put = (o: CellOutput) => {
      setOutputs((all) => ({ ...all, [i]: o }));
      return o;
    };
    if (!sub.ok) return put({ cell: i, statement: cell.text, rows: [], summary: null, error: sub.error });
    const statement = sub.statement;
    const controller = new AbortController();
    abort.current = controller;
    setRunning(i);
    put({ cell: i, statement, rows: [], summary: null, error: null });
    try {
      return put({ cell: i, statement, ...(await streamCell(statement, yes, controller.signal, cellOrigin(stored.current, draft.id, i), dryRun)) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') {
        const d = err.details as { targets?: number };
        if (window.confirm(`${err.message}\n\nRun on ${d.targets ?? 'all'} resources?`)) {
          setRunning(null);
          return runCell(i, true);
        }
      }
      return put({ cell: i, statement, rows: [], summary: null, error: message(err) });
    } finally {
      setRunning(null);
    }
  };

  const runAll = async () => {
    if (!draft) return;
    for (let i = 0; i < draft.cells.length; i++) {
      if (draft.cells[i]?.kind !== 'pipeline') continue;
      const o = await runCell(i);
      if (o?.error) break;
    }
  };

  const saveRun = async () => {
    if (!draft?.id) return;
    const outs = Object.values(outputs).sort((a, b) => a.cell - b.cell);
    try {
      const run = await sendJson<SavedRun>('POST', `/api/v1/runbooks/${encodeURIComponent(draft.id)}/runs`, {
        params: Object.fromEntries(params.map((p) => [p, (values[p] ?? '').trim()])),
        outputs: outs.map((o) => ({ cell: o.cell, statement: o.statement, rows: o.rows, summary: o.summary, error: o.error })),
      });
      setRuns((r) => [run, ...r]);
      setNotice(`Saved the run of ${new Date(run.createdAt).toLocaleString()}.`);
      setError(undefined);
    } catch (err) {
      setError(message(err));
    }
  };

  const openRun = async (id: string) => {
    if (!draft?.id) return;
    try {
      setViewing(await getJson<SavedRun>(`/api/v1/runbooks/${encodeURIComponent(draft.id)}/runs/${encodeURIComponent(id)}`));
    } catch (err) {
      setError(message(err));
    }
  };

  const importYaml = async (file: File) => {
    try {
      if (!/\.ya?ml$/i.test(file.name)) throw new Error(`${file.name} is not a runbook file: choose a .yaml or .yml file, as Export YAML writes it`);
      if (file.size > IMPORT_LIMIT) throw new Error(`${file.name} is larger than 1 MiB, the limit for a runbook file`);
      const rb = await sendJson<Runbook>('POST', '/api/v1/runbooks/import', { text: await file.text() });
      await refresh();
      await open(rb.id);
      setNotice(`Imported ${rb.name} from ${file.name}.`);
    } catch (err) {
      setError(`Cannot import ${file.name}: ${message(err)}`);
    }
  };

  const exportYaml = async () => {
    if (!draft?.id) return;
    try {
      const res = await fetch(`/api/v1/runbooks/${encodeURIComponent(draft.id)}/export`, { headers: { authorization: `Bearer ${savedToken() ?? ''}` } });
      if (!res.ok) throw new Error(`export failed: HTTP ${res.status}`);
      setExported(await res.text());
    } catch (err) {
      setError(message(err));
    }
  };

  const mayWrite = props.me ? props.me.role !== 'viewer' : false;
  const shown: Record<number, CellOutput> = viewing ? Object.fromEntries(viewing.outputs.map((o) => [o.cell, o])) : outputs;

  return (
    <div className="page runbooks">
      <RunbookList
        runbooks={list}
        openId={draft?.id ?? undefined}
        mayWrite={mayWrite}
        onOpen={(id) => void open(id)}
        onNew={() => ((stored.current = null), setDraft(EMPTY), setOutputs({}), setRuns([]), setViewing(null), setNotice(undefined))}
        onImport={(file) => void importYaml(file)}
      />
      <section className="runbook-main">
        {error && (
          <div className="error-box" role="alert" data-testid="runbook-error">
            {error}
          </div>
        )}
        {notice && !error && (
          <p className="dim" data-testid="runbook-notice">
            {notice}
          </p>
        )}
        {!draft && <p className="dim">Open a runbook, or start a new one.</p>}
        {draft && (
          <>
            {viewing ? (
              <div className="saved-run-banner" data-testid="saved-run-view">
                Saved run of {new Date(viewing.createdAt).toLocaleString()} by {viewing.createdBy}
                {Object.keys(viewing.params).length > 0 && ` · ${Object.entries(viewing.params).map(([k, v]) => `${k} = ${v}`).join(', ')}`} (read-only)
                <button onClick={() => setViewing(null)} data-testid="close-saved-run">
                  Back to the runbook
                </button>
              </div>
            ) : (
              <div className="runbook-head">
                <label>
                  Name
                  <input data-testid="runbook-name" value={draft.name} onChange={(e) => edit({ name: e.target.value })} placeholder="disk-full" readOnly={!mayWrite} />
                </label>
                <label className="grow">
                  Description
                  <input data-testid="runbook-description" value={draft.description} onChange={(e) => edit({ description: e.target.value })} readOnly={!mayWrite} />
                </label>
                <label>
                  Parameters
                  <input data-testid="runbook-params" value={draft.params} onChange={(e) => edit({ params: e.target.value })} placeholder="host, service" readOnly={!mayWrite} />
                </label>
                <div className="toolbar">
                  <button className="primary" data-testid="save-runbook" disabled={!mayWrite || !draft.name.trim() || badParams.length > 0} onClick={() => void save()}>
                    Save
                  </button>
                  {draft.id && (
                    <button data-testid="export-runbook" onClick={() => void exportYaml()}>
                      Export YAML
                    </button>
                  )}
                  {draft.id && mayWrite && (
                    <button className="danger" onClick={() => void remove()}>
                      Delete
                    </button>
                  )}
                </div>
                {exported !== undefined && (
                  <div className="exported">
                    <textarea readOnly data-testid="runbook-yaml" aria-label="runbook as YAML" rows={Math.min(20, exported.split('\n').length + 1)} value={exported} />
                    <button className="link" onClick={() => setExported(undefined)}>
                      close
                    </button>
                  </div>
                )}
                {badParams.length > 0 && <p className="bad-text">Parameter names are letters, digits and `_`: {badParams.join(', ')}</p>}
              </div>
            )}
            {params.length > 0 && (
              <div className="runbook-params" data-testid="param-inputs">
                {params.map((p) => (
                  <label key={p}>
                    <code>${p}</code>
                    <input data-testid={`param-${p}`} aria-label={`parameter ${p}`} value={viewing ? (viewing.params[p] ?? '') : (values[p] ?? '')} readOnly={Boolean(viewing)} onChange={(e) => setValues((v) => ({ ...v, [p]: e.target.value }))} />
                  </label>
                ))}
              </div>
            )}
            {!viewing && (
              <div className="toolbar">
                <button className="primary" data-testid="run-all" disabled={running !== null || missing.length > 0} title={missing.length ? `fill in ${missing.map((m) => `$${m}`).join(', ')}` : undefined} onClick={() => void runAll()}>
                  Run all
                </button>
                <button data-testid="save-run" disabled={!draft.id || !mayWrite || running !== null || Object.keys(outputs).length === 0} title={draft.id ? undefined : 'save the runbook first'} onClick={() => void saveRun()}>
                  Save run
                </button>
                {running !== null && <button onClick={() => abort.current?.abort()}>Cancel</button>}
                {missing.length > 0 && <span className="hint">Fill in {missing.map((m) => `$${m}`).join(', ')} to run.</span>}
              </div>
            )}
            <ol className="cells">
              {draft.cells.map((cell, i) => (
                <li key={i} className={`cell cell-${cell.kind}`} data-testid="cell">
                  {cell.kind === 'markdown' ? (
                    <>
                      <Markdown text={cell.text} />
                      {!viewing && mayWrite && <textarea className="markdown-input" data-testid="markdown-input" aria-label={`markdown cell ${i + 1}`} rows={Math.min(10, cell.text.split('\n').length + 1)} value={cell.text} onChange={(e) => editCell(i, { text: e.target.value })} />}
                    </>
                  ) : viewing ? (
                    <pre className="output statement">{shown[i]?.statement ?? cell.text}</pre>
                  ) : (
                    <PipelineCell
                      text={cell.text}
                      index={i}
                      params={params}
                      me={props.me}
                      catalogue={props.catalogue}
                      onChange={(text) => editCell(i, { text })}
                      onRun={() => void runCell(i)}
                      onDryRun={() => void runCell(i, false, true)}
                      disabled={running !== null || missing.length > 0}
                    />
                  )}
                  {!viewing && mayWrite && (
                    <div className="cell-tools">
                      <button className="link" disabled={i === 0} onClick={() => edit({ cells: draft.cells.map((c, j) => (j === i - 1 ? (draft.cells[i] as RunbookCell) : j === i ? (draft.cells[i - 1] as RunbookCell) : c)) })}>
                        ↑
                      </button>
                      <button className="link" onClick={() => edit({ cells: draft.cells.filter((_, j) => j !== i) })}>
                        remove
                      </button>
                    </div>
                  )}
                  {cell.kind === 'pipeline' && shown[i] && <OutputView output={shown[i]} />}
                </li>
              ))}
            </ol>
            {!viewing && mayWrite && (
              <div className="toolbar">
                <button data-testid="add-markdown" onClick={() => edit({ cells: [...draft.cells, { kind: 'markdown', text: '' }] })}>
                  + Markdown
                </button>
                <button data-testid="add-pipeline" onClick={() => edit({ cells: [...draft.cells, { kind: 'pipeline', text: '' }] })}>
                  + Pipeline
                </button>
              </div>
            )}
          </>
        )}
      </section>
      {draft?.id && <SavedRuns runs={runs} onOpen={(id) => void openRun(id)} />}
    </div>
  );
}
