/**
 * A host's panel beside Fleet's table: a chart of any host metric over the last hour, live, and the
 * host's processes, live.
 */
import { Suspense, lazy, useEffect, useMemo, useState } from 'react';
import type { Catalogue, Dimension } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import type { LiveState } from './api.js';
import { liveQuery, query } from './api.js';
import { seriesPoints } from './format.js';
import { Results } from './Results.js';

// uPlot is loaded with the first chart, not with the page.
const Chart = lazy(() => import('./Chart.js').then((m) => ({ default: m.Chart })));

/** An hour at one point a second: what the chart keeps. */
const CHART_POINTS = 3600;

/**
 * A host's chart and processes: the metric's last hour once, then each second's value appended
 * from a live query; the process table from another live query.
 */
export function HostDetail(props: { host: string; catalogue: Catalogue | undefined; onClose: () => void }) {
  const hostMetrics = props.catalogue?.resources.host.metrics ?? [];
  const [metric, setMetric] = useState('cpu_usage');
  const [series, setSeries] = useState<{ xs: number[]; ys: (number | null)[] } | undefined>();
  const [procs, setProcs] = useState<ResultRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const sel = `host | name = ${JSON.stringify(props.host)}`;
  const procStatement = `${sel} | process | cpu_usage | mem_rss_bytes | top(100, cpu_usage)`;
  const procColumns = useMemo(() => (props.catalogue ? [...(analyze(procStatement, props.catalogue).plan?.columns ?? [])] : []), [procStatement, props.catalogue]);

  useEffect(() => {
    const controller = new AbortController();
    const points = { xs: [] as number[], ys: [] as (number | null)[] };
    const show = () => setSeries({ xs: [...points.xs], ys: [...points.ys] });
    setSeries(undefined);
    const onState = (state: LiveState) => setError(state.error);
    query(`${sel} | ${metric}[1h]`, controller.signal)
      .then((chart) => {
        const [xs, ys] = seriesPoints(chart.rows[0]?.values[`${metric}[1h]`]);
        // Live values that arrived while the hour was loading go after it.
        const after = points.xs.findIndex((x) => x > (xs.at(-1) ?? -Infinity));
        points.xs = [...xs, ...(after < 0 ? [] : points.xs.slice(after))];
        points.ys = [...ys, ...(after < 0 ? [] : points.ys.slice(after))];
        show();
      })
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError((err as Error).message);
      });
    const stopChart = liveQuery(
      `${sel} | ${metric}`,
      '1s',
      (m) => {
        if (m.type === 'error') return setError(m.message);
        const v = m.rows[0]?.values[metric];
        const x = Math.floor(m.time / 1000);
        if (typeof v !== 'number' || x <= (points.xs.at(-1) ?? -Infinity)) return;
        points.xs.push(x);
        points.ys.push(v);
        if (points.xs.length > CHART_POINTS) {
          points.xs.shift();
          points.ys.shift();
        }
        show();
      },
      onState,
    );
    const stopProcs = liveQuery(procStatement, '2s', (m) => (m.type === 'error' ? setError(m.message) : setProcs([...m.rows, ...m.failures])), onState);
    return () => {
      controller.abort();
      stopChart();
      stopProcs();
    };
  }, [sel, metric, procStatement]);

  const unit: Dimension | undefined = hostMetrics.find((m) => m.name === metric)?.dim;
  return (
    <section className="host-detail" data-testid="host-detail">
      <header>
        <h2>{props.host}</h2>
        <button className="link" onClick={props.onClose} aria-label="close">
          ✕
        </button>
      </header>
      {error && <div className="error-box">{error}</div>}
      <label className="metric-pick">
        metric{' '}
        <select value={metric} onChange={(e) => setMetric(e.target.value)}>
          {hostMetrics.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>{' '}
        <span className="dim">last hour, 1 s resolution, live</span>
      </label>
      {series && series.xs.length > 1 ? (
        <Suspense fallback={<p className="dim">Loading…</p>}>
          <Chart title={metric} xs={series.xs} ys={series.ys} unit={unit} />
        </Suspense>
      ) : (
        <p className="dim">{series ? 'No samples yet.' : 'Loading…'}</p>
      )}
      <h3>Processes</h3>
      {procs ? <Results rows={procs} columns={procColumns} ordered /> : <p className="dim">Loading…</p>}
    </section>
  );
}
