/** One metric of one resource over time, drawn with uPlot. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Dimension } from '../lang/index.js';
import { cell } from './format.js';

export function Chart(props: { title: string; xs: readonly number[]; ys: readonly (number | null)[]; unit: Dimension | undefined; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = (): uPlot.AlignedData => [props.xs as number[], props.ys as (number | null)[]];

  // The plot is made again only when what it shows changes; new points (a live chart gets one a
  // second) go in with setData.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const format = (v: number | null) => (v === null ? '-' : cell(v, { name: props.title, type: 'number', ...(props.unit ? { unit: props.unit } : {}) }));
    const p = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: props.height ?? 220,
        series: [{}, { label: props.title, stroke: '#3b82f6', width: 1.5, fill: 'rgba(59,130,246,0.08)', value: (_u, v) => format(v) }],
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
  }, [props.title, props.unit, props.height]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [props.xs, props.ys]);

  return <div className="chart" ref={box} data-testid="chart" data-points={props.xs.length} />;
}
