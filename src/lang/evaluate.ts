import { deriv, holtWinters, predictLinear, zscore } from './evaluate-trends.js';
import type { PlanExpr, PlanMetric } from './plan.js';
import { planExprTree } from './visit.js';

/*
 * Evaluates plan expressions. Pure: everything it needs from the world comes
 * through the context, so agents (metrics, commands), the control plane
 * (inventory, merged rows) and the browser share one implementation.
 */

export type Value = number | string | boolean | null | readonly Value[] | { readonly series: readonly Point[] };

export interface Point {
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly value: number;
}

/** Checks that run something on the resource's host: the only asynchronous part. */
export type CheckName = 'ok' | 'number' | 'http_ok' | 'tcp_ok';

export interface EvalContext {
  /** The metric's newest value for this resource (series already collapsed), or undefined without data. */
  metric(m: PlanMetric): number | undefined;
  /** The metric's samples over the last `seconds`, collapsed across series per second, oldest first. */
  range(m: PlanMetric, seconds: number): readonly Point[];
  attr(name: string): string | number | undefined;
  /** A tag's value; missing tags read as "". */
  tag(name: string): string | undefined;
  col(name: string): Value | undefined;
  field(name: string): Value | undefined;
  /** Runs a check on the resource's host. Rejects with an Error whose message is shown on the row. */
  check(name: CheckName, args: readonly Value[]): Promise<boolean | number>;
}

/** A per-resource evaluation failure (a command that printed no number, a check that could not run). */
export class EvalError extends Error {
  override readonly name = 'EvalError';
}

const CHECKS: ReadonlySet<string> = new Set<CheckName>(['ok', 'number', 'http_ok', 'tcp_ok']);

/**
 * Evaluates an expression for one resource. Checks inside it run first, in
 * parallel; the rest is synchronous.
 *
 * @example
 * await evaluate({ k: 'bin', op: '>', l: { k: 'metric', name: 'cpu_usage', labels: [], collapse: 'max' }, r: { k: 'num', v: 80 } }, ctx)
 */
export async function evaluate(expr: PlanExpr, ctx: EvalContext): Promise<Value> {
  const checks = new Map<PlanExpr, Value>();
  const pending: Promise<void>[] = [];
  planExprTree.walk(expr, (e) => {
    if (e.k === 'call' && CHECKS.has(e.fn)) {
      const args = e.args.map((a) => evaluateSync(a, ctx, checks));
      pending.push(
        ctx.check(e.fn as CheckName, args).then((v) => {
          checks.set(e, v);
        }),
      );
    }
  });
  await Promise.all(pending);
  return evaluateSync(expr, ctx, checks);
}

/** Evaluates an expression that contains no checks (or whose checks are resolved in `checks`). */
export function evaluateSync(expr: PlanExpr, ctx: EvalContext, checks: ReadonlyMap<PlanExpr, Value> = new Map()): Value {
  const ev = (e: PlanExpr): Value => evaluateSync(e, ctx, checks);
  switch (expr.k) {
    case 'num':
    case 'str':
    case 'bool':
      return expr.v;
    case 'list':
      return expr.items.map(ev);
    case 'metric':
      return ctx.metric(expr) ?? null;
    case 'range':
      return { series: ctx.range(expr.metric, expr.seconds) };
    case 'attr':
      return ctx.attr(expr.name) ?? null;
    case 'tag':
      return ctx.tag(expr.name) ?? '';
    case 'col':
      return ctx.col(expr.name) ?? null;
    case 'field':
      return ctx.field(expr.name) ?? null;
    case 'cmd':
      return expr.text;
    case 'not':
      return !truthy(ev(expr.x));
    case 'neg': {
      const v = ev(expr.x);
      return typeof v === 'number' ? -v : null;
    }
    case 'bin':
      return binary(expr.op, expr, ev);
    case 'call':
      if (checks.has(expr)) return checks.get(expr) ?? null;
      if (CHECKS.has(expr.fn)) throw new EvalError(`${expr.fn}(...) needs the resource's host to run it`);
      return call(expr.fn, expr.args, ctx, ev);
  }
}

export function truthy(v: Value): boolean {
  return v === true;
}

