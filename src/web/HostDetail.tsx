/**
 * A host's panel beside Fleet's table: a chart of any host metric over a range (last hour unless
 * the URL says otherwise), live, and the host's processes, live.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Catalogue } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { ResultRow } from '../protocol/index.js';
import { liveQuery } from './api.js';
import { MetricChart } from './MetricChart.js';
import { Results } from './Results.js';

/** A host's chart and processes; the process table from a live query. */
export function HostDetail(props: { host: string; catalogue: Catalogue | undefined; range: string; onRange: (range: string) => void; onClose: () => void }) {
  const [procs, setProcs] = useState<ResultRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const procStatement = `host | name = ${JSON.stringify(props.host)} | process | cpu_usage | mem_rss_bytes | top(100, cpu_usage)`;
  const procColumns = useMemo(() => (props.catalogue ? [...(analyze(procStatement, props.catalogue).plan?.columns ?? [])] : []), [procStatement, props.catalogue]);
  const hosts = useMemo(() => [props.host], [props.host]);

  useEffect(() => {
    setProcs(undefined);
    return liveQuery(procStatement, '2s', (m) => (m.type === 'error' ? setError(m.message) : setProcs([...m.rows, ...m.failures])), (state) => setError(state.error));
  }, [procStatement]);

  return (
    <section className="host-detail" data-testid="host-detail" aria-label={`host ${props.host}`}>
      <header>
        <h2>{props.host}</h2>
        <button className="link" onClick={props.onClose} aria-label="close" title="close (Esc)">
          ✕
        </button>
      </header>
      {error && <div className="error-box">{error}</div>}
      <MetricChart hosts={hosts} catalogue={props.catalogue} range={props.range} onRange={props.onRange} />
      <h3>Processes</h3>
      {procs ? <Results rows={procs} columns={procColumns} ordered /> : <p className="dim">Loading…</p>}
    </section>
  );
}
