import type { JsonValue, ResultRow } from './rows.js';

/*
 * How result rows read for people, shared by the CLI and the web UI so both
 * group, name and format the same way.
 */

let collator: Intl.Collator | undefined;

/**
 * Name order as people expect it: web-2 before web-10. One collator, reused (sorting 1,000 rows),
 * made on first use: building it loads ICU collation data, megabytes an agent never needs.
 *
 * @example
 * names.sort(BY_NAME.compare);
 */
export const BY_NAME = {
  compare(a: string, b: string): number {
    collator ??= new Intl.Collator('en', { numeric: true });
    return collator.compare(a, b);
  },
} as const;

/** How a row's resource reads: `web-1`, or `web-1/nginx:4242` for a process. */
export function label(r: ResultRow): string {
  const res = r.resource;
  if (!res) return '-';
  if (res.type === 'host') return res.name;
  return `${res.host}/${res.name}${res.type === 'process' ? `:${res.id.split('/').pop() ?? ''}` : ''}`;
}

const PLURALS: Readonly<Record<string, string>> = { host: 'hosts', process: 'processes', container: 'containers', pod: 'pods', row: 'rows' };

/** `host` / `hosts`, `process` / `processes`. */
export function noun(type: string | undefined, n: number): string {
  const t = type ?? 'row';
  return n === 1 ? t : (PLURALS[t] ?? `${t}s`);
}

export interface OutputGroup {
  readonly key: string;
  readonly exitCode: JsonValue | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly rows: readonly ResultRow[];
}

/** Groups identical command results (same exit code, stdout and stderr), largest group first. */
export function groupOutputs(rows: readonly ResultRow[]): OutputGroup[] {
  return [...groupBy(rows, (r) => JSON.stringify([r.values.exit_code, r.values.stdout, r.values.stderr]))]
    .map(([key, members]) => {
      const first = members[0] as ResultRow;
      return { key, exitCode: first.values.exit_code, stdout: String(first.values.stdout ?? ''), stderr: String(first.values.stderr ?? ''), rows: members };
    })
    .sort((a, b) => b.rows.length - a.rows.length || BY_NAME.compare(label(a.rows[0] as ResultRow), label(b.rows[0] as ResultRow)));
}

export interface FailureGroup {
  readonly key: string;
  readonly status: string;
  readonly error: string;
  readonly rows: readonly ResultRow[];
}

/** Failed rows grouped by status and error message, largest group first. */
export function groupFailures(rows: readonly ResultRow[]): FailureGroup[] {
  return [...groupBy(rows, (r) => `${r.status}\u0000${r.error ?? ''}`)]
    .map(([key, members]) => ({ key, status: members[0]?.status ?? 'error', error: members[0]?.error ?? '', rows: members }))
    .sort((a, b) => b.rows.length - a.rows.length);
}

/** Groups in first-seen order, members sorted by name. */
function groupBy(rows: readonly ResultRow[], key: (r: ResultRow) => string): Map<string, ResultRow[]> {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = key(r);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  for (const g of groups.values()) g.sort((a, b) => BY_NAME.compare(label(a), label(b)));
  return groups;
}

/**
 * A number as a person reads it, by its unit: sizes in binary units, rates, percentages,
 * durations, one decimal below 100; a timestamp (seconds since the Unix epoch) as ISO 8601 UTC;
 * an identifier (a pid) as it is. NaN and infinities read `-`: nothing was measured.
 *
 * @example
 * formatNumber(3221225472, 'bytes') // '3GiB'
 * formatNumber(1700000000, 'timestamp') // '2023-11-14T22:13:20Z'
 */
export function formatNumber(v: number, unit: string | undefined): string {
  if (!Number.isFinite(v)) return '-';
  switch (unit) {
    case 'bytes':
      return bytes(v);
    case 'bytes_per_second':
      return `${bytes(v)}/s`;
    case 'percent':
      return `${round(v)}%`;
    case 'seconds':
      return seconds(v);
    case 'timestamp':
      return isoTime(v);
    case 'identifier':
      return String(v);
    default:
      return String(round(v));
  }
}

/**
 * Whether a column's min/avg/max says something: numbers that measure, not points in time or
 * identifiers (the average of two event times or two pids means nothing).
 *
 * @example
 * isMeasure({ type: 'number', unit: 'percent' }) // true
 * isMeasure({ type: 'number', unit: 'timestamp' }) // false
 */
export function isMeasure(column: { readonly type: string; readonly unit?: string }): boolean {
  return column.type === 'number' && column.unit !== 'timestamp' && column.unit !== 'identifier';
}

/**
 * Seconds since the Unix epoch as ISO 8601 UTC to the second, as the CLI prints times (it reads
 * the same on every operator's machine and sorts as text); past what a date can hold, the number.
 *
 * @example
 * isoTime(1700000000) // '2023-11-14T22:13:20Z'
 */
export function isoTime(epochSeconds: number): string {
  const d = new Date(Math.round(epochSeconds) * 1000);
  return Number.isNaN(d.getTime()) ? String(round(epochSeconds)) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
}

function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${round(x)}${units[i]}`;
}

/** `850ms`, `42s`, `3.5m`, `2h`, `3d`; `-5s` before zero, `-` for NaN and infinities. */
export function seconds(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v < 0) return `-${seconds(-v)}`;
  if (v < 1) return `${Math.round(v * 1000)}ms`;
  if (v < 120) return `${round(v)}s`;
  if (v < 7200) return `${round(v / 60)}m`;
  if (v < 172_800) return `${round(v / 3600)}h`;
  return `${round(v / 86_400)}d`;
}

/**
 * How long a run took, from its start and end (ms since the epoch): `850ms`, `3.5m`; `running`
 * while it has no end yet. The CLI's `get runs` and the web UI's Runs page say it alike.
 */
export function runDuration(startedAt: number, finishedAt: number | null): string {
  return finishedAt === null ? 'running' : seconds((finishedAt - startedAt) / 1000);
}
