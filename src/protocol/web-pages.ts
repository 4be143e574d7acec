/**
 * The web UI's pages, by path: the UI's navigation lists them, and the control plane serves the
 * UI's index.html only at these paths (and `/`), so that any other path is a 404 rather than the
 * UI answering 200 for a URL that is no page (`/metrics` before it existed, a typo in a link).
 *
 * @example
 * isWebPage('/fleet')        // true
 * isWebPage('/runs/3f2a...') // true: a run's own page
 * isWebPage('/metricz')      // false
 */
export const WEB_PAGES = [
  { path: '/fleet', title: 'Fleet' },
  { path: '/console', title: 'Console' },
  { path: '/actions', title: 'Actions' },
  { path: '/events', title: 'Alarms & events' },
  { path: '/runs', title: 'Runs' },
  { path: '/operate', title: 'Operate' },
  { path: '/automation', title: 'Automation' },
  { path: '/runbooks', title: 'Runbooks' },
  { path: '/definitions', title: 'Definitions' },
  { path: '/audit', title: 'Audit' },
  { path: '/admin', title: 'Admin' },
] as const;

/** Pages with pages of their own beneath them (`/runs/<id>`). */
const WITH_SUBPAGES = new Set<string>(['/runs']);

/** Whether the web UI has a page at `path` (without its query string). */
export function isWebPage(path: string): boolean {
  if (path === '/') return true;
  if (WEB_PAGES.some((p) => p.path === path)) return true;
  const slash = path.indexOf('/', 1);
  return slash > 0 && slash < path.length - 1 && WITH_SUBPAGES.has(path.slice(0, slash));
}
