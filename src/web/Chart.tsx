/** One metric of one resource over time, drawn with uPlot. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Dimension } from '../lang/index.js';
import { cell } from './format.js';

export function Chart(props: { title: string; xs: readonly number[]; ys: readonly (number | null)[]; unit: Dimension | undefined; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const format = (v: number | null) => (v === null ? '-' : cell(v, { name: props.title, type: 'number', ...(props.unit ? { unit: props.unit } : {}) }));
    const plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: props.height ?? 220,
        series: [{}, { label: props.title, stroke: '#3b82f6', width: 1.5, fill: 'rgba(59,130,246,0.08)', value: (_u, v) => format(v) }],
        axes: [{ stroke: '#8a94a6' }, { stroke: '#8a94a6', size: 70, values: (_u, vals) => vals.map((v) => format(v)) }],
        scales: { x: { time: true } },
        legend: { show: true },
      },
      [props.xs as number[], props.ys as (number | null)[]],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 220 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [props.xs, props.ys, props.title, props.unit, props.height]);
  return <div className="chart" ref={box} data-testid="chart" />;
}
