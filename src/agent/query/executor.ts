import type { AgentPhase, AgentStep, EvalContext, PlanExpr, PlanMetric, Point, Value } from '../../lang/index.js';
import { EvalError, evaluate, truthy } from '../../lang/index.js';
import type { JsonValue, ResultRow, RowStatus } from '../../protocol/index.js';
import type { CommandResult, CommandRunner, ContainerTarget } from '../exec/types.js';
import type { MetricSource, OnDemandMetric, TimeSeriesStore } from '../metrics/types.js';
import { ON_DEMAND_METRICS } from '../metrics/types.js';
import { runCheck } from './checks.js';
import { placement } from './placement.js';
import type { AgentResource } from './resources.js';
import { resourceEnv } from './resources.js';

/** A defined action as the agent runs it (definitions arrive from the control plane). */
export interface ActionDefinition {
  readonly name: string;
  readonly command: string;
  readonly params: readonly { readonly name: string; readonly default?: string | number | boolean }[];
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly user?: string;
  /** Where it may run (its `allowed` statement), as a phase on this agent, with the statement's text. */
  readonly scope?: { readonly statement: string; readonly phase: AgentPhase };
  /** Secrets it receives as environment variables. */
  readonly secrets?: readonly string[];
}

/** Why an action may not run on a resource its scope does not select. */
export function outOfScope(action: string, statement: string, resource: string): string {
  return `action \`${action}\` may run only on \`${statement}\` (its \`allowed\` rule), which does not select ${resource}; it did not run there`;
}

/**
 * Whether the rows of an action's scope (its `allowed` statement run on this agent) select a
 * resource: one they name, or one on a host they name (a process of a selected host).
 */
export function selectedBy(scopeRows: readonly ResultRow[]): (ref: { readonly id: string; readonly host: string }) => boolean {
  const ids = new Set(scopeRows.filter((r) => r.status === 'ok' && r.resource).map((r) => r.resource?.id as string));
  return (ref) => ids.has(ref.id) || ids.has(ref.host);
}

/** This agent's resources right now. */
export interface AgentResources {
  readonly host: AgentResource;
  readonly processes: readonly AgentResource[];
  /** Containers and pods, when the agent discovers them. */
  readonly containers?: readonly AgentResource[];
  readonly pods?: readonly AgentResource[];
}

export interface ExecutorDeps {
  resources(): AgentResources;
  readonly tsdb: TimeSeriesStore;
  readonly source: MetricSource;
  readonly runner: CommandRunner;
  action(name: string): ActionDefinition | undefined;
  readonly limits: { readonly commandTimeoutMs: number; readonly maxOutputBytes: number };
  now(): number;
  /** Evaluate metrics as they were at this time (back-tests); checks and commands are refused then. */
  readonly asOf?: number;
  /** How often the agent collects, ms (default 1 s): a sample is current for a few of its intervals. */
  readonly collectIntervalMs?: number;
}

/** The abort reason when a query's time budget runs out, so its rows say `timeout`, not `cancelled`. */
export class QueryDeadline extends Error {
  override readonly name = 'QueryDeadline';
  constructor(readonly timeoutMs: number) {
    super(`the query's time budget of ${Math.round(timeoutMs / 100) / 10}s ran out`);
  }
}

interface WorkRow {
  readonly res: AgentResource;
  values: Record<string, JsonValue>;
  status: RowStatus;
  error?: string;
}

/** Metrics not collected every second; read when a query asks for them. */
const ON_DEMAND: ReadonlySet<string> = new Set(ON_DEMAND_METRICS);
/**
 * A newest sample older than this is no longer "the current value": 5 s, or two and a half
 * collection intervals for an agent collecting less often (at 10 s, a value is current for 25 s,
 * not gone half of the time).
 */
export function latestMaxAgeMs(collectIntervalMs = 1000): number {
  return Math.max(5000, collectIntervalMs * 2.5);
}

/**
 * Runs one agent phase of a plan on this agent's resources and returns its
 * rows. Per-resource failures (a check that could not run, a command that timed
 * out) become rows with that status; nothing is dropped silently.
 */
