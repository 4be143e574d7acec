/**
 * The control plane's own metrics for Prometheus (GET /metrics): a registry per server, the store's
 * calls timed, and the parts' counts.
 *
 * @example
 * const metrics = new ControlPlaneMetrics(logger);
 * const store = timedStore(openSqliteStore(file), (op, s, failed) => metrics.storeCall(op, s, failed));
 */
export type { BreakerRefusal, MetricSources, QueryOutcome } from './control-plane-metrics.js';
export { ControlPlaneMetrics } from './control-plane-metrics.js';
export type { StoreCallObserver } from './store-timing.js';
export { timedStore } from './store-timing.js';
