import type { Phase } from './plan.js';

/**
 * Whether a plan's rows come out in an order that is part of the answer (`plan.ordered`).
 * Agents answer in no particular order, so rows are unordered until a `sort` or `top` orders
 * them on the control plane; a later `sample` shuffles them and a later agent phase collects
 * them again as agents answer, which undoes it. Filters, columns and `limit` keep the order;
 * aggregations make rows of groups, named by no resource, so there is no name order to fall
 * back on and they keep whatever order they had.
 *
 * @example
 * isOrdered(plan.phases) // host | sort(-cpu_usage) | limit(3)  -> true
 *                        // host | limit(3)                     -> false
 */
export function isOrdered(phases: readonly Phase[]): boolean {
  let ordered = false;
  for (const phase of phases) {
    if (phase.where === 'agent') ordered = false;
    if (phase.where !== 'control') continue;
    for (const step of phase.steps) {
      if (step.op === 'sort' || step.op === 'top') ordered = true;
      else if (step.op === 'sample') ordered = false;
    }
  }
  return ordered;
}
