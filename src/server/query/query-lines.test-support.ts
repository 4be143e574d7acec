import type { Plan } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { ExecuteLine, ExecuteResult } from './execute.js';

/** A statement's plan from the real planner, so tests read as statements. */
export function planOf(statement: string): Plan {
  const analysis = analyze(statement, BUILTIN_CATALOGUE);
  if (!analysis.plan) throw new Error(`${statement}: ${analysis.diagnostics.map((d) => d.message).join('; ')}`);
  return analysis.plan;
}

/**
 * Pulls an execution's lines in the background, as a consumer would, so a test can move the fake
 * clock and look at what has arrived so far.
 *
 * @example
 * const run = consume(executePlan(plan, fleet, options));
 * await clock.advance(1000);
 * expect(run.rows()).toHaveLength(2);
 */
export function consume(lines: AsyncIterable<ExecuteLine>) {
  const seen: ExecuteLine[] = [];
  const state: { finished: boolean; error?: unknown } = { finished: false };
  const done = (async () => {
    try {
      for await (const line of lines) seen.push(line);
    } catch (err) {
      state.error = err;
    }
    state.finished = true;
  })();
  return {
    seen,
    done,
    get finished() {
      return state.finished;
    },
    get error() {
      return state.error;
    },
    /** Every row shown so far, in order. */
    rows: () => seen.flatMap((l) => (l.type === 'rows' ? l.rows : [])),
    result: (): ExecuteResult | undefined => seen.flatMap((l) => (l.type === 'result' ? [l.result] : []))[0],
    progress: () => seen.flatMap((l) => (l.type === 'progress' ? [l.progress] : [])),
  };
}
