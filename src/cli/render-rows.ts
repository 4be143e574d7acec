import type { PlanColumn } from '../lang/index.js';
import type { JsonValue, ResultRow } from '../protocol/index.js';
import { BY_NAME, formatNumber, groupFailures, groupOutputs, isMeasure, label, noun } from '../protocol/index.js';
import type { Style } from './style.js';

const MAX_NAMES = 8;

/**
 * Renders a query's rows for people: command outputs grouped ("3 hosts
 * (web-1, web-2, web-7)"), other rows as an aligned table with min/avg/max
 * of the measures (not of times or ids), failures grouped by reason. Never drops a row silently.
 * `wide` (`-o wide`): each host's output on its own, and tables with the resource's id.
 */
export function renderRows(rows: readonly ResultRow[], columns: readonly PlanColumn[], style: Style, ordered = false, wide = false): string {
  // Rows arrive in the order agents answer; unless a reduction ordered them, show them by name.
  const byName = (a: ResultRow, b: ResultRow) => BY_NAME.compare(label(a), label(b));
  const ok = rows.filter((r) => r.status === 'ok');
  if (!ordered) ok.sort(byName);
  const failed = rows.filter((r) => r.status !== 'ok').sort(byName);
  const out: string[] = [];
  if (ok.some((r) => 'stdout' in r.values)) out.push(renderOutputs(ok, style, wide));
  else if (ok.length) out.push(renderTable(ok, columns, style, wide));
  if (failed.length) out.push(renderFailures(failed, style));
  return out.filter(Boolean).join('\n');
}

/** Identical command results (exit code, stdout, stderr) as one group each, largest first; `separate`: one per host. */
function renderOutputs(rows: readonly ResultRow[], style: Style, separate: boolean): string {
  const parts: string[] = [];
  for (const g of separate ? rows.flatMap((r) => groupOutputs([r])) : groupOutputs(rows)) {
    const status = g.exitCode === 0 ? style.green('exit 0') : style.red(`exit ${String(g.exitCode)}`);
    parts.push(`${style.bold(`${g.rows.length} ${noun(g.rows[0]?.resource?.type, g.rows.length)}`)} ${style.dim(`(${names(g.rows)})`)} ${status}:`);
    if (g.stdout) parts.push(indent(g.stdout));
    if (g.stderr) parts.push(indent(g.stderr, style.yellow));
    if (!g.stdout && !g.stderr) parts.push(indent(style.dim('(no output)')));
  }
  return parts.join('\n');
}

function renderTable(rows: readonly ResultRow[], columns: readonly PlanColumn[], style: Style, wide: boolean): string {
  const withResource = rows.some((r) => r.resource);
  // A host's id is its name: the column is worth its width only for processes, containers, pods.
  const withId = wide && rows.some((r) => r.resource && r.resource.id !== r.resource.name);
  const names = columns.length ? columns.map((c) => c.name) : [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const header = [...(withResource ? [rows[0]?.resource?.type ?? 'resource'] : []), ...(withId ? ['id'] : []), ...names];
  const body = rows.map((r) => [...(withResource ? [label(r)] : []), ...(withId ? [r.resource?.id ?? '-'] : []), ...names.map((n) => cell(r.values[n], columns.find((c) => c.name === n)))]);
  const numeric = names.map((n) => rows.every((r) => typeof r.values[n] === 'number' || r.values[n] === null) && rows.some((r) => typeof r.values[n] === 'number'));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const offset = (withResource ? 1 : 0) + (withId ? 1 : 0);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= offset && numeric[i - offset] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [style.bold(line(header)), ...body.map(line)];
  if (rows.length > 1) {
    const summaries = names
      .map((n, i) => {
        const col = columns.find((c) => c.name === n);
        if (!numeric[i] || (col && !isMeasure(col))) return '';
        const xs = rows.map((r) => r.values[n]).filter((v): v is number => typeof v === 'number');
        const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
        return `${n}: min ${cell(Math.min(...xs), col)}  avg ${cell(avg, col)}  max ${cell(Math.max(...xs), col)}`;
      })
      .filter(Boolean);
    if (summaries.length) out.push(style.dim(summaries.join('\n')));
  }
  return out.join('\n');
}

function renderFailures(rows: readonly ResultRow[], style: Style): string {
  return groupFailures(rows)
    .map((g) => `${style.red(`✗ ${g.rows.length} ${noun(g.rows[0]?.resource?.type, g.rows.length)} ${g.status}`)} ${style.dim(`(${names(g.rows)})`)}: ${g.error}`)
    .join('\n');
}

function names(rows: readonly ResultRow[]): string {
  const all = rows.map(label);
  return all.length > MAX_NAMES ? `${all.slice(0, MAX_NAMES).join(', ')}, +${all.length - MAX_NAMES} more` : all.join(', ');
}

function indent(text: string, colour: (s: string) => string = (s) => s): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `    ${colour(l)}`)
    .join('\n');
}

/** A value as a person reads it: sizes in binary units, durations, percentages to one decimal. */
export function cell(v: JsonValue | undefined, column?: PlanColumn): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return formatNumber(v, column?.unit);
  if (Array.isArray(v)) return column?.type === 'series' ? sparkline(v.map((p) => (Array.isArray(p) ? Number(p[1]) : Number(p)))) : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\n/g, '⏎');
}

function sparkline(xs: readonly number[]): string {
  const ticks = '▁▂▃▄▅▆▇█';
  const finite = xs.filter(Number.isFinite);
  if (!finite.length) return '-';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const step = Math.max(1, Math.floor(finite.length / 40));
  let out = '';
  for (let i = 0; i < finite.length; i += step) out += ticks[hi === lo ? 0 : Math.round(((finite[i] as number) - lo) / (hi - lo) * 7)];
  return out;
}