export async function executePhase(phase: AgentPhase, targets: readonly string[] | undefined, deps: ExecutorDeps, signal: AbortSignal): Promise<ResultRow[]> {
  const all = deps.resources();
  const start: readonly AgentResource[] = phase.resource === 'host' ? [all.host] : phase.resource === 'process' ? all.processes : phase.resource === 'container' ? (all.containers ?? []) : (all.pods ?? []);
  const wanted = targets ? new Set(targets) : undefined;
  let rows: WorkRow[] = start.filter((r) => !wanted || wanted.has(r.ref.id)).map((res) => ({ res, values: {}, status: 'ok' }));
  const failed: WorkRow[] = [];

  for (const step of phase.steps) {
    if (signal.aborted) break;
    rows = await runStep(step, rows, deps, signal, failed, all);
  }
  const out = [...rows, ...failed];
  if (signal.aborted) {
    for (const r of out) if (r.status === 'ok' && Object.keys(r.values).length === 0 && phase.steps.length) markCancelled(r, signal.reason);
  }
  return out.map(toResultRow);
}

function markCancelled(r: WorkRow, reason: unknown): void {
  if (reason instanceof QueryDeadline) {
    r.status = 'timeout';
    r.error = `${reason.message} before this resource finished`;
  } else {
    r.status = 'cancelled';
    r.error = 'query cancelled before this resource finished';
  }
}

async function runStep(step: AgentStep, rows: WorkRow[], deps: ExecutorDeps, signal: AbortSignal, failed: WorkRow[], all: AgentResources): Promise<WorkRow[]> {
  switch (step.op) {
    case 'traverse':
      return traverse(step.to, rows, all);
    case 'filter':
      return (await evaluateRows(step.expr, rows, deps, signal, failed)).filter((e) => truthy(e.value)).map((e) => e.row);
    case 'column':
      return (await evaluateRows(step.expr, rows, deps, signal, failed)).map(({ row, value }) => {
        row.values[step.name] = toJson(value);
        return row;
      });
    case 'command':
      return runCommands(rows, deps, signal, failed, all, () => ({ command: step.text, env: {}, timeoutMs: deps.limits.commandTimeoutMs, maxOutputBytes: deps.limits.maxOutputBytes }));
    case 'action': {
      const def = deps.action(step.name);
      if (!def) {
        for (const r of rows) failed.push(fail(r, `action \`${step.name}\` is not defined on this agent (definitions not received yet?)`));
        return [];
      }
      const allowed: WorkRow[] = [];
      const inside = def.scope ? selectedBy(await executePhase(def.scope.phase, undefined, deps, signal)) : undefined;
      for (const r of rows) {
        if (!inside || inside(r.res.ref)) allowed.push(r);
        else failed.push(fail(r, outOfScope(def.name, def.scope?.statement ?? '', r.res.ref.id)));
      }
      const params = new Map<WorkRow, Record<string, string>>();
      for (const r of allowed) {
        const env: Record<string, string> = {};
        for (const p of def.params) {
          const expr = step.args[p.name];
          const value = expr ? await safeEval(expr, r, deps, signal) : { ok: true as const, value: (p.default ?? null) as Value };
          if (!value.ok) {
            failed.push(fail(r, value.error));
            break;
          }
          env[p.name] = value.value === null ? '' : String(value.value);
        }
        if (r.status === 'ok') params.set(r, env);
      }
      const runnable = allowed.filter((r) => params.has(r));
      const done = await runCommands(runnable, deps, signal, failed, all, (r) => ({
        command: def.command,
        env: params.get(r) ?? {},
        timeoutMs: def.timeoutMs,
        maxOutputBytes: def.maxOutputBytes,
        ...(def.user ? { user: def.user } : {}),
        ...(def.secrets ? { secrets: def.secrets } : {}),
      }));
      for (const r of done) r.values.action = step.name;
      return done;
    }
  }
}

