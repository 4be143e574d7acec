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

/**
 * The rows sorted by the column `order` names, with that column's value from `values`; as they
 * are when there is no order or it names a column not in `values` (a hand-edited link).
 *
 * @example
 * sortedBy(runs, { key: 'took', direction: 'desc' }, { took: (r) => r.durationMs })
 */
export function sortedBy<T>(rows: readonly T[], order: SortOrder | undefined, values: Readonly<Record<string, (row: T) => SortValue>>): readonly T[] {
  const value = order && Object.hasOwn(values, order.key) ? values[order.key] : undefined;
  return order && value ? sortRows(rows, order, value) : rows;
}

/** The arrow after a sorted column's label (▲ ascending, ▼ descending), '' for the others. */
export function sortArrow(order: SortOrder | undefined, key: string): string {
  if (order?.key !== key) return '';
  return order.direction === 'asc' ? ' ▲' : ' ▼';
}

/** A sort as a URL parameter says it (`-cpu`: CPU, highest first); undefined when absent or not a column key's form. */
export function sortFromParam(param: string | null | undefined): SortOrder | undefined {
  if (!param || !/^-?[a-z]+$/.test(param)) return undefined;
  return { key: param.replace(/^-/, ''), direction: param.startsWith('-') ? 'desc' : 'asc' };
}

/** A sort as a URL parameter (`cpu`, `-cpu`). */
export function sortToParam(order: SortOrder | undefined): string | undefined {
  return order && `${order.direction === 'desc' ? '-' : ''}${order.key}`;
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
