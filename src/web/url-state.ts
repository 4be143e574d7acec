/**
 * A page's view in its URL's query string, so that a link shared or opened in a new tab shows the
 * same view, and Back/Forward step through the views a person chose. Pages read their view from
 * the URL (useUrlView re-reads it on popstate) and write it back with pushView (a step Back returns
 * to: a new filter, a host opened) or replaceView (a refinement that should not fill the history:
 * text as it is typed, a chart's range).
 */
import { useCallback, useEffect, useState } from 'react';
import type { HeaderSort } from './TableHead.js';
import { nextSort, sortFromParam, sortToParam } from './table-sort.js';

/** The chart ranges offered as buttons; any other `range=` of CUSTOM_RANGE's form is "custom". */
export const PRESET_RANGES = ['5m', '15m', '1h', '6h'] as const;
export const DEFAULT_RANGE = '1h';
/** A custom range: a whole number of seconds, minutes, hours or days (`90s`, `30m`, `2h`, `1d`). */
const CUSTOM_RANGE = /^([1-9]\d{0,4})(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** The longest range a chart asks for: the agents keep a week of roll-ups at most. */
const MAX_RANGE_SECONDS = 7 * 86_400;
/** Most hosts on one compare chart: more lines than this cannot be told apart. */
export const MAX_COMPARE = 8;

/** Fleet's view: the applied filter, the open host, the chart range, the hosts compared, the header sort. */
export interface FleetView {
  readonly filter: string;
  readonly host: string | undefined;
  readonly range: string;
  readonly compare: readonly string[];
  /** A column key, `-` first for descending (`-cpu`). */
  readonly sort: string | undefined;
}

/** A range's length in seconds, or undefined when it is not a range the charts take. */
export function rangeSeconds(range: string): number | undefined {
  const m = CUSTOM_RANGE.exec(range);
  if (!m) return undefined;
  const s = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  return s <= MAX_RANGE_SECONDS ? s : undefined;
}

/**
 * Fleet's view from a query string. Values that are not valid (hand-edited or truncated links) fall
 * back to the defaults rather than failing the page: a range the charts do not take is the default
 * hour, compared hosts are de-duplicated and cut to MAX_COMPARE.
 *
 * @example
 * parseFleetView('?q=role+%3D+%22web%22&host=web-1&range=15m') // { filter: 'role = "web"', host: 'web-1', range: '15m', compare: [], sort: undefined }
 */
export function parseFleetView(search: string): FleetView {
  const q = new URLSearchParams(search);
  const range = q.get('range') ?? DEFAULT_RANGE;
  const compare = [...new Set((q.get('compare') ?? '').split(',').map((h) => h.trim()).filter(Boolean))].slice(0, MAX_COMPARE);
  const sort = q.get('sort') ?? '';
  return {
    filter: q.get('q') ?? '',
    host: q.get('host') || undefined,
    range: rangeSeconds(range) === undefined ? DEFAULT_RANGE : range,
    compare,
    sort: /^-?[a-z]+$/.test(sort) ? sort : undefined,
  };
}

/** Fleet's view as a query string (`?q=…&host=…`), defaults left out so that plain Fleet stays `/fleet`. */
export function fleetSearch(view: FleetView): string {
  const q = new URLSearchParams();
  if (view.filter.trim()) q.set('q', view.filter.trim());
  if (view.host) q.set('host', view.host);
  if (view.range !== DEFAULT_RANGE) q.set('range', view.range);
  if (view.compare.length) q.set('compare', view.compare.join(','));
  if (view.sort) q.set('sort', view.sort);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Adds a step to the browser's history with the same path and a new query string. */
export function pushView(search: string): void {
  if (search === window.location.search) return;
  window.history.pushState(null, '', `${window.location.pathname}${search}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** Changes the current history entry's query string without adding a step. */
export function replaceView(search: string): void {
  if (search === window.location.search) return;
  window.history.replaceState(null, '', `${window.location.pathname}${search}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The current query string, read again whenever the history moves (Back, Forward, pushView). */
export function useUrlSearch(): string {
  const [search, setSearch] = useState(() => window.location.search);
  useEffect(() => {
    const onPop = () => setSearch(window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return search;
}

/**
 * A table's header sort kept in the URL's `sort` parameter (`-started`: newest first) beside the
 * page's other parameters, so a shared link opens the same order. A click rewrites the current
 * history entry in place and tells no popstate listener: the page's other state (its filter) is
 * unchanged, and re-sorting the rows shown must not load them again.
 */
export function useUrlSort(): HeaderSort {
  const search = useUrlSearch();
  const [sort, setSort] = useState(() => sortFromParam(new URLSearchParams(search).get('sort')));
  useEffect(() => setSort(sortFromParam(new URLSearchParams(search).get('sort'))), [search]);
  const onSort = useCallback((key: string) => {
    const order = nextSort(sortFromParam(new URLSearchParams(window.location.search).get('sort')), key);
    const q = new URLSearchParams(window.location.search);
    q.set('sort', sortToParam(order) ?? '');
    window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
    setSort(order);
  }, []);
  return { sort, onSort };
}
