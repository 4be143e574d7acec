/** The shell: sign-in with a user token (shared with the session's other tabs), navigation, keyboard shortcuts, and the pages. */
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import type { ComponentType, FormEvent, LazyExoticComponent, ReactNode } from 'react';
import type { Catalogue } from '../lang/index.js';
import { WEB_PAGES } from '../protocol/index.js';
import type { Whoami } from './api.js';
import { ApiError, catalogue as fetchCatalogue, saveToken, savedToken, whoami } from './api.js';
import { MaintenanceBadge } from './MaintenanceBadge.js';
import { mayLeave, mayMoveTo, navigate } from './navigate.js';
import { announceSignOut, askOpenTabs, shareSession } from './session-share.js';
import { SHORTCUTS, useEscape, useShortcuts } from './shortcuts.js';

/**
 * A page (a named export) in its own chunk, fetched when first shown or when `preload`ed. A page
 * whose chunk came before it mounts renders at once: suspending instead shows the fallback, and
 * React holds back the page's reveal until 300 ms after a fallback appeared (its
 * FALLBACK_THROTTLE_MS), which delayed Fleet's first rows by ~0.3 s on every load.
 */
function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> & { preload: () => Promise<unknown> } {
  let chunk: Promise<ComponentType<P>> | undefined;
  let loaded: ComponentType<P> | undefined;
  const preload = () =>
    (chunk ??= load().then((page) => {
      loaded = page;
      return page;
    }));
  const Suspending: LazyExoticComponent<ComponentType<P>> = lazy(async () => ({ default: await preload() }));
  function Page(props: P) {
    // Chosen once per mount: switching from Suspending to the loaded page would remount it.
    const [Loaded] = useState(() => loaded);
    return Loaded ? <Loaded {...props} /> : <Suspending {...props} />;
  }
  return Object.assign(Page, { preload });
}

// Signing in needs none of the pages, and each page brings its own libraries (the editor and
// src/lang, uPlot for Fleet's chart, src/definitions), so the first load is the shell alone.
const ActionFormPage = lazyPage(() => import('./ActionForm.js').then((m) => m.ActionFormPage));
const AuditPage = lazyPage(() => import('./Audit.js').then((m) => m.AuditPage));
const AutomationPage = lazyPage(() => import('./Automation.js').then((m) => m.AutomationPage));
const ConsolePage = lazyPage(() => import('./Console.js').then((m) => m.ConsolePage));
const DefinitionsPage = lazyPage(() => import('./Definitions.js').then((m) => m.DefinitionsPage));
const EventsPage = lazyPage(() => import('./Events.js').then((m) => m.EventsPage));
const FleetPage = lazyPage(() => import('./Fleet.js').then((m) => m.FleetPage));
const RunbooksPage = lazyPage(() => import('./Runbooks.js').then((m) => m.RunbooksPage));
const OperatePage = lazyPage(() => import('./Operate.js').then((m) => m.OperatePage));
const AdminPage = lazyPage(() => import('./Admin.js').then((m) => m.AdminPage));
const RunsPage = lazyPage(() => import('./Runs.js').then((m) => m.RunsPage));

/** Starts fetching the chunk of the page at `p` (while signing in, in parallel with it); a failure shows when the page renders. */
function preloadPageAt(p: string): void {
  const pages: Record<string, { preload: () => Promise<unknown> } | undefined> = { '/fleet': FleetPage, '/console': ConsolePage, '/events': EventsPage, '/audit': AuditPage, '/runbooks': RunbooksPage, '/definitions': DefinitionsPage, '/automation': AutomationPage, '/actions': ActionFormPage, '/operate': OperatePage, '/admin': AdminPage };
  const page = p === '/runs' || p.startsWith('/runs/') ? RunsPage : pages[p];
  page?.preload().catch(() => undefined);
}

/** The pages in the navigation, in order: the same list the control plane serves index.html at. */
const PAGES = WEB_PAGES;

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

