import type { Io } from './io.js';
import type { OutputFormat } from './output-format.js';
import { yamlDocuments } from './output-format.js';
import type { Style } from './style.js';
import { styleFor } from './style.js';

/** A column of a table: its header and how a cell is written from an item. */
export type Column = readonly [string, (i: Record<string, unknown>) => string];

/** How one kind of item is listed: its columns, those `-o wide` adds, and its `kind/name`. */
export interface Listing {
  readonly columns: readonly Column[];
  readonly wide?: readonly Column[];
  /** `-o name`: `agent/web-1`, as kubectl names things. */
  readonly name: (i: Record<string, unknown>) => string;
}

/** A `PACK` column while any item came from a pack (`disk-full-logs@1.0.0`), so listings without packs stay as they were. */
export function packColumn(items: readonly Record<string, unknown>[]): Column[] {
  return items.some((i) => typeof i.pack === 'string') ? [['PACK', (i) => (typeof i.pack === 'string' ? i.pack : '-')]] : [];
}

/**
 * Prints items as the format asks: an aligned table (people; `wide` with the extra columns), a
 * JSON array, a YAML sequence (the same data: parse either and compare), or one `kind/name` a line.
 *
 * @example
 * await printListing(io, 'yaml', agents, { columns: [['NAME', (a) => String(a.name)]], name: (a) => `agent/${String(a.name)}` });
 */
export async function printListing(io: Io, format: OutputFormat, items: readonly Record<string, unknown>[], listing: Listing): Promise<void> {
  switch (format) {
    case 'json':
      io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
      return;
    case 'yaml':
      io.stdout.write(await yamlDocuments([items]));
      return;
    case 'name':
      for (const i of items) io.stdout.write(`${listing.name(i)}\n`);
      return;
    default: {
      const table = new TableWriter(columnsFor(format, listing), styleFor(io.stdout, io.env), (s) => io.stdout.write(s));
      table.start(items);
      if (!items.length) io.stdout.write(table.style.dim('(none)\n'));
    }
  }
}

/** The columns of a table in this format: `wide` adds the listing's extra ones. */
export const columnsFor = (format: OutputFormat, listing: Listing): readonly Column[] => (format === 'wide' ? [...listing.columns, ...(listing.wide ?? [])] : listing.columns);

/**
 * An aligned table written as it goes: the header and first items set the column widths, later
 * rows (a `--watch`) keep them, so a growing listing stays aligned unless a cell is longer.
 *
 * @example
 * const t = new TableWriter(columns, style, (s) => io.stdout.write(s));
 * t.start(items);
 * t.row(changed);
 */
export class TableWriter {
  #widths: number[];

  constructor(
    private readonly columns: readonly Column[],
    readonly style: Style,
    private readonly write: (text: string) => void,
  ) {
    this.#widths = columns.map(([h]) => h.length);
  }

  /** The header, then these items, the widths fitted to all of them. */
  start(items: readonly Record<string, unknown>[]): void {
    const rows = items.map((i) => this.#cells(i));
    for (const r of rows) this.#widths = this.#widths.map((w, c) => Math.max(w, (r[c] ?? '').length));
    this.write(`${this.style.bold(this.#line(this.columns.map(([h]) => h)))}\n`);
    for (const r of rows) this.write(`${this.#line(r)}\n`);
  }

  /** One more item, under the others. */
  row(item: Record<string, unknown>): void {
    this.write(`${this.#line(this.#cells(item))}\n`);
  }

  #cells(item: Record<string, unknown>): string[] {
    return this.columns.map(([, f]) => f(item));
  }

  #line(cells: readonly string[]): string {
    return cells
      .map((c, i) => c.padEnd(this.#widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  }
}
