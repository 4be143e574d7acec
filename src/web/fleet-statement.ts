/**
 * The statements behind Fleet's filter box. A filter is a pipeline over hosts; the page adds the
 * metric columns it shows. Agents answer in no particular order, and asking them for metrics after a
 * `sort` or `top` undoes that order (the plan is no longer `ordered`), so a filter that orders goes
 * after the metric stages instead, where its order is the answer's.
 */
import type { Catalogue } from '../lang/index.js';
import { analyze } from '../lang/index.js';

/** The metric columns Fleet shows, as pipeline stages. */
export const FLEET_METRICS = ['cpu_usage', 'mem_usage', 'disk_usage'] as const;

/** The statement the filter box stands for: a pipeline starting at `host`. */
export function filterStatement(filter: string): string {
  const f = filter.trim();
  if (!f) return 'host';
  return /^host\b/.test(f) ? f : `host | ${f}`;
}

/** What Fleet asks live for a filter, and whether the rows' order is the filter's. */
export interface FleetStatement {
  readonly statement: string;
  readonly ordered: boolean;
}

/**
 * The live statement for a filter: metrics after the filter's stages, or before them when the
 * filter orders the hosts (so that `sort(-cpu_usage)` or `top(5, disk_usage)` decide the table's order).
 *
 * @example
 * fleetStatement('sort(-cpu_usage)', catalogue)
 * // { statement: 'host | cpu_usage | mem_usage | disk_usage | sort(-cpu_usage)', ordered: true }
 */
export function fleetStatement(filter: string, catalogue: Catalogue | undefined): FleetStatement {
  const metrics = FLEET_METRICS.join(' | ');
  const hosts = filterStatement(filter);
  const plain = { statement: `${hosts} | ${metrics}`, ordered: false };
  if (!catalogue || !analyze(hosts, catalogue).plan?.ordered) return plain;
  const stages = hosts.replace(/^host\s*\|/, '').trim();
  const statement = `host | ${metrics} | ${stages}`;
  const after = analyze(statement, catalogue);
  return after.ok && after.plan?.ordered ? { statement, ordered: true } : plain;
}
