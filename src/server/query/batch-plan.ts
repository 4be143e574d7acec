import type { Phase } from '../../lang/index.js';

/** The parameters of `rolling(...)` that decide its batches and its error budget. */
export type RolloutShape = Pick<Extract<Phase, { where: 'rollout' }>, 'batch' | 'maxErrors' | 'ramp'>;

export interface BatchPlan<T> {
  /** The targets in batches, in the order they run; every target in exactly one. */
  readonly batches: readonly (readonly T[])[];
  /** The largest batch: `batch` resolved against the number of targets (at least 1). */
  readonly size: number;
  /** Failures tolerated across the whole rollout: one more aborts it. */
  readonly maxErrors: number;
}

/**
 * The batches a rollout runs, in order, and its error budget, from its targets and parameters:
 * the one plan both the executor and the dry run read (rollout.ts, explain-run.ts). A share
 * (`batch = 25%`) is rounded up to at least one target; a share of errors (`max_errors = 10%`) is
 * rounded down (a budget never exceeds the share asked for). `ramp = exponential` grows the
 * batches 1, 2, 4, … up to the batch size, then keeps that size.
 *
 * @example
 * planBatches(['a', 'b', 'c', 'd', 'e'], { batch: { count: 2 }, maxErrors: { percent: 40 }, ramp: 'exponential' });
 * // { batches: [['a'], ['b', 'c'], ['d', 'e']], size: 2, maxErrors: 2 }
 */
export function planBatches<T>(targets: readonly T[], shape: RolloutShape): BatchPlan<T> {
  const n = targets.length;
  // A share is a float (`8.8%`): n × p / 100 may land a hair off a whole number, which the
  // rounding must not turn into one target more or less than the share asked for.
  const EPSILON = 1e-9;
  const asked = 'count' in shape.batch ? shape.batch.count : Math.ceil((n * shape.batch.percent) / 100 - EPSILON);
  // Never larger than the targets: a batch of 3 over 1 target is a batch of 1.
  const size = Math.max(1, n > 0 ? Math.min(asked, n) : asked);
  const budget = shape.maxErrors ?? { count: 0 };
  const maxErrors = 'count' in budget ? budget.count : Math.floor((n * budget.percent) / 100 + EPSILON);
  const batches: T[][] = [];
  let next = shape.ramp === 'exponential' ? 1 : size;
  for (let i = 0; i < n; ) {
    batches.push(targets.slice(i, i + next));
    i += next;
    next = Math.min(size, next * 2);
  }
  return { batches, size, maxErrors };
}
