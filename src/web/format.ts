/** Values as the web UI shows them; grouping and number formats are shared with the CLI (src/protocol/present.ts). */
import type { PlanColumn } from '../lang/index.js';
import type { JsonValue } from '../protocol/index.js';
import { formatNumber, seconds } from '../protocol/index.js';

export type { FailureGroup, OutputGroup } from '../protocol/index.js';
export { BY_NAME, groupFailures, groupOutputs, isMeasure, isoTime, label, noun } from '../protocol/index.js';

/** A value as a person reads it: sizes in binary units, durations, percentages to one decimal, times in the browser's zone. */
export function cell(v: JsonValue | undefined, column?: PlanColumn): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return column?.unit === 'timestamp' ? localTime(v) : formatNumber(v, column?.unit);
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

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Seconds since the Unix epoch in the browser's time zone: `14:03:22` today, `2026-12-05 14:03:22`
 * on another day (an operator reads the clock on the wall; the date only when it is not today).
 * NaN, infinities and times past what a date holds read as the CLI shows them.
 *
 * @example
 * localTime(Date.now() / 1000) // '14:03:22'
 */
export function localTime(epochSeconds: number, now: Date = new Date()): string {
  const d = new Date(Math.round(epochSeconds) * 1000);
  if (Number.isNaN(d.getTime())) return formatNumber(epochSeconds, 'timestamp');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? clock : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}
