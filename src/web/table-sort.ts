/**
 * Sorting a table by a clicked column header: numbers numerically, text naturally (`web-2` before
 * `web-10`, with the CLI's BY_NAME collator), and rows without a value last in either direction,
 * so that hosts which have not answered never crowd the top of a "highest CPU first" view.
 */
import { BY_NAME } from './format.js';

export type SortDirection = 'asc' | 'desc';

/** The column a table is sorted by, and which way. */
export interface SortOrder {
  readonly key: string;
  readonly direction: SortDirection;
}

/** A cell's value for sorting; undefined when the row has none (no answer yet). */
export type SortValue = string | number | undefined;

/**
 * The order after a click on `key`'s header: ascending for a new column, the other way for the same one.
 *
 * @example
 * nextSort({ key: 'cpu', direction: 'asc' }, 'cpu') // { key: 'cpu', direction: 'desc' }
 */
export function nextSort(current: SortOrder | undefined, key: string): SortOrder {
  if (current?.key !== key) return { key, direction: 'asc' };
  return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
}

function compareDefined(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return BY_NAME.compare(String(a), String(b));
}

/**
 * The rows sorted by `value` in `order`'s direction (a new array; ties keep their order).
 *
 * @example
 * sortRows(hosts, { key: 'cpu', direction: 'desc' }, (h) => h.cpu)
 */
export function sortRows<T>(rows: readonly T[], order: SortOrder, value: (row: T) => SortValue): T[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  return rows
    .map((row) => ({ row, v: value(row) }))
    .sort((x, y) => {
      if (x.v === undefined || y.v === undefined) return x.v === undefined ? (y.v === undefined ? 0 : 1) : -1;
      return sign * compareDefined(x.v, y.v);
    })
    .map((x) => x.row);
}

/** The aria-sort of a column's header. */
export function ariaSort(order: SortOrder | undefined, key: string): 'ascending' | 'descending' | 'none' {
  if (order?.key !== key) return 'none';
  return order.direction === 'asc' ? 'ascending' : 'descending';
}

/**
 * The rows in the order `previous` (their keys) had, rows not in it after them in their own order:
 * a sorted table whose values move live holds still while the pointer is over its rows.
 *
 * @example
 * keepOrder(['b', 'a'], [{ k: 'a' }, { k: 'c' }, { k: 'b' }], (r) => r.k) // [{ k: 'b' }, { k: 'a' }, { k: 'c' }]
 */
export function keepOrder<T>(previous: readonly string[], rows: readonly T[], key: (row: T) => string): T[] {
  const at = new Map(previous.map((k, i) => [k, i]));
  return rows
    .map((row, i) => ({ row, i, was: at.get(key(row)) }))
    .sort((x, y) => (x.was ?? previous.length + x.i) - (y.was ?? previous.length + y.i))
    .map((x) => x.row);
}