function traverse(to: string, rows: WorkRow[], all: AgentResources): WorkRow[] {
  const from = new Set(rows.map((r) => r.res.ref.type));
  const fresh = (list: readonly AgentResource[]): WorkRow[] => list.map((res) => ({ res, values: {}, status: 'ok' }));
  if (to === 'host') return rows.length ? fresh([all.host]) : [];
  if (from.has('host')) return fresh(to === 'process' ? all.processes : to === 'container' ? (all.containers ?? []) : to === 'pod' ? (all.pods ?? []) : []);
  // A pod's containers, a container's pod.
  const ids = new Set(rows.map((r) => (to === 'container' ? r.res.ref.id : r.res.podId)));
  if (to === 'container' && from.has('pod')) return fresh((all.containers ?? []).filter((c) => c.podId !== undefined && ids.has(c.podId)));
  if (to === 'pod' && from.has('container')) return fresh((all.pods ?? []).filter((p) => ids.has(p.ref.id)));
  // A container's processes: those the kernel listed in its cgroup when it was discovered.
  if (to === 'process' && from.has('container')) {
    const pids = new Set(rows.flatMap((r) => r.res.pids ?? []));
    return fresh(all.processes.filter((p) => p.pid !== undefined && pids.has(p.pid)));
  }
  return [];
}

async function runCommands(
  rows: WorkRow[],
  deps: ExecutorDeps,
  signal: AbortSignal,
  failed: WorkRow[],
  all: AgentResources,
  spec: (r: WorkRow) => { command: string; env: Record<string, string>; timeoutMs: number; maxOutputBytes: number; user?: string; secrets?: readonly string[] },
): Promise<WorkRow[]> {
  const places = new Map<WorkRow, { container?: ContainerTarget }>();
  for (const r of rows) {
    const place = placement(r.res, all.containers ?? []);
    if ('error' in place) failed.push(fail(r, place.error));
    else places.set(r, place);
  }
  rows = rows.filter((r) => places.has(r));
  const results = await Promise.all(
    rows.map((r) => {
      const s = spec(r);
      return deps.runner.run({ ...s, ...places.get(r), env: { ...resourceEnv(r.res), ...s.env } }, { signal });
    }),
  );
  const kept: WorkRow[] = [];
  rows.forEach((r, i) => {
    const result = results[i] as CommandResult;
    r.values.exit_code = result.exitCode;
    r.values.stdout = result.stdout;
    r.values.stderr = result.stderr;
    r.values.duration = Math.round(result.durationMs) / 1000;
    if (result.error) failed.push(fail(r, result.error));
    else if (result.timedOut) failed.push(Object.assign(r, { status: 'timeout' as const, error: `command timed out after ${spec(r).timeoutMs} ms; its process group was killed` }));
    else if (result.cancelled && signal.reason instanceof QueryDeadline) failed.push(Object.assign(r, { status: 'timeout' as const, error: `${signal.reason.message}; the command's process group was killed` }));
    else if (result.cancelled) failed.push(Object.assign(r, { status: 'cancelled' as const, error: 'command cancelled' }));
    else kept.push(r);
  });
  return kept;
}

type Verdict = { ok: true; value: Value } | { ok: false; error: string };

/** `expr` evaluated on each row, in order; the rows it fails on go to `failed` instead. */
async function evaluateRows(expr: PlanExpr, rows: WorkRow[], deps: ExecutorDeps, signal: AbortSignal, failed: WorkRow[]): Promise<{ row: WorkRow; value: Value }[]> {
  await prefetch(expr, rows, deps);
  const verdicts = await Promise.all(rows.map((r) => safeEval(expr, r, deps, signal)));
  const evaluated: { row: WorkRow; value: Value }[] = [];
  rows.forEach((row, i) => {
    const v = verdicts[i] as Verdict;
    if (!v.ok) failed.push(failedOrStopped(row, v.error, signal));
    else evaluated.push({ row, value: v.value });
  });
  return evaluated;
}

async function safeEval(expr: PlanExpr, r: WorkRow, deps: ExecutorDeps, signal: AbortSignal): Promise<Verdict> {
  try {
    return { ok: true, value: await evaluate(expr, context(r, deps, signal)) };
  } catch (err) {
    if (err instanceof EvalError) return { ok: false, error: err.message };
    return { ok: false, error: `evaluation failed: ${(err as Error).message}` };
  }
}

