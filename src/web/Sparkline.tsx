/** A small inline SVG line of a series (or of values kept between refreshes). */
import type { JsonValue } from '../protocol/index.js';
import { seriesPoints } from './format.js';

export function Sparkline(props: { values: JsonValue | undefined | readonly number[]; width?: number; height?: number; max?: number }) {
  const w = props.width ?? 96;
  const h = props.height ?? 20;
  const ys = (Array.isArray(props.values) && props.values.every((v) => typeof v === 'number') ? (props.values as number[]) : seriesPoints(props.values as JsonValue)[1]).filter((v): v is number => typeof v === 'number');
  if (ys.length < 2) return <svg className="spark" width={w} height={h} aria-hidden="true" />;
  const max = props.max ?? Math.max(...ys, 1e-9);
  const min = props.max !== undefined ? 0 : Math.min(...ys);
  const span = max - min || 1;
  const pts = ys.map((y, i) => `${((i / (ys.length - 1)) * w).toFixed(1)},${(h - 1 - ((y - min) / span) * (h - 2)).toFixed(1)}`).join(' ');
  return (
    <svg className="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden="true">
      <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="1.2" />
    </svg>
  );
}
