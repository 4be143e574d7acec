import { useCallback, useState } from 'react';
import type { SortOrder } from './table-sort.js';
import { ariaSort, nextSort, sortArrow } from './table-sort.js';

/**
 * A column of a table's header: its label ('' for a column of buttons), or an object for a
 * right-aligned numeric one (`num`) and/or one that sorts (`sort`: the key the page sorts by).
 */
export type Column = string | { readonly label: string; readonly num?: true; readonly sort?: string };

/** A table's header sort: the order shown, and what a click on a sortable header does. */
export interface HeaderSort {
  readonly sort: SortOrder | undefined;
  readonly onSort: (key: string) => void;
}

/** Why a sort covers only the rows shown, for tables the server pages (newest first). */
export const PAGED_SORT_NOTE = 'sorts the rows shown; the server sends them a page at a time, newest first';

/**
 * A table's header row, one cell per column, so that each page lists its columns instead of
 * writing the same markup again. With `sorting`, a column with a `sort` key is a button: a click
 * sorts by it, another reverses; the sorted one shows an arrow and aria-sort. `note` is added to
 * the sortable headers' title (PAGED_SORT_NOTE for a paged list).
 *
 * @example
 * <table className="table">
 *   <TableHead columns={[{ label: 'Host', sort: 'host' }, { label: 'Value', num: true }, '']} sorting={useHeaderSort()} />
 *   <tbody>…</tbody>
 * </table>
 */
export function TableHead(props: { readonly columns: readonly Column[]; readonly sorting?: HeaderSort; readonly note?: string }) {
  const { sorting } = props;
  return (
    <thead>
      <tr>
        {props.columns.map((c, i) => {
          const label = typeof c === 'string' ? c : c.label;
          const key = typeof c === 'string' ? undefined : c.sort;
          const className = typeof c !== 'string' && c.num ? 'num' : undefined;
          if (!key || !sorting) return label === '' ? <th key={i} /> : <th key={i} className={className}>{label}</th>;
          return (
            <th key={i} className={className} aria-sort={ariaSort(sorting.sort, key)}>
              <button type="button" className="sort-header" title={`Sort by ${label.toLowerCase()}, again to reverse${props.note ? ` (${props.note})` : ''}`} onClick={() => sorting.onSort(key)}>
                {label}
                {sortArrow(sorting.sort, key)}
              </button>
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** A header sort kept in the page's state (tables whose page keeps no state in its URL). */
export function useHeaderSort(): HeaderSort {
  const [sort, setSort] = useState<SortOrder | undefined>();
  const onSort = useCallback((key: string) => setSort((current) => nextSort(current, key)), []);
  return { sort, onSort };
}
