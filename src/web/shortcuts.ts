/**
 * Keyboard shortcuts of the whole UI: `/` focuses the page's filter (the element marked
 * `data-page-filter`), `?` opens the list of shortcuts, Esc closes the panel or overlay opened last
 * (from a text field, Esc first leaves the field).
 * Panels say they are open with useEscape; the shell installs one key listener (useShortcuts).
 */
import { useEffect, useRef } from 'react';

/** What the help overlay lists, in its order. */
export const SHORTCUTS: readonly (readonly [keys: string, what: string])[] = [
  ['/', "focus the page's filter"],
  ['?', 'show these shortcuts'],
  ['Esc', 'close the panel or overlay opened last (in a field: leave the field)'],
  ['Enter', 'apply a one-line filter; open the focused row'],
  ['↑ ↓ Home End', 'move between table rows'],
  ['Ctrl-Enter', 'run the statement (Console)'],
  ['Tab', 'accept a completion'],
];

/** Open panels, the last opened last: Esc closes the last. */
const openPanels: { readonly close: { current: () => void } }[] = [];

/** While `open`, Esc calls `close` (unless a panel opened later is open: that one closes first). */
export function useEscape(open: boolean, close: () => void): void {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (!open) return;
    const entry = { close: latest };
    openPanels.push(entry);
    return () => {
      const i = openPanels.indexOf(entry);
      if (i >= 0) openPanels.splice(i, 1);
    };
  }, [open]);
}

/** Whether typing in `target` is text (a shortcut key there is a character). */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type);
  return target.isContentEditable || ['TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Installs the UI's shortcut keys on the window; `onHelp` opens the shortcuts overlay. */
export function useShortcuts(onHelp: () => void): void {
  const help = useRef(onHelp);
  help.current = onHelp;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape') {
        // In a text field Esc leaves the field first (its text kept); the next Esc closes a panel.
        if (typing(e.target)) return (e.target as HTMLElement).blur();
        const top = openPanels.at(-1);
        if (!top) return;
        e.preventDefault();
        top.close.current();
        return;
      }
      if (typing(e.target)) return;
      if (e.key === '/') {
        const filter = document.querySelector<HTMLElement>('main [data-page-filter]');
        if (!filter) return;
        e.preventDefault();
        filter.focus();
      } else if (e.key === '?') {
        e.preventDefault();
        help.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
