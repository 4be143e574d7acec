/**
 * A table that renders only the rows in view (fixed row height), so 1,000 hosts or 10,000 result
 * rows scroll smoothly. Columns are CSS grid tracks.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import type { SortOrder, SortValue } from './table-sort.js';
import { ariaSort } from './table-sort.js';

export interface Column<T> {
  readonly key: string;
  readonly header: ReactNode;
  /** A CSS grid track: `minmax(8rem, 1fr)`, `6rem`. */
  readonly width: string;
  readonly numeric?: boolean;
  readonly render: (row: T) => ReactNode;
  /** The cell's value for sorting; a column with one gets a clickable header (with the table's `onSort`). */
  readonly sortValue?: (row: T) => SortValue;
}

export function VirtualTable<T>(props: {
  readonly rows: readonly T[];
  readonly columns: readonly Column<T>[];
  readonly rowKey: (row: T) => string;
  readonly rowHeight?: number;
  /** Most rows shown before the table scrolls. */
  readonly maxVisible?: number;
  readonly onRowClick?: (row: T) => void;
  readonly selected?: string | undefined;
  readonly testId?: string;
  /** Told which rows are drawn (`first` to `last`, exclusive) whenever that changes. */
  readonly onRowsShown?: (first: number, last: number) => void;
  /** The order the rows are in (the caller sorts them), shown by an arrow and aria-sort on its header. */
  readonly sort?: SortOrder | undefined;
  /** Told the key of a sortable column whose header was clicked. */
  readonly onSort?: (key: string) => void;
}) {
  const rowHeight = props.rowHeight ?? 30;
  const maxVisible = props.maxVisible ?? 20;
  const [scrollTop, setScrollTop] = useState(0);
  const template = props.columns.map((c) => c.width).join(' ');
  const height = Math.min(props.rows.length, maxVisible) * rowHeight;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - 5);
  const last = Math.min(props.rows.length, Math.ceil((scrollTop + height) / rowHeight) + 5);
  const visible = props.rows.slice(first, last);
  const { onRowsShown, rows } = props;
  useEffect(() => onRowsShown?.(first, last), [onRowsShown, rows, first, last]);
  return (
    <div className="vtable" role="table" data-testid={props.testId} data-rows={props.rows.length}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {props.columns.map((c) => {
          const sortable = Boolean(c.sortValue && props.onSort);
          const arrow = props.sort?.key === c.key ? (props.sort.direction === 'asc' ? ' ▲' : ' ▼') : '';
          return (
            <div key={c.key} role="columnheader" className={c.numeric ? 'num' : undefined} aria-sort={sortable ? ariaSort(props.sort, c.key) : undefined}>
              {sortable ? (
                <button type="button" className="sort-header" onClick={() => props.onSort?.(c.key)}>
                  {c.header}
                  {arrow}
                </button>
              ) : (
                c.header
              )}
            </div>
          );
        })}
      </div>
      <div className="vtable-body" style={{ height }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div style={{ height: props.rows.length * rowHeight, position: 'relative' }}>
          {visible.map((row, i) => {
            const key = props.rowKey(row);
            return (
              <div
                key={key}
                role="row"
                className={`vtable-row${props.onRowClick ? ' clickable' : ''}${props.selected === key ? ' selected' : ''}`}
                style={{ gridTemplateColumns: template, top: (first + i) * rowHeight, height: rowHeight }}
                onClick={props.onRowClick ? () => props.onRowClick?.(row) : undefined}
              >
                {props.columns.map((c) => (
                  <div key={c.key} role="cell" className={c.numeric ? 'num' : undefined}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