function binary(op: string, e: { l: PlanExpr; r: PlanExpr }, ev: (e: PlanExpr) => Value): Value {
  if (op === 'and') return truthy(ev(e.l)) && truthy(ev(e.r));
  if (op === 'or') return truthy(ev(e.l)) || truthy(ev(e.r));
  const l = ev(e.l);
  const r = ev(e.r);
  switch (op) {
    case '=':
      return l !== null && r !== null && l === r;
    case '!=':
      return l !== null && r !== null && l !== r;
    case '=~':
      return typeof l === 'string' && typeof r === 'string' && regex(r).test(l);
    case '!~':
      return typeof l === 'string' && typeof r === 'string' && !regex(r).test(l);
    case 'in':
      return Array.isArray(r) && l !== null && r.includes(l);
    case 'not in':
      return Array.isArray(r) && l !== null && !r.includes(l);
  }
  if (typeof l !== 'number' || typeof r !== 'number') return op === '+' || op === '-' || op === '*' || op === '/' ? null : false;
  switch (op) {
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return r === 0 ? null : l / r;
    default:
      return null;
  }
}

function call(fn: string, args: readonly PlanExpr[], ctx: EvalContext, ev: (e: PlanExpr) => Value): Value {
  if (fn === 'count_true') return countTrue(args[0] as PlanExpr, numberOf(ev(args[1] as PlanExpr)), ctx);
  const values = args.map(ev);
  const points = (i: number) => {
    const v = values[i];
    return v !== null && typeof v === 'object' && 'series' in v ? v.series.map((p) => p.value) : [];
  };
  if (fn === 'quantile') return quantile(numberOf(values[0] ?? null), points(1));
  const xs = points(0);
  const series = values[0] !== null && typeof values[0] === 'object' && 'series' in (values[0] as object) ? (values[0] as { series: readonly Point[] }).series : [];
  if (fn === 'predict_linear') return predictLinear(series, numberOf(values[1] ?? null));
  if (fn === 'holt_winters') return holtWinters(xs, numberOf(values[1] ?? null), numberOf(values[2] ?? null));
  return rangeFunction(fn, xs, series);
}

/** The range functions of the language, over one window of samples. Empty windows give null. */
export function rangeFunction(fn: string, xs: readonly number[], series: readonly Point[] = []): number | null {
  if (fn === 'count') return xs.length;
  if (xs.length === 0) return null;
  switch (fn) {
    case 'avg':
      return sum(xs) / xs.length;
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
    case 'sum':
      return sum(xs);
    case 'last':
      return xs[xs.length - 1] ?? null;
    case 'delta':
      return (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
    case 'rate': {
      const first = series[0];
      const last = series[series.length - 1];
      if (!first || !last || last.time === first.time) return null;
      return (last.value - first.value) / ((last.time - first.time) / 1000);
    }
    case 'deriv':
      return deriv(series);
    case 'zscore':
      return zscore(xs);
    case 'stddev': {
      const mean = sum(xs) / xs.length;
      return Math.sqrt(sum(xs.map((x) => (x - mean) ** 2)) / xs.length);
    }
    default:
      return null;
  }
}

/** Quantile with linear interpolation between closest ranks, as PromQL's quantile_over_time. */
export function quantile(q: number, xs: readonly number[]): number | null {
  if (xs.length === 0 || Number.isNaN(q)) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (rank - lo);
}

/** Seconds of the window in which the condition held: the condition is evaluated at every sampled second. */
function countTrue(cond: PlanExpr, seconds: number, ctx: EvalContext): number {
  const metrics: PlanMetric[] = [];
  planExprTree.walk(cond, (e) => {
    if (e.k === 'metric') metrics.push(e);
  });
  const byMetric = new Map<PlanMetric, Map<number, number>>();
  const times = new Set<number>();
  for (const m of metrics) {
    const perSecond = new Map<number, number>();
    for (const p of ctx.range(m, seconds)) {
      const second = Math.floor(p.time / 1000);
      perSecond.set(second, p.value);
      times.add(second);
    }
    byMetric.set(m, perSecond);
  }
  let count = 0;
  for (const second of times) {
    const at: EvalContext = { ...ctx, metric: (m) => byMetric.get(m)?.get(second) };
    if (truthy(evaluateSync(cond, at))) count++;
  }
  return count;
}

const regexCache = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(source);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

function numberOf(v: Value): number {
  return typeof v === 'number' ? v : NaN;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
