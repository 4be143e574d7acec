/** A column of a table's header: its label ('' for a column of buttons), or a right-aligned numeric one. */
export type Column = string | { readonly label: string; readonly num: true };

/**
 * A table's header row, one cell per column, so that each page lists its columns instead of
 * writing the same markup again.
 *
 * @example
 * <table className="table">
 *   <TableHead columns={['Host', { label: 'Value', num: true }, '']} />
 *   <tbody>…</tbody>
 * </table>
 */
export function TableHead({ columns }: { readonly columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          typeof c !== 'string' ? (
            <th key={i} className="num">
              {c.label}
            </th>
          ) : c === '' ? (
            <th key={i} />
          ) : (
            <th key={i}>{c}</th>
          ),
        )}
      </tr>
    </thead>
  );
}
