/**
 * A host's panel beside Fleet's table: a chart of any host metric over a range (last hour unless
 * the URL says otherwise), live; the host's containers and pods, live; and its processes, live.
 */
import { useMemo } from 'react';
import type { Catalogue } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import { HostContainers } from './HostContainers.js';
import { MetricChart } from './MetricChart.js';
import { Results } from './Results.js';
import { useLiveAnswer } from './use-live.js';

/**
 * A host's chart, containers, pods and processes. `containerDiscovery` is the host's attribute of
 * that name (`on`, `off`, or empty), which says why a host has no containers.
 */
export function HostDetail(props: { host: string; containerDiscovery: unknown; catalogue: Catalogue | undefined; range: string; onRange: (range: string) => void; onClose: () => void }) {
  const procStatement = `host | name = ${JSON.stringify(props.host)} | process | cpu_usage | mem_rss_bytes | top(100, cpu_usage)`;
  const procColumns = useMemo(() => (props.catalogue ? [...(analyze(procStatement, props.catalogue).plan?.columns ?? [])] : []), [procStatement, props.catalogue]);
  const hosts = useMemo(() => [props.host], [props.host]);

  const procs = useLiveAnswer(procStatement);
  const procRows = useMemo(() => procs.rows && [...procs.rows, ...procs.failures], [procs]);

  return (
    <section className="host-detail" data-testid="host-detail" aria-label={`host ${props.host}`}>
      <header>
        <h2>{props.host}</h2>
        <button className="link" onClick={props.onClose} aria-label="close" title="close (Esc)">
          ✕
        </button>
      </header>
      <MetricChart hosts={hosts} catalogue={props.catalogue} range={props.range} onRange={props.onRange} />
      <HostContainers host={props.host} discovery={props.containerDiscovery} />
      <h3>Processes</h3>
      {procs.error && <div className="error-box">{procs.error}</div>}
      {procRows ? <Results rows={procRows} columns={procColumns} ordered /> : <p className="dim">Loading…</p>}
    </section>
  );
}