/** The `?` overlay: every shortcut key. */
function ShortcutsHelp(props: { onClose: () => void }) {
  return (
    <div className="dialog-backdrop" onClick={props.onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-help" onClick={(e) => e.stopPropagation()}>
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl className="shortcuts">
          {SHORTCUTS.map(([keys, what]) => (
            <div key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <div className="toolbar">
          <button onClick={props.onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

export function App() {
  const [me, setMe] = useState<Whoami | undefined>();
  const [cat, setCat] = useState<Catalogue | undefined>();
  const [loginError, setLoginError] = useState<string | undefined>();
  // Until this tab's token, or an open tab's, is checked (a tab without either waits ASK_TIMEOUT_MS).
  const [checking, setChecking] = useState(true);
  const [path, setPath] = useState(currentPath);
  const shown = useRef(path);
  shown.current = path;
  const [help, setHelp] = useState(false);
  const [menu, setMenu] = useState(false);
  useShortcuts(() => setHelp(true));
  useEscape(help, () => setHelp(false));
  useEscape(menu, () => setMenu(false));

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
    preloadPageAt(currentPath());
    const t = savedToken();
    if (t) void signIn(t);
    else
      void askOpenTabs().then((shared) => {
        if (shared) void signIn(shared);
        else setChecking(false);
      });
    const stopSharing = shareSession(savedToken, () => {
      saveToken(null);
      setMe(undefined);
    });
    const onPop = () => {
      const next = currentPath();
      if (mayMoveTo(shown.current, next)) setPath(next);
    };
    window.addEventListener('popstate', onPop);
    return () => {
      stopSharing();
      window.removeEventListener('popstate', onPop);
    };
  }, [signIn]);

  // Through popstate (navigate), so a page already shown hears it too: Runs re-reads its filter from the URL.
  const go = (p: string) => {
    setMenu(false);
    navigate(p);
  };

  /** The page shown at a path (a run's page under /runs/<id>). */
  const pageAt = (p: string): ReactNode => {
    if (!me) return null;
    if (p === '/runs' || p.startsWith('/runs/')) return <RunsPage path={p} />;
    switch (p) {
      case '/fleet':
        return <FleetPage catalogue={cat} />;
      case '/console':
        return <ConsolePage me={me} catalogue={cat} />;
      case '/events':
        return <EventsPage me={me} />;
      case '/audit':
        return <AuditPage />;
      case '/runbooks':
        return <RunbooksPage me={me} catalogue={cat} />;
      case '/definitions':
        return <DefinitionsPage me={me} />;
      case '/automation':
        return <AutomationPage me={me} />;
      case '/actions':
        return <ActionFormPage me={me} catalogue={cat} />;
      case '/operate':
        return <OperatePage me={me} />;
      case '/admin':
        return <AdminPage me={me} />;
      default:
        return <NotFound path={p} go={go} />;
    }
  };

  if (checking) return <div className="login dim">Signing in…</div>;
  if (!me) return <Login onToken={signIn} error={loginError} />;
  return (
    <div className="app">
      <nav className="topbar">
        <span className="brand">Breakwater</span>
        {/* Below 900 px the page links fold into this menu (styles.css). */}
        <button className="nav-toggle" aria-expanded={menu} aria-controls="nav-links" onClick={() => setMenu(!menu)}>
          ☰ {PAGES.find((p) => p.path === path || path.startsWith(`${p.path}/`))?.title ?? 'Menu'}
        </button>
        <div id="nav-links" className={`nav-links${menu ? ' open' : ''}`}>
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
        </div>
        <span className="spacer" />
        <button className="link help-button" onClick={() => setHelp(true)} title="keyboard shortcuts (?)" aria-label="keyboard shortcuts">
          ?
        </button>
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
            announceSignOut();
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Suspense fallback={<p className="dim">Loading…</p>}>{pageAt(path)}</Suspense>
      </main>
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </div>
  );
}
