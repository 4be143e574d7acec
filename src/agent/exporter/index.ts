/**
 * The agent's own Prometheus exporter (`--metrics-listen`): host and process metrics from the
 * per-second collection and the agent's state, on `GET /metrics`. Imported dynamically by the
 * agent only when it is asked for, so agents without it carry no prom-client.
 *
 * @example
 * const { startExporter } = await import('./exporter/index.js');
 * const exporter = await startExporter(daemon, { host: '127.0.0.1', port: 9464 });
 */
import type { ExporterSource } from './agent-registry.js';
import { agentRegistry } from './agent-registry.js';
import type { ListenAddress, RunningExporter } from './exporter-server.js';
import { serveExporter } from './exporter-server.js';

export type { ExporterSource } from './agent-registry.js';
export { HOST_EXPORTS, MAX_EXPORTED_PROCESSES, PROCESS_EXPORTS, agentRegistry } from './agent-registry.js';
export type { ListenAddress, RunningExporter } from './exporter-server.js';
export { serveExporter } from './exporter-server.js';

/** Serves `source`'s metrics at `at`; rejects with node's error (EADDRINUSE, EADDRNOTAVAIL) when it cannot listen there. */
export function startExporter(source: ExporterSource, at: ListenAddress, onError?: (err: Error) => void): Promise<RunningExporter> {
  return serveExporter(agentRegistry(source), at, onError);
}
