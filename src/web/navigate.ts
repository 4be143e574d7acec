/**
 * Client-side navigation from inside a page: the URL changes without a reload, and the shell
 * (App, which listens to popstate for the Back button) shows the page for the new path.
 */
import type { MouseEvent } from 'react';

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** onClick of an `<a href>` within the UI: a plain click navigates in place; Ctrl/Cmd/Shift/middle clicks keep the browser's new tab or window. */
export function navigateOnClick(e: MouseEvent<HTMLAnchorElement>): void {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(e.currentTarget.getAttribute('href') ?? '/');
}
