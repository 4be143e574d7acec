/**
 * A table that renders only the rows in view (fixed row height), so 1,000 hosts or 10,000 result
 * rows scroll smoothly. Columns are CSS grid tracks; below `minWidth` the table scrolls sideways.
 * Rows are reached with the keyboard: Tab enters the table at one row (the last focused), the
 * arrow keys, Home and End move between rows (scrolling them into view), Enter opens a row.
 */
import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import type { SortOrder, SortValue } from './table-sort.js';
import { ariaSort, sortArrow } from './table-sort.js';

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
  /** The narrowest the columns are read at (a CSS length); a narrower table scrolls sideways. */
  readonly minWidth?: string;
  /** Told when the pointer enters (true) or leaves (false) the rows. */
  readonly onPointerOverRows?: (over: boolean) => void;
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

  const body = useRef<HTMLDivElement>(null);
  /** The row Tab enters the table at, by key; the first row when none was focused. */
  const [active, setActive] = useState<string | undefined>();
  const activeIndex = Math.max(0, active === undefined ? 0 : props.rows.findIndex((r) => props.rowKey(r) === active));
  const focusNext = useRef(false);
  useEffect(() => {
    if (!focusNext.current) return;
    focusNext.current = false;
    body.current?.querySelector<HTMLElement>(`[data-index="${activeIndex}"]`)?.focus();
  });
  /** Focuses row `i` (scrolled into view first: a row out of view is not in the page). */
  const moveTo = (i: number) => {
    const row = props.rows[Math.min(Math.max(i, 0), props.rows.length - 1)];
    const el = body.current;
    if (row === undefined || !el) return;
    const index = props.rows.indexOf(row);
    const top = index * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
    setScrollTop(el.scrollTop);
    setActive(props.rowKey(row));
    focusNext.current = true;
  };
  const onRowKey = (e: KeyboardEvent<HTMLDivElement>, row: T, index: number) => {
    if (e.target !== e.currentTarget) return; // a control inside the row (a checkbox) keeps its keys
    const step: Record<string, number> = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: props.rows.length - 1, PageDown: index + maxVisible, PageUp: index - maxVisible };
    if (e.key in step) {
      e.preventDefault();
      moveTo(step[e.key] as number);
    } else if (e.key === 'Enter' && props.onRowClick) {
      e.preventDefault();
      props.onRowClick(row);
    }
  };

  return (
    <div className="vtable" role="table" data-testid={props.testId} data-rows={props.rows.length}>
      <div className="vtable-scroll" style={props.minWidth ? { minWidth: props.minWidth } : undefined}>
        <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
          {props.columns.map((c) => {
            const sortable = Boolean(c.sortValue && props.onSort);
            return (
              <div key={c.key} role="columnheader" className={c.numeric ? 'num' : undefined} aria-sort={sortable ? ariaSort(props.sort, c.key) : undefined}>
                {sortable ? (
                  <button type="button" className="sort-header" onClick={() => props.onSort?.(c.key)}>
                    {c.header}
                    {sortArrow(props.sort, c.key)}
                  </button>
                ) : (
                  c.header
                )}
              </div>
            );
          })}
        </div>
        <div
          className="vtable-body"
          ref={body}
          style={{ height }}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          onMouseEnter={props.onPointerOverRows && (() => props.onPointerOverRows?.(true))}
          onMouseLeave={props.onPointerOverRows && (() => props.onPointerOverRows?.(false))}
        >
          <div style={{ height: props.rows.length * rowHeight, position: 'relative' }}>
            {visible.map((row, i) => {
              const key = props.rowKey(row);
              const index = first + i;
              return (
                <div
                  key={key}
                  role="row"
                  tabIndex={index === activeIndex ? 0 : -1}
                  data-index={index}
                  aria-rowindex={index + 2}
                  onFocus={() => setActive(key)}
                  onKeyDown={(e) => onRowKey(e, row, index)}
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
    </div>
  );
}
