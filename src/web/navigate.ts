/**
 * Client-side navigation from inside a page: the URL changes without a reload, and the shell
 * (App, which listens to popstate for the Back button) shows the page for the new path. A page
 * holding unsaved edits (useUnsavedWarning) is asked about first, in-app and by the browser.
 */
import { useEffect } from 'react';
import type { MouseEvent } from 'react';

/** What leaving would lose, while a page holds unsaved edits. */
let unsaved: string | undefined;

/** True when nothing unsaved would be lost, or the user confirmed losing it (then it is not asked again on the way out). */
export function mayLeave(): boolean {
  if (unsaved === undefined) return true;
  if (!window.confirm(unsaved)) return false;
  unsaved = undefined;
  return true;
}

/**
 * For the shell's popstate (Back and Forward, navigate()): whether to show `next`. The URL has
 * already changed; when the user stays, it is put back to `shown`.
 */
export function mayMoveTo(shown: string, next: string): boolean {
  if (next === shown || mayLeave()) return true;
  window.history.pushState(null, '', shown);
  return false;
}

/**
 * While `warning` is set, leaving the page asks first: in-app navigation (navigate, the shell's
 * links) with a confirm naming what would be lost, and a reload or closed tab with the browser's own.
 */
export function useUnsavedWarning(warning: string | undefined): void {
  useEffect(() => {
    if (warning === undefined) return undefined;
    unsaved = warning;
    const onBeforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      unsaved = undefined;
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [warning]);
}

export function navigate(path: string): void {
  if (!mayLeave()) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** onClick of an `<a href>` within the UI: a plain click navigates in place; Ctrl/Cmd/Shift/middle clicks keep the browser's new tab or window. */
export function navigateOnClick(e: MouseEvent<HTMLAnchorElement>): void {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(e.currentTarget.getAttribute('href') ?? '/');
}
