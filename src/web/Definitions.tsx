/**
 * Definitions: what the control plane runs now, grouped by kind, with each definition's fields as
 * written in files; the applied versions; the difference between two versions (src/definitions'
 * diffDefinitions and renderPlan, as `breakwater plan` prints it); any definition as YAML to copy
 * into a GitOps folder (toYaml); and editing an alarm, bot, action or schedule, or a new one
 * (DefinitionEditor: diagnostics, plan, back-test, apply).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Definition, DefinitionKind } from '../definitions/index.js';
import { DEFINITION_KINDS, diffDefinitions, formatPlanValue, renderPlan, toDocument, toYaml } from '../definitions/index.js';
import type { Whoami } from './api.js';
import { errorMessage as message, getJson } from './api.js';
import type { Edit, EditableKind, LoadedSet } from './definition-edit.js';
import { EDITABLE_KINDS, editOf, newEdit } from './definition-edit.js';
import { DefinitionEditor } from './DefinitionEditor.js';
import './runbooks.css';

type Current = LoadedSet;

interface VersionSummary {
  readonly version: number;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly summary: { readonly create: number; readonly update: number; readonly delete: number };
}

function DefinitionCard(props: { def: Definition; all: readonly Definition[]; onEdit?: () => void }) {
  const [yaml, setYaml] = useState<string | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const d = props.def;
  const doc = useMemo(() => {
    const actions = new Map(props.all.filter((x) => x.kind === 'action').map((a) => [a.name, a]));
    const fields = toDocument(d, (name) => actions.get(name) as Extract<Definition, { kind: 'action' }> | undefined);
    // A secret has no value in its definition; the API says whether the control plane holds one: (set), (not set), (unreadable).
    const held = (d as { value?: unknown }).value;
    return d.kind === 'secret' && typeof held === 'string' ? { ...fields, value: held } : fields;
  }, [d, props.all]);
  const copy = async () => {
    // toYaml of the whole set, so a bot's action arguments get their units; this definition's file.
    const file = toYaml(props.all).find((f) => f.path === `${d.kind}s/${d.name}.yaml`);
    const text = file?.text ?? '';
    setYaml(text);
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available here: select the text below and copy it.');
    }
  };
  return (
    <article className="definition" data-testid="definition" data-kind={d.kind} data-name={d.name}>
      <header>
        <strong>{d.name}</strong> <span className="badge ok">{d.kind}</span>
        <span className="spacer" />
        {props.onEdit && (
          <button className="link" data-testid="edit-definition" onClick={props.onEdit}>
            Edit
          </button>
        )}
        <button className="link" data-testid="copy-yaml" onClick={() => void copy()}>
          Copy as YAML
        </button>
      </header>
      {d.description && <p className="dim">{d.description}</p>}
      <dl className="fields">
        {Object.entries(doc)
          .filter(([k]) => !['kind', 'name', 'description'].includes(k))
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>
                <code>{typeof v === 'string' ? v : formatPlanValue(v)}</code>
              </dd>
            </div>
          ))}
      </dl>
      {d.origin && (
        <p className="dim small">
          from {d.origin.file}:{d.origin.line}
        </p>
      )}
      {yaml !== undefined && (
        <div className="exported">
          <p className="dim small" data-testid="copy-status">
            {copied}
          </p>
          <textarea readOnly data-testid="definition-yaml" aria-label={`${d.kind} ${d.name} as YAML`} rows={Math.min(20, yaml.split('\n').length + 1)} value={yaml} />
        </div>
      )}
    </article>
  );
}

/** A choice among the applied versions, in the order listed; `nothing` offers version 0 (the empty set) first. */
function VersionSelect(props: { testId: string; versions: readonly VersionSummary[]; value: number | undefined; onChange: (version: number) => void; nothing?: boolean }) {
  return (
    <select data-testid={props.testId} value={props.value ?? ''} onChange={(e) => props.onChange(Number(e.target.value))}>
      {props.nothing && <option value={0}>nothing (0)</option>}
      {props.versions.map((v) => (
        <option key={v.version} value={v.version}>
          {v.version}
        </option>
      ))}
    </select>
  );
}

const editable = (kind: string): kind is EditableKind => (EDITABLE_KINDS as readonly string[]).includes(kind);

