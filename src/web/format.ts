/** Values as the web UI shows them; grouping and number formats are shared with the CLI (src/protocol/present.ts). */
import type { PlanColumn } from '../lang/index.js';
import type { JsonValue } from '../protocol/index.js';
import { formatNumber, seconds } from '../protocol/index.js';

export type { FailureGroup, OutputGroup } from '../protocol/index.js';
export { BY_NAME, groupFailures, groupOutputs, label, noun } from '../protocol/index.js';

/** A value as a person reads it: sizes in binary units, durations, percentages to one decimal. */
export function cell(v: JsonValue | undefined, column?: PlanColumn): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return formatNumber(v, column?.unit);
  if (Array.isArray(v)) return column?.type === 'series' ? `${v.length} samples` : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
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
