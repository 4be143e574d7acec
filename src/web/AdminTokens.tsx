/**
 * Tokens (admin): the list (never a secret or hash), creating one (its secret shown once, with a
 * copy button), and revoking one after a confirmation.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { Whoami } from './api.js';
import type { CreatedToken, TokenInfo, TokenRequest } from './operate-api.js';
import { errorMessage } from './api.js';
import { createToken, revokeToken, tokens as fetchTokens } from './operate-api.js';
import { TOKEN_LIFETIMES, tokenState, usesText } from './admin-model.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { localTime } from './format.js';
import { TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';

const ROLES: readonly TokenRequest['role'][] = ['viewer', 'operator', 'admin', 'agent'];

const when = (ms: number | null, none: string) => (ms === null ? none : localTime(ms / 1000));

/** Each sortable column's value at `now` (a token's state changes as it expires). */
const tokenSortValues = (now: number): Readonly<Record<string, (t: TokenInfo) => SortValue>> => ({
  name: (t) => t.name,
  role: (t) => t.role,
  creator: (t) => t.createdBy ?? undefined,
  created: (t) => t.createdAt,
  expires: (t) => t.expiresAt ?? undefined,
  uses: (t) => t.uses,
  state: (t) => tokenState(t, now),
});

/** The new token's secret, once: copy it now, it is never shown again. */
function NewSecret(props: { created: CreatedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<string | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.created.token);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available here: select the secret and copy it.');
    }
  };
  return (
    <div className="warn-box new-secret" role="status" data-testid="new-secret">
      <p>
        <strong>
          Token <code>{props.created.name}</code> ({props.created.role}) created.
        </strong>{' '}
        This is the only time its secret is shown: copy it now and keep it safe. Anyone holding it acts as {props.created.role}.
      </p>
      <div className="toolbar">
        <input readOnly className="secret" value={props.created.token} aria-label="new token secret" onFocus={(e) => e.target.select()} data-testid="new-secret-value" />
        <button onClick={() => void copy()} data-testid="copy-secret">
          Copy
        </button>
        <button className="link" onClick={props.onDone} data-testid="secret-done">
          I have stored it
        </button>
      </div>
      {copied && <p className="hint">{copied}</p>}
    </div>
  );
}

/** `me`: who is signed in, to warn before revoking a token of that name (it may be this tab's own). */
export function AdminTokens(props: { me: Whoami }) {
  const [rows, setRows] = useState<TokenInfo[]>([]);
  const sorting = useHeaderSort();
  const [error, setError] = useState<string | undefined>();
  const [name, setName] = useState('');
  const [role, setRole] = useState<TokenRequest['role']>('viewer');
  const [lifetime, setLifetime] = useState(TOKEN_LIFETIMES.findIndex((l) => l.label === '90 days'));
  const [uses, setUses] = useState('');
  const [created, setCreated] = useState<CreatedToken | undefined>();
  const [revoking, setRevoking] = useState<TokenInfo | undefined>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setRows(await fetchTokens());
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const maxUses = role === 'agent' && uses.trim() ? Number(uses) : undefined;
      setCreated(await createToken({ role, name: name.trim(), expiresInSeconds: TOKEN_LIFETIMES[lifetime]?.seconds ?? null, ...(maxUses === undefined ? {} : { uses: maxUses }) }));
      setName('');
      setError(undefined);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: TokenInfo) => {
    setRevoking(undefined);
    try {
      await revokeToken(t.id);
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
    await load();
  };

  const now = Date.now();
  return (
    <section className="panel" data-testid="admin-tokens">
      <h2>
        Tokens <span className="dim small">{rows.length}</span>
      </h2>
      <form className="toolbar" onSubmit={(e) => void create(e)}>
        <input aria-label="token name" placeholder="name (who or what uses it)" value={name} onChange={(e) => setName(e.target.value)} maxLength={128} data-testid="token-name" />
        <select aria-label="role" value={role} onChange={(e) => setRole(e.target.value as TokenRequest['role'])} data-testid="token-role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r === 'agent' ? 'agent (join token)' : r}
            </option>
          ))}
        </select>
        <label className="inline">
          expires in{' '}
          <select aria-label="expires in" value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))} data-testid="token-expiry">
            {TOKEN_LIFETIMES.map((l, i) => (
              <option key={l.label} value={i}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        {role === 'agent' && <input aria-label="max uses" type="number" min={1} max={1_000_000} placeholder="max uses (any)" value={uses} onChange={(e) => setUses(e.target.value)} data-testid="token-uses" />}
        <button className="primary" type="submit" disabled={busy || !name.trim()} data-testid="token-create">
          Create token
        </button>
      </form>
      {created && <NewSecret created={created} onDone={() => setCreated(undefined)} />}
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      <table className="table" data-testid="tokens-table">
        <TableHead
          columns={[{ label: 'Name', sort: 'name' }, { label: 'Role', sort: 'role' }, { label: 'Created by', sort: 'creator' }, { label: 'Created', sort: 'created' }, { label: 'Expires', sort: 'expires' }, { label: 'Uses', num: true, sort: 'uses' }, { label: 'State', sort: 'state' }, '']}
          sorting={sorting}
        />
        <tbody>
          {sortedBy(rows, sorting.sort, tokenSortValues(now)).map((t) => {
            const state = tokenState(t, now);
            return (
              <tr key={t.id} data-testid="token-row" data-name={t.name} data-state={state}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td>{t.createdBy ?? ''}</td>
                <td title={new Date(t.createdAt).toISOString()}>{when(t.createdAt, '')}</td>
                <td>{when(t.expiresAt, 'never')}</td>
                <td className="num">{usesText(t)}</td>
                <td>
                  <span className={`badge ${state === 'active' ? 'ok' : 'bad'}`} title={t.revokedAt ? `revoked ${new Date(t.revokedAt).toISOString()}` : undefined}>
                    {state}
                  </span>
                </td>
                <td className="actions">
                  {t.revokedAt === null && (
                    <button className="danger" onClick={() => setRevoking(t)} data-testid="token-revoke">
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {revoking && (
        <ConfirmDialog title={`Revoke token ${revoking.name}?`} confirm="Revoke" onConfirm={() => void revoke(revoking)} onCancel={() => setRevoking(undefined)}>
          <p>
            Every call with it is refused from now on, and its open streams end at once. {revoking.role === 'agent' ? 'Agents it enrolled keep their own credentials (revoke them under Agents).' : ''} This cannot be undone.
          </p>
          {revoking.name === props.me.name && (
            <p className="warn-box" data-testid="revoke-self">
              You are signed in as {revoking.name}: if this is the token you signed in with, this page is signed out too.
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