export function DefinitionsPage(props: { me: Whoami }) {
  const [current, setCurrent] = useState<Current | undefined>();
  const [editing, setEditing] = useState<Edit | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [versions, setVersions] = useState<VersionSummary[]>([]);
  const [from, setFrom] = useState<number | undefined>();
  const [to, setTo] = useState<number | undefined>();
  const [diff, setDiff] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  /** The current set and the versions, fetched again (after an apply, here or elsewhere). */
  const refresh = useCallback(async (): Promise<{ current: Current; versions: VersionSummary[] }> => {
    const [c, v] = await Promise.all([getJson<Current>('/api/v1/definitions'), getJson<VersionSummary[]>('/api/v1/definitions/versions')]);
    setCurrent(c);
    setVersions(v);
    return { current: c, versions: v };
  }, []);

  useEffect(() => {
    void (async () => {
      try {
        const { versions: v } = await refresh();
        if (v.length >= 2) {
          setFrom(v[1]?.version);
          setTo(v[0]?.version);
        } else if (v.length === 1) {
          setFrom(0);
          setTo(v[0]?.version);
        }
      } catch (err) {
        setError(message(err));
      }
    })();
  }, [refresh]);

  const showDiff = async () => {
    if (to === undefined || from === undefined) return;
    try {
      const load = async (v: number) => (v === 0 ? [] : (await getJson<{ definitions: Definition[] }>(`/api/v1/definitions/versions/${v}`)).definitions);
      const [a, b] = await Promise.all([load(from), load(to)]);
      const d = diffDefinitions(a, b);
      const text = renderPlan(d);
      setDiff(text.trim() ? text : `No differences between version ${from} and version ${to}.`);
      setError(undefined);
    } catch (err) {
      setError(message(err));
    }
  };

  const byKind = new Map<DefinitionKind, Definition[]>();
  for (const d of current?.definitions ?? []) (byKind.get(d.kind) ?? byKind.set(d.kind, []).get(d.kind))?.push(d);

  return (
    <div className="page definitions">
      <section className="definitions-main">
        <h1>
          Definitions {current && <span className="dim small" data-testid="current-version">version {current.version}</span>}
        </h1>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
        {notice && (
          <p className="notice" role="status" data-testid="edit-notice">
            {notice}
          </p>
        )}
        {current && editing && (
          <DefinitionEditor
            key={editing.path}
            me={props.me}
            set={current}
            initial={editing}
            reload={async () => (await refresh()).current}
            onClose={() => setEditing(undefined)}
            onApplied={(version) => {
              setEditing(undefined);
              setNotice(`Applied version ${version}. Agents receive it now.`);
              void refresh().catch((err: unknown) => setError(message(err)));
            }}
          />
        )}
        {current && !editing && (
          <div className="new-definition">
            {EDITABLE_KINDS.map((k) => (
              <button key={k} data-testid={`new-${k}`} onClick={() => (setNotice(undefined), setEditing(newEdit(k)))}>
                New {k}
              </button>
            ))}
          </div>
        )}
        {current && current.definitions.length === 0 && <p className="dim">No definitions applied yet (`breakwater apply -f folder/`).</p>}
        {DEFINITION_KINDS.filter((k) => byKind.has(k)).map((k) => (
          <section key={k} className="definition-kind" data-testid={`kind-${k}`}>
            <h2>
              {k}s <span className="dim small">{byKind.get(k)?.length}</span>
            </h2>
            <div className="definition-grid">
              {(byKind.get(k) ?? []).map((d) => (
                <DefinitionCard key={d.name} def={d} all={current?.definitions ?? []} onEdit={current && !editing && editable(d.kind) ? () => (setNotice(undefined), setEditing(editOf(current, d))) : undefined} />
              ))}
            </div>
          </section>
        ))}
      </section>
      <aside className="history" data-testid="versions">
        <h2>Versions</h2>
        {versions.length === 0 && <p className="dim">None applied yet.</p>}
        <ul>
          {versions.map((v) => (
            <li key={v.version} data-testid="version">
              <strong>version {v.version}</strong>
              <span className="dim">
                {new Date(v.createdAt).toLocaleString()} · {v.createdBy} · +{v.summary.create} ~{v.summary.update} −{v.summary.delete}
              </span>
            </li>
          ))}
        </ul>
        {versions.length > 0 && (
          <div className="diff-form">
            <h3>Compare</h3>
            <label>
              from{' '}
              <VersionSelect testId="diff-from" versions={versions} value={from} onChange={setFrom} nothing />
            </label>{' '}
            <label>
              to{' '}
              <VersionSelect testId="diff-to" versions={versions} value={to} onChange={setTo} />
            </label>{' '}
            <button data-testid="show-diff" onClick={() => void showDiff()}>
              Show diff
            </button>
            {diff !== undefined && (
              <pre className="output diff" data-testid="diff">
                {diff}
              </pre>
            )}
          </div>
        )}
      </aside>
    </div>
  );
}
