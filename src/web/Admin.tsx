/**
 * Admin: tokens and agents (admin role) and the back-test tool (operator role), one tab each; the
 * tab is in the URL's fragment (/admin#agents) so a link opens it. A role too low for a tab is
 * told which role it needs instead of the tab.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { Whoami } from './api.js';
import { refusalFor } from './admin-model.js';
import { AdminAgents } from './AdminAgents.js';
import { AdminDeliveries } from './AdminDeliveries.js';
import { AdminTokens } from './AdminTokens.js';

// The back-test tool brings src/definitions (YAML export) with it: fetched when its tab opens.
const BacktestTool = lazy(() => import('./BacktestTool.js').then((m) => ({ default: m.BacktestTool })));

const TABS = [
  { id: 'tokens', title: 'Tokens', role: 'admin', what: 'manage tokens' },
  { id: 'agents', title: 'Agents', role: 'admin', what: 'manage agents' },
  { id: 'backtest', title: 'Back-test', role: 'operator', what: 'back-test alarms' },
  { id: 'deliveries', title: 'Deliveries', role: 'viewer', what: 'see failed deliveries' },
] as const;
type TabId = (typeof TABS)[number]['id'];

function tabOf(hash: string): TabId {
  return TABS.find((t) => `#${t.id}` === hash)?.id ?? 'tokens';
}

export function AdminPage(props: { me: Whoami }) {
  const [tab, setTab] = useState<TabId>(() => tabOf(window.location.hash));
  useEffect(() => {
    const onHash = () => setTab(tabOf(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];
  const refusal = refusalFor(props.me.role, current.role, current.what);
  return (
    <div className="admin-page">
      <header className="page-head">
        <h1>Admin</h1>
        <nav className="tabs" role="tablist">
          {TABS.map((t) => (
            <a key={t.id} href={`#${t.id}`} role="tab" aria-selected={t.id === tab} className={t.id === tab ? 'active' : undefined} data-testid={`tab-${t.id}`}>
              {t.title}
            </a>
          ))}
        </nav>
      </header>
      {refusal ? (
        <p className="warn-box" role="alert" data-testid="admin-forbidden">
          {refusal}
        </p>
      ) : tab === 'tokens' ? (
        <AdminTokens me={props.me} />
      ) : tab === 'agents' ? (
        <AdminAgents />
      ) : tab === 'deliveries' ? (
        <AdminDeliveries />
      ) : (
        <Suspense fallback={<p className="dim">Loading…</p>}>
          <BacktestTool />
        </Suspense>
      )}
    </div>
  );
}