/** Per-row cache of on-demand metric values, filled before evaluation (evaluation itself is synchronous). */
const onDemandValues = new WeakMap<WorkRow, Map<string, number | undefined>>();

async function prefetch(expr: PlanExpr, rows: readonly WorkRow[], deps: ExecutorDeps): Promise<void> {
  const names = new Set<string>();
  const visit = (e: PlanExpr): void => {
    if (e.k === 'metric' && ON_DEMAND.has(e.name)) names.add(e.name);
    if (e.k === 'bin') {
      visit(e.l);
      visit(e.r);
    } else if (e.k === 'not' || e.k === 'neg') visit(e.x);
    else if (e.k === 'call') e.args.forEach(visit);
    else if (e.k === 'list') e.items.forEach(visit);
  };
  visit(expr);
  if (!names.size) return;
  await Promise.all(
    rows.map(async (r) => {
      if (r.res.pid === undefined) return;
      const cache = onDemandValues.get(r) ?? new Map<string, number | undefined>();
      for (const name of names) cache.set(name, await deps.source.onDemand(r.res.pid, name as OnDemandMetric));
      onDemandValues.set(r, cache);
    }),
  );
}

function context(r: WorkRow, deps: ExecutorDeps, signal: AbortSignal): EvalContext {
  return {
    metric: (m) => {
      const cached = onDemandValues.get(r)?.get(m.name);
      if (cached !== undefined) return cached;
      if (deps.asOf !== undefined) return collapseRange(m, deps.tsdb.range(r.res.seriesKey, m.name, m.labels, 2, deps.asOf)).at(-1)?.value;
      return collapse(m, deps.tsdb.latest(r.res.seriesKey, m.name, m.labels, latestMaxAgeMs(deps.collectIntervalMs)).map((s) => s.value));
    },
    range: (m, seconds) => collapseRange(m, deps.tsdb.range(r.res.seriesKey, m.name, m.labels, seconds, deps.asOf ?? deps.now())),
    attr: (name) => r.res.attrs[name],
    tag: (name) => r.res.tags[name],
    col: (name) => r.values[name] as Value | undefined,
    field: () => undefined,
    check: (name, args) => {
      if (deps.asOf !== undefined) return Promise.reject(new EvalError(`${name}(...) cannot be replayed from history`));
      const place = placement(r.res, deps.resources().containers ?? []);
      if ((name === 'ok' || name === 'number') && 'error' in place) return Promise.reject(new EvalError(place.error));
      return runCheck(name, args, resourceEnv(r.res), deps.runner, deps.limits, signal, 'container' in place ? place.container : undefined);
    },
  };
}

function collapse(m: PlanMetric, values: readonly number[]): number | undefined {
  if (!values.length) return undefined;
  if (m.collapse === 'sum') return values.reduce((a, b) => a + b, 0);
  return m.collapse === 'min' ? Math.min(...values) : Math.max(...values);
}

function collapseRange(m: PlanMetric, series: readonly { points: readonly Point[] }[]): Point[] {
  if (series.length === 1) return [...(series[0]?.points ?? [])];
  const bySecond = new Map<number, number[]>();
  for (const s of series) for (const p of s.points) (bySecond.get(p.time) ?? bySecond.set(p.time, []).get(p.time))?.push(p.value);
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, vs]) => ({ time, value: collapse(m, vs) ?? 0 }));
}

/** A row whose evaluation failed: `timeout`/`cancelled` when the query was stopped (its checks were killed), else `error`. */
function failedOrStopped(r: WorkRow, error: string, signal: AbortSignal): WorkRow {
  if (!signal.aborted) return fail(r, error);
  markCancelled(r, signal.reason);
  return r;
}

function fail(r: WorkRow, error: string): WorkRow {
  r.status = 'error';
  r.error = error;
  return r;
}

function toJson(v: Value): JsonValue {
  if (v !== null && typeof v === 'object' && 'series' in v) return v.series.map((p) => [p.time, p.value]);
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v as JsonValue;
}

function toResultRow(r: WorkRow): ResultRow {
  return r.error === undefined ? { resource: r.res.ref, status: r.status, values: r.values } : { resource: r.res.ref, status: r.status, error: r.error, values: r.values };
}
