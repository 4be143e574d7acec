/** One metric over time, drawn with uPlot: of one resource, or of several (one line each, with a legend). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Dimension } from '../lang/index.js';
import { cell } from './format.js';

/** Line colours, told apart in both the light and the dark scheme. */
const PALETTE = ['#3b82f6', '#f59e0b', '#22c55e', '#ec4899', '#a855f7', '#14b8a6', '#ef4444', '#84cc16'];

/** A line of the chart: its label (a host) and its values at the chart's times. */
export interface ChartLine {
  readonly label: string;
  readonly ys: readonly (number | null)[];
}

export function Chart(props: { title: string; xs: readonly number[]; lines: readonly ChartLine[]; unit: Dimension | undefined; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = (): uPlot.AlignedData => [props.xs as number[], ...props.lines.map((l) => l.ys as (number | null)[])];
  const labels = props.lines.map((l) => l.label).join('\u0000');

  // The plot is made again only when what it shows changes; new points (a live chart gets one a
  // second) go in with setData.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const format = (v: number | null) => (v === null ? '-' : cell(v, { name: props.title, type: 'number', ...(props.unit ? { unit: props.unit } : {}) }));
    const one = props.lines.length === 1;
    const p = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: props.height ?? 220,
        series: [
          {},
          ...labels.split('\u0000').map((label, i) => {
            const stroke = PALETTE[i % PALETTE.length] as string;
            return { label: one ? props.title : label, stroke, width: 1.5, ...(one ? { fill: 'rgba(59,130,246,0.08)' } : {}), value: (_u: uPlot, v: number | null) => format(v) };
          }),
        ],
        axes: [{ stroke: '#8a94a6' }, { stroke: '#8a94a6', size: 70, values: (_u, vals) => vals.map((v) => format(v)) }],
        scales: { x: { time: true } },
        legend: { show: true },
      },
      data(),
      el,
    );
    plot.current = p;
    const onResize = () => p.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 220 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      p.destroy();
      plot.current = undefined;
    };
    // Made again when the lines' labels change, not on each new value.
  }, [props.title, props.unit, props.height, labels]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [props.xs, props.lines]);

  return <div className="chart" ref={box} data-testid="chart" data-points={props.xs.length} data-lines={props.lines.length} />;
}
