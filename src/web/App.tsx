/** The shell: sign-in with a user token, navigation, and the pages. */
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import type { ComponentType, FormEvent, LazyExoticComponent } from 'react';
import type { Catalogue } from '../lang/index.js';
import type { Whoami } from './api.js';
import { ApiError, catalogue as fetchCatalogue, saveToken, savedToken, whoami } from './api.js';
import { MaintenanceBadge } from './MaintenanceBadge.js';
import { mayLeave, mayMoveTo, navigate } from './navigate.js';

/** React.lazy for a page (a named export): each page is its own chunk, fetched when first shown. */
function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): LazyExoticComponent<ComponentType<P>> {
  return lazy(async () => ({ default: await load() }));
}

// Signing in needs none of the pages, and each page brings its own libraries (the editor and
// src/lang, uPlot for Fleet's chart, src/definitions), so the first load is the shell alone.
const AuditPage = lazyPage(() => import('./Audit.js').then((m) => m.AuditPage));
const ConsolePage = lazyPage(() => import('./Console.js').then((m) => m.ConsolePage));
const DefinitionsPage = lazyPage(() => import('./Definitions.js').then((m) => m.DefinitionsPage));
const EventsPage = lazyPage(() => import('./Events.js').then((m) => m.EventsPage));
const FleetPage = lazyPage(() => import('./Fleet.js').then((m) => m.FleetPage));
const RunbooksPage = lazyPage(() => import('./Runbooks.js').then((m) => m.RunbooksPage));
const OperatePage = lazyPage(() => import('./Operate.js').then((m) => m.OperatePage));
const AdminPage = lazyPage(() => import('./Admin.js').then((m) => m.AdminPage));
const RunsPage = lazyPage(() => import('./Runs.js').then((m) => m.RunsPage));

const PAGES = [
  { path: '/fleet', title: 'Fleet' },
  { path: '/console', title: 'Console' },
  { path: '/events', title: 'Alarms & events' },
  { path: '/runs', title: 'Runs' },
  { path: '/audit', title: 'Audit' },
  { path: '/runbooks', title: 'Runbooks' },
  { path: '/definitions', title: 'Definitions' },
  { path: '/admin', title: 'Admin' },
  { path: '/operate', title: 'Operate' },
] as const;

/** The path shown: `/` is Fleet; any other path is kept as typed, and one that is no page says so. */
function currentPath(): string {
  const p = window.location.pathname;
  return p === '/' ? '/fleet' : p;
}

/** An unknown path (`/runs`): said plainly, under the URL as typed, with the pages there are. */
function NotFound(props: { path: string; go: (path: string) => void }) {
  return (
    <div className="page" data-testid="not-found">
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{props.path}</code>. The pages are:
      </p>
      <ul>
        {PAGES.map((p) => (
          <li key={p.path}>
            <a
              href={p.path}
              onClick={(e) => {
                e.preventDefault();
                props.go(p.path);
              }}
            >
              {p.title}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Login(props: { onToken: (token: string) => Promise<void>; error: string | undefined }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await props.onToken(token.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form onSubmit={(e) => void submit(e)} className="login-box">
        <h1>Breakwater</h1>
        <p className="dim">Sign in with a user token (`breakwater token create --role viewer --name you`).</p>
        <label>
          Token
          <input type="password" name="token" autoFocus autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="bwt_…" data-testid="token" />
        </label>
        {props.error && (
          <p className="error-box" role="alert">
            {props.error}
          </p>
        )}
        <button className="primary" type="submit" disabled={!token.trim() || busy} data-testid="login">
          Sign in
        </button>
      </form>
    </div>
  );
}

export function App() {
  const [me, setMe] = useState<Whoami | undefined>();
  const [cat, setCat] = useState<Catalogue | undefined>();
  const [loginError, setLoginError] = useState<string | undefined>();
  const [checking, setChecking] = useState(Boolean(savedToken()));
  const [path, setPath] = useState(currentPath);
  const shown = useRef(path);
  shown.current = path;

  const signIn = useCallback(async (token: string) => {
    try {
      const who = await whoami(token);
      if ((who.role as string) === 'agent') throw new ApiError('BW_ERR_FORBIDDEN', 'this is an agent join token; sign in with a user token', 403);
      saveToken(token);
      setMe(who);
      setLoginError(undefined);
      setCat(await fetchCatalogue());
    } catch (err) {
      saveToken(null);
      setMe(undefined);
      setLoginError(err instanceof ApiError ? err.message : `cannot reach the control plane: ${(err as Error).message}`);
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    const t = savedToken();
    if (t) void signIn(t);
    const onPop = () => {
      const next = currentPath();
      if (mayMoveTo(shown.current, next)) setPath(next);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [signIn]);

  // Through popstate (navigate), so a page already shown hears it too: Runs re-reads its filter from the URL.
  const go = navigate;

  if (checking) return <div className="login dim">Signing in…</div>;
  if (!me) return <Login onToken={signIn} error={loginError} />;
  return (
    <div className="app">
      <nav className="topbar">
        <span className="brand">Breakwater</span>
        {PAGES.map((p) => (
          <a
            key={p.path}
            href={p.path}
            className={p.path === path || path.startsWith(`${p.path}/`) ? 'active' : undefined}
            onClick={(e) => {
              e.preventDefault();
              go(p.path);
            }}
          >
            {p.title}
          </a>
        ))}
        <span className="spacer" />
        <MaintenanceBadge onOpen={() => go('/operate')} />
        <span className="who" data-testid="whoami">
          {me.name} · {me.role}
        </span>
        <button
          className="link"
          onClick={() => {
            if (!mayLeave()) return;
            saveToken(null);
            setMe(undefined);
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Suspense fallback={<p className="dim">Loading…</p>}>{path === '/fleet' ? <FleetPage catalogue={cat} /> : path === '/console' ? <ConsolePage me={me} catalogue={cat} /> : path === '/events' ? <EventsPage me={me} /> : path === '/runs' || path.startsWith('/runs/') ? <RunsPage path={path} /> : path === '/audit' ? <AuditPage /> : path === '/runbooks' ? <RunbooksPage me={me} catalogue={cat} /> : path === '/definitions' ? <DefinitionsPage me={me} /> : path === '/admin' ? <AdminPage me={me} /> : path === '/operate' ? <OperatePage me={me} /> : <NotFound path={path} go={go} />}</Suspense>
      </main>
    </div>
  );
}
