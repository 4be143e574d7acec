/** Values and result groups as people read them; the same rules as the CLI (src/cli/render-rows.ts). */
import type { PlanColumn } from '../lang/index.js';
import type { JsonValue, ResultRow } from '../protocol/index.js';

export const BY_NAME = new Intl.Collator('en', { numeric: true });

/** How a row's resource reads: `web-1`, or `web-1/nginx:4242` for a process. */
export function label(r: ResultRow): string {
  const res = r.resource;
  if (!res) return '-';
  if (res.type === 'host') return res.name;
  return `${res.host}/${res.name}${res.type === 'process' ? `:${res.id.split('/').pop() ?? ''}` : ''}`;
}

export function noun(type: string | undefined, n: number): string {
  const t = type ?? 'row';
  const plural: Record<string, string> = { host: 'hosts', process: 'processes', container: 'containers', pod: 'pods', row: 'rows' };
  return n === 1 ? t : (plural[t] ?? `${t}s`);
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
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.values.exit_code, r.values.stdout, r.values.stderr]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  return [...groups.entries()]
    .map(([key, members]) => {
      members.sort((a, b) => BY_NAME.compare(label(a), label(b)));
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

/** Failed rows grouped by status and error message. */
export function groupFailures(rows: readonly ResultRow[]): FailureGroup[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = `${r.status}\u0000${r.error ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  return [...groups.entries()]
    .map(([key, members]) => ({ key, status: members[0]?.status ?? 'error', error: members[0]?.error ?? '', rows: members.sort((a, b) => BY_NAME.compare(label(a), label(b))) }))
    .sort((a, b) => b.rows.length - a.rows.length);
}

/** A value as a person reads it: sizes in binary units, durations, percentages to one decimal. */
export function cell(v: JsonValue | undefined, column?: PlanColumn): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    switch (column?.unit) {
      case 'bytes':
        return bytes(v);
      case 'bytes_per_second':
        return `${bytes(v)}/s`;
      case 'percent':
        return `${round(v)}%`;
      case 'seconds':
        return seconds(v);
      default:
        return String(round(v));
    }
  }
  if (Array.isArray(v)) return column?.type === 'series' ? `${v.length} samples` : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
}

export function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${round(x)} ${units[i] ?? 'B'}`;
}

export function seconds(v: number): string {
  if (v < 1) return `${Math.round(v * 1000)}ms`;
  if (v < 120) return `${round(v)}s`;
  if (v < 7200) return `${Math.round(v / 60)}m`;
  if (v < 172_800) return `${Math.round(v / 3600)}h`;
  return `${Math.round(v / 86_400)}d`;
}

/** Samples of a series column: `[t, v]` pairs or bare numbers, as [seconds[], values[]]. */
export function seriesPoints(v: JsonValue | undefined): [number[], (number | null)[]] {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  if (!Array.isArray(v)) return [xs, ys];
  v.forEach((p, i) => {
    if (Array.isArray(p)) {
      const t = Number(p[0]);
      xs.push(t > 1e11 ? t / 1000 : t);
      ys.push(typeof p[1] === 'number' ? p[1] : null);
    } else if (p && typeof p === 'object' && 't' in p) {
      const t = Number(p.t);
      xs.push(t > 1e11 ? t / 1000 : t);
      ys.push(typeof p.v === 'number' ? p.v : null);
    } else {
      xs.push(i);
      ys.push(typeof p === 'number' ? p : null);
    }
  });
  return [xs, ys];
}

export function ago(ms: number | null): string {
  if (!ms) return 'never';
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 5 ? 'just now' : `${seconds(s)} ago`;
}
