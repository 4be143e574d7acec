/**
 * Agents (admin): every agent with its connection, last contact, version and definitions version
 * (drift), and ending one: revoke its credential (it may enroll again) or delete it from the
 * inventory, each after a confirmation.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AgentRow } from './admin-model.js';
import { agentRows } from './admin-model.js';
import { errorMessage } from './api.js';
import { agentList, deleteAgent, drift as fetchDrift, revokeAgent } from './operate-api.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { ago } from './format.js';
import { TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';

/** How often the list is read again: connections come and go while the page is open. */
const REFRESH_MS = 5000;

type Ending = { readonly row: AgentRow; readonly how: 'revoke' | 'delete' };

function DriftCell(props: { row: AgentRow }) {
  const { version, current, drift } = props.row;
  if (drift === null) return <span className="dim">{version === null ? 'unknown' : `v${version}`}</span>;
  return drift ? (
    <span className="badge bad" title={`runs v${version ?? '?'}, the current version is v${current ?? '?'}`}>
      v{version ?? '?'} ≠ v{current}
    </span>
  ) : (
    <span className="badge ok">v{version} current</span>
  );
}

/** Each sortable column's value; Definitions sorts by the version an agent runs. */
const AGENT_SORT: Readonly<Record<string, (r: AgentRow) => SortValue>> = {
  name: (r) => r.agent.name,
  status: (r) => r.agent.status,
  seen: (r) => (r.agent.status === 'connected' ? Number.MAX_SAFE_INTEGER : (r.agent.lastSeenAt ?? undefined)),
  version: (r) => r.agentVersion || undefined,
  definitions: (r) => r.version ?? undefined,
  enrolled: (r) => r.agent.enrolledWith ?? undefined,
};

export function AdminAgents() {
  const [rows, setRows] = useState<AgentRow[]>([]);
  const sorting = useHeaderSort();
  const [error, setError] = useState<string | undefined>();
  const [ending, setEnding] = useState<Ending | undefined>();
  const [done, setDone] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      const [agents, versions] = await Promise.all([agentList(), fetchDrift()]);
      setRows(agentRows(agents, versions));
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const end = async ({ row, how }: Ending) => {
    setEnding(undefined);
    const name = row.agent.name;
    try {
      const r = how === 'revoke' ? await revokeAgent(name) : await deleteAgent(name);
      setDone(`${how === 'revoke' ? `Revoked the credential of ${name}` : `Deleted ${name}`}${r.disconnected ? ' and disconnected it' : ''}.`);
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
    await load();
  };

  const drifting = rows.filter((r) => r.drift).length;
  return (
    <section className="panel" data-testid="admin-agents">
      <h2>
        Agents{' '}
        <span className="dim small">
          {rows.filter((r) => r.agent.status === 'connected').length} of {rows.length} connected · {drifting} drifting
        </span>
      </h2>
      {done && (
        <p className="hint" role="status" data-testid="agent-done">
          {done}
        </p>
      )}
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      <table className="table" data-testid="agents-table">
        <TableHead
          columns={[{ label: 'Name', sort: 'name' }, { label: 'Status', sort: 'status' }, { label: 'Last seen', sort: 'seen' }, { label: 'Version', sort: 'version' }, { label: 'Definitions', sort: 'definitions' }, { label: 'Enrolled with', sort: 'enrolled' }, '']}
          sorting={sorting}
        />
        <tbody>
          {sortedBy(rows, sorting.sort, AGENT_SORT).map((r) => (
            <tr key={r.agent.name} data-testid="agent-row" data-name={r.agent.name} data-status={r.agent.status} data-revoked={r.agent.revokedAt === null ? 'no' : 'yes'}>
              <td>{r.agent.name}</td>
              <td>
                <span className={r.agent.status === 'connected' ? 'status-connected' : 'status-disconnected'}>{r.agent.status === 'connected' ? '● connected' : '○ disconnected'}</span>
                {r.agent.revokedAt !== null && <span className="badge bad">revoked</span>}
              </td>
              <td title={r.agent.lastSeenAt ? new Date(r.agent.lastSeenAt).toISOString() : undefined}>{r.agent.status === 'connected' ? 'now' : ago(r.agent.lastSeenAt)}</td>
              <td>
                <code data-testid="agent-version">{r.agentVersion}</code>
              </td>
              <td>
                <DriftCell row={r} />
              </td>
              <td className="dim">{r.agent.enrolledWith ?? ''}</td>
              <td className="actions">
                <button disabled={r.agent.revokedAt !== null} onClick={() => setEnding({ row: r, how: 'revoke' })} data-testid="agent-revoke">
                  Revoke
                </button>
                <button className="danger" onClick={() => setEnding({ row: r, how: 'delete' })} data-testid="agent-delete">
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {ending && (
        <ConfirmDialog
          title={ending.how === 'revoke' ? `Revoke the credential of ${ending.row.agent.name}?` : `Delete agent ${ending.row.agent.name}?`}
          confirm={ending.how === 'revoke' ? 'Revoke' : 'Delete'}
          onConfirm={() => void end(ending)}
          onCancel={() => setEnding(undefined)}
        >
          <p>
            {ending.how === 'revoke'
              ? 'It is disconnected at once and its credential no longer works; the host stays listed and may enroll again with a join token.'
              : 'It is disconnected and removed from the inventory with its credential; any host may then enroll under this name with a join token.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
