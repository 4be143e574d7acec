import type { AgentStep, Expr, PlanExpr } from '../../lang/index.js';
import { formatExpr } from '../../lang/index.js';
import type { AlarmPrediction } from '../../protocol/index.js';
import { MAX_PREDICTED_SECONDS } from '../../protocol/index.js';

/*
 * Predictive alarms: a fire condition that compares predict_linear(x[w], horizon) with a number
 * fires before the threshold is reached, and its event says when the fitted line gets there. The
 * line comes from the same evaluation as the condition (the value phase gains two columns: the
 * line's value at the newest sample and its slope), so the forecast and the firing agree.
 */

/** What a predictive fire condition compares: the metric, the threshold, and which way the line must go. */
export interface PredictiveCondition {
  /** The metric as people read it: `disk_usage{mount=/data}`. */
  readonly subject: string;
  readonly threshold: number;
  /** The threshold as the condition writes it: `100`, `2GB`. */
  readonly thresholdText: string;
  /** True for `>`/`>=` (the line must rise to the threshold), false for `<`/`<=`. */
  readonly rising: boolean;
}

const RISING: Readonly<Record<string, boolean>> = { '>': true, '>=': true, '<': false, '<=': false };
const MIRRORED: Readonly<Record<string, string>> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };

/**
 * The predictive comparison of a fire condition, or undefined when it is not one
 * (`predict_linear(x[w], h) > 100`, or mirrored: `100 < predict_linear(x[w], h)`).
 *
 * @example
 * predictiveCondition(conditionOf('predict_linear(disk_usage{mount="/data"}[10m], 4h) > 100'))
 * // { subject: 'disk_usage{mount=/data}', threshold: 100, thresholdText: '100', rising: true }
 */
export function predictiveCondition(condition: Expr): PredictiveCondition | undefined {
  if (condition.kind !== 'Binary') return undefined;
  const onLeft = condition.left.kind === 'Call';
  const call = onLeft ? condition.left : condition.right;
  const number = onLeft ? condition.right : condition.left;
  const op = onLeft ? condition.op : MIRRORED[condition.op];
  const threshold = literal(number);
  const rising = op === undefined ? undefined : RISING[op];
  if (call.kind !== 'Call' || call.callee !== 'predict_linear' || threshold === undefined || rising === undefined) return undefined;
  const x = (call.args.find((a) => a.name === 'x') ?? call.args.find((a) => a.name === undefined))?.value;
  if (x?.kind !== 'Range') return undefined;
  return { subject: formatExpr(x.target).replace(/"/g, ''), threshold, thresholdText: formatExpr(number), rising };
}

/**
 * The value phase's extra columns for a predictive alarm: `fitted`, the line at the newest sample
 * (predict_linear with no horizon), and `slope`, its change per second (deriv), both over the
 * same window as the condition's predict_linear.
 */
export function predictionColumns(value: PlanExpr): AgentStep[] {
  if (value.k !== 'call' || value.fn !== 'predict_linear' || value.args[0]?.k !== 'range') return [];
  const range = value.args[0];
  return [
    { op: 'column', name: 'fitted', expr: { k: 'call', fn: 'predict_linear', args: [range, { k: 'num', v: 0 }] } },
    { op: 'column', name: 'slope', expr: { k: 'call', fn: 'deriv', args: [range] } },
  ];
}

/**
 * When the fitted line crosses the threshold, counted from `now` (ms): 0 seconds when it is past
 * it already; undefined when the line stays level or heads away, or crosses further out than
 * MAX_PREDICTED_SECONDS (a forecast of never).
 *
 * @example
 * predictedCrossing(60, 0.003, { threshold: 100, rising: true }, 0) // { threshold: 100, seconds: 13333, at: 13333000 }
 */
export function predictedCrossing(fitted: number, slope: number, c: Pick<PredictiveCondition, 'threshold' | 'rising'>, now: number): AlarmPrediction | undefined {
  if (!Number.isFinite(fitted) || !Number.isFinite(slope)) return undefined;
  const gap = c.threshold - fitted;
  if (c.rising ? gap <= 0 : gap >= 0) return { threshold: c.threshold, seconds: 0, at: now };
  if (c.rising ? slope <= 0 : slope >= 0) return undefined;
  const seconds = Math.round(gap / slope);
  if (!(seconds <= MAX_PREDICTED_SECONDS)) return undefined;
  return { threshold: c.threshold, seconds, at: now + seconds * 1000 };
}

/** The value of a number literal, negated ones included (`-5`); undefined for anything else. */
function literal(e: Expr): number | undefined {
  if (e.kind === 'Number') return e.value;
  if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Number') return -e.operand.value;
  return undefined;
}
