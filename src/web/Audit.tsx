/**
 * Audit: who ran what, where, when, and the outcome (GET /api/v1/audit, operator role), filtered
 * by principal and action (exact) and by text (a part of who, action or target). "Export CSV" writes what is shown as a CSV file, in the browser.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { AuditEntry } from './api.js';
import { ApiError, auditLog } from './api.js';
import { download, toCsv } from './csv.js';
import { navigateOnClick } from './navigate.js';
import { runPath } from './runs-url.js';
import { PAGED_SORT_NOTE, TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';

const LIMIT = 1000;

/** Where it happened: the hosts an alert went to, a bot's host, the agent enrolled, or how many resources a run addressed. */
export function whereOf(a: AuditEntry): string {
  const d = a.detail;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const hosts = [...list(d.delivered), ...list(d.offline), ...list(d.hosts)];
  if (hosts.length) return hosts.join(' ');
  if (typeof d.host === 'string') return d.host;
  if (a.action === 'agent.enroll') return a.target;
  if (typeof d.targets === 'number') return `${d.targets} ${d.targets === 1 ? 'resource' : 'resources'}`;
  return '';
}

/** Each sortable column's value. */
const SORT_VALUES: Readonly<Record<string, (a: AuditEntry) => SortValue>> = {
  when: (a) => a.time,
  who: (a) => a.principal,
  action: (a) => a.action,
  what: (a) => a.target,
  where: (a) => whereOf(a) || undefined,
  outcome: (a) => a.outcome,
};

export function auditCsv(rows: readonly AuditEntry[]): string {
  return toCsv(
    ['time', 'principal', 'action', 'target', 'where', 'outcome', 'run_id', 'detail'],
    rows.map((a) => [new Date(a.time).toISOString(), a.principal, a.action, a.target, whereOf(a), a.outcome, a.runId ?? '', a.detail]),
  );
}

/**
 * What a refusal means for the person reading the page: a role too low to read the audit log is
 * said in words (the API's `BW_ERR_FORBIDDEN` details name both roles), anything else as the API said it.
 *
 * @example
 * refusalText(new ApiError('BW_ERR_FORBIDDEN', '…', 403, { needed: 'operator', held: 'viewer' }))
 * // 'Your role (viewer) cannot see the audit log; ask an admin for a token with the operator role.'
 */
export function refusalText(err: unknown): string {
  if (err instanceof ApiError && err.code === 'BW_ERR_FORBIDDEN') {
    const held = typeof err.details.held === 'string' ? err.details.held : 'your token';
    const needed = typeof err.details.needed === 'string' ? err.details.needed : 'a higher';
    return `Your role (${held}) cannot see the audit log; ask an admin for a token with the ${needed} role.`;
  }
  return err instanceof ApiError ? err.message : String(err);
}

export function AuditPage() {
  const [principal, setPrincipal] = useState('');
  const [action, setAction] = useState('');
  const [text, setText] = useState('');
  const [rows, setRows] = useState<AuditEntry[]>([]);
  const sorting = useHeaderSort();
  const [error, setError] = useState<string | undefined>();
  const [forbidden, setForbidden] = useState(false);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (f: { principal: string; action: string; text: string }) => {
    setLoading(true);
    try {
      setRows(await auditLog({ principal: f.principal.trim(), action: f.action.trim(), text: f.text, limit: LIMIT }));
      setError(undefined);
    } catch (err) {
      setRows([]);
      setForbidden(err instanceof ApiError && err.code === 'BW_ERR_FORBIDDEN');
      setError(refusalText(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load({ principal: '', action: '', text: '' });
  }, [load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void load({ principal, action, text });
  };

  if (forbidden)
    return (
      <div className="audit-page">
        <header className="page-head">
          <h1>Audit</h1>
        </header>
        <p className="warn-box" role="alert" data-testid="audit-forbidden">
          {error}
        </p>
      </div>
    );
  return (
    <div className="audit-page">
      <header className="page-head">
        <h1>Audit</h1>
      </header>
      <form className="toolbar" onSubmit={submit}>
        <input aria-label="principal" placeholder="principal (token name)" value={principal} onChange={(e) => setPrincipal(e.target.value)} data-testid="filter-principal" />
        <input aria-label="action" placeholder="action (run, token.create, …)" value={action} onChange={(e) => setAction(e.target.value)} data-testid="filter-action" />
        <input type="search" aria-label="text" placeholder="contains… (who, action, target)" maxLength={200} value={text} onChange={(e) => setText(e.target.value)} data-testid="filter-text" />
        <button type="submit" disabled={loading}>
          Filter
        </button>
        <button type="button" disabled={rows.length === 0} onClick={() => download(`breakwater-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv`, auditCsv(rows))} data-testid="export-csv">
          Export CSV
        </button>
        <span className="hint">{loading ? 'loading…' : `${rows.length} entries, newest first`}</span>
      </form>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      <table className="table" data-testid="audit-table" data-rows={rows.length}>
        <TableHead
          columns={[{ label: 'When', sort: 'when' }, { label: 'Who', sort: 'who' }, { label: 'Action', sort: 'action' }, { label: 'What', sort: 'what' }, { label: 'Where', sort: 'where' }, { label: 'Outcome', sort: 'outcome' }]}
          sorting={sorting}
          note={PAGED_SORT_NOTE}
        />
        <tbody>
          {sortedBy(rows, sorting.sort, SORT_VALUES).map((a) => (
            <tr key={a.id} data-testid="audit-row" data-action={a.action} data-outcome={a.outcome}>
              <td className="nowrap" title={new Date(a.time).toISOString()}>{new Date(a.time).toLocaleString([], { hour12: false })}</td>
              <td>{a.principal}</td>
              <td>
                <code>{a.action}</code>
              </td>
              <td>
                <code className="wrap">{a.target}</code>{' '}
                {a.runId && (
                  <a href={runPath(a.runId)} onClick={navigateOnClick} data-testid="audit-run-link" title="the run: each target's exit code and output">
                    run ›
                  </a>
                )}
              </td>
              <td>{whereOf(a)}</td>
              <td>
                <span className={`badge ${a.outcome === 'ok' ? 'ok' : 'bad'}`}>{a.outcome}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
