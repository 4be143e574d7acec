/**
 * A chart of one host metric for one or several hosts, with a metric picker and a time-range
 * picker (last 5 m, 15 m, 1 h, 6 h, or a custom `90m`): the host detail's chart, and the compare
 * chart of hosts selected in Fleet. The range lives in the page's URL (the caller keeps it).
 */
import { Suspense, lazy, useState } from 'react';
import type { Catalogue, Dimension } from '../lang/index.js';
import { useHostSeries } from './chart-series.js';
import { PRESET_RANGES, rangeSeconds } from './url-state.js';

// uPlot is loaded with the first chart, not with the page.
const Chart = lazy(() => import('./Chart.js').then((m) => ({ default: m.Chart })));

/** The range buttons and a custom range box; a custom range applies on Enter or when the box is left. */
export function RangePicker(props: { range: string; onRange: (range: string) => void }) {
  const preset = (PRESET_RANGES as readonly string[]).includes(props.range);
  const [custom, setCustom] = useState(preset ? '' : props.range);
  const valid = rangeSeconds(custom.trim()) !== undefined;
  const apply = () => valid && props.onRange(custom.trim());
  return (
    <span className="range-picker" role="group" aria-label="time range" data-testid="range-picker">
      {PRESET_RANGES.map((r) => (
        <button key={r} type="button" className={r === props.range ? 'active' : undefined} aria-pressed={r === props.range} onClick={() => props.onRange(r)}>
          {r}
        </button>
      ))}
      <input
        aria-label="custom range"
        className={`range-custom${!preset ? ' active' : ''}${custom && !valid ? ' invalid' : ''}`}
        placeholder="custom: 90m"
        title="a whole number of s, m, h or d, up to 7d"
        value={custom}
        size={8}
        onChange={(e) => setCustom(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && apply()}
        onBlur={apply}
      />
    </span>
  );
}

export function MetricChart(props: { hosts: readonly string[]; catalogue: Catalogue | undefined; range: string; onRange: (range: string) => void }) {
  const hostMetrics = props.catalogue?.resources.host.metrics ?? [];
  const [metric, setMetric] = useState('cpu_usage');
  const seconds = rangeSeconds(props.range) ?? 3600;
  const { series, error } = useHostSeries(props.hosts, metric, props.range, seconds);
  const unit: Dimension | undefined = hostMetrics.find((m) => m.name === metric)?.dim;
  const lines = series ? props.hosts.map((label, i) => ({ label, ys: series.ys[i] ?? [] })) : [];
  return (
    <div className="metric-chart">
      {error && <div className="error-box">{error}</div>}
      <div className="metric-pick">
        <label>
          metric{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value)}>
            {hostMetrics.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </label>{' '}
        <RangePicker range={props.range} onRange={props.onRange} /> <span className="dim">last {props.range}, live</span>
      </div>
      {series && series.xs.length > 1 ? (
        <Suspense fallback={<p className="dim">Loading…</p>}>
          <Chart title={metric} xs={series.xs} lines={lines} unit={unit} />
        </Suspense>
      ) : (
        <p className="dim">{series ? 'No samples yet.' : 'Loading…'}</p>
      )}
    </div>
  );
}
