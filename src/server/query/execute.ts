import type { Phase, Plan } from '../../lang/index.js';
import type { FleetEvent, ResultRow, RolloutOutcome } from '../../protocol/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { QueryFleet, TimerClock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import { dryRunPhases, isEffect } from './effects.js';
import type { FanOutContext } from './fan-out.js';
import { fanOut } from './fan-out.js';
import { eventRows, inventoryRows, rowContext } from './host-rows.js';
import { LineQueue } from './line-queue.js';
import { reduceRows } from './reduce.js';
import type { Progress } from './rollout.js';
import { rollout } from './rollout.js';

export type { Progress } from './rollout.js';

export interface ExecuteOptions {
  readonly principal: string;
  readonly runId?: string;
  /** The whole query's time budget; agents that have not answered by then become `timeout` rows. */
  readonly timeoutMs: number;
  /** List the targets the first command or action would reach, without running anything. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** Recent events, newest first, for `events | ...` statements. */
  readonly events?: () => Promise<readonly FleetEvent[]>;
  /** Deadlines, pauses and health polls run on it (default: the system clock). */
  readonly clock?: TimerClock;
}

export interface ExecuteResult {
  /** Rows of the result; rows whose resource failed (error, timeout, offline) are in `failures`. */
  readonly rows: readonly ResultRow[];
  readonly failures: readonly ResultRow[];
  /**
   * Resources the command or action ran on (for run records and the audit): the processes of
   * `process | … | \`cmd\``, not their hosts; a resource that gave no answer counts (it may have run it).
   */
  readonly targets: number;
  /** Agents asked in all, and how many answered in time. */
  readonly agentsAsked: number;
  readonly agentsAnswered: number;
  /** How a rollout (`rolling(...)`) ended: what ran, failed and never started. */
  readonly rollout?: RolloutOutcome;
}

/**
 * What an execution says as it goes: `rows` to show, `progress` of a rollout, and last, once,
 * the `result`.
 */
export type ExecuteLine =
  | { readonly type: 'targets'; readonly hosts: number }
  | { readonly type: 'rows'; readonly rows: readonly ResultRow[] }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'result'; readonly result: ExecuteResult };

/**
 * Executes a plan: inventory on the control plane, agent phases fanned out to
 * only the agents whose hosts are still in the rows, control phases on the
 * merged rows. Offline or slow agents show up as rows with that status.
 *
 * The rows lines carry every row to show, once: those of the last agent phase as they arrive
 * when nothing on the control plane comes after it, else (or when it never ran) the result's
 * rows, then its failures, just before the result. Rollout progress comes as it happens. A
 * refusal or a cancellation is thrown by the iteration. The execution starts at the first pull
 * and then runs to its end at its own pace (agents cannot be slowed down): lines wait in a
 * LineQueue until they are pulled.
 *
 * @example
 * for await (const line of executePlan(plan, fleet, { principal: 'ops', timeoutMs: 30_000 })) {
 *   if (line.type === 'rows') show(line.rows);
 *   else if (line.type === 'result') summarise(line.result);
 * }
 */
export async function* executePlan(plan: Plan, fleet: QueryFleet, options: ExecuteOptions): AsyncGenerator<ExecuteLine, void, undefined> {
  const queue = new LineQueue<ExecuteLine>();
  run(plan, fleet, options, queue.push).then(queue.end, queue.fail);
  yield* queue;
}

/** Drains an execution for its result, for callers that show no rows (a blast-radius count). */
export async function resultOf(lines: AsyncIterable<ExecuteLine>): Promise<ExecuteResult> {
  let result: ExecuteResult | undefined;
  for await (const line of lines) if (line.type === 'result') result = line.result;
  if (!result) throw new BreakwaterError('BW_ERR_INTERNAL', 'the execution ended without a result');
  return result;
}

async function run(plan: Plan, fleet: QueryFleet, options: ExecuteOptions, say: (line: ExecuteLine) => void): Promise<void> {
  const clock = options.clock ?? systemClock;
  const ctx: FanOutContext = { fleet, clock, principal: options.principal, runId: options.runId };
  const phases = options.dryRun ? dryRunPhases(plan.phases) : plan.phases;
  const deadline = clock.now() + options.timeoutMs;
  let rows: ResultRow[] = [];
  const failures: ResultRow[] = [];
  let previous: Phase['where'] | undefined;
  let agentsAsked = 0;
  let agentsAnswered = 0;
  let targets = 0;
  let streamed = false;
  let rolledOut: RolloutOutcome | undefined;
  const lastAgentPhase = lastIndexOf(phases, (p) => p.where === 'agent');
  const effectful = phases.findIndex((p) => p.where === 'agent' && p.steps.some(isEffect));
  /** Agent phases a rollout already ran. */
  const skip = new Set<number>();

  /**
   * Rows are shown as they arrive only when they are the answer (the last agent phase, nothing on
   * the control plane reshaping them after); the `targets` line says first how many hosts they come from.
   */
  const liveRows = (index: number, asked: readonly ResultRow[]) => {
    if (index !== lastAgentPhase || phases.slice(index + 1).some((p) => p.where === 'control')) return undefined;
    say({ type: 'targets', hosts: new Set(asked.map((r) => r.resource?.host)).size });
    return (arrived: readonly ResultRow[]) => {
      streamed = true;
      say({ type: 'rows', rows: arrived });
    };
  };
  for (const [index, phase] of phases.entries()) {
    if (options.signal?.aborted) throw new BreakwaterError('BW_ERR_CONFLICT', 'query cancelled');
    switch (phase.where) {
      case 'inventory':
        rows = inventoryRows(phase, fleet);
        break;
      case 'events': {
        if (!options.events) throw new BreakwaterError('BW_ERR_UNAVAILABLE', 'events are not available here');
        const now = clock.now();
        rows = eventRows(phase, await options.events(), now);
        break;
      }
      case 'rollout': {
        const next = phases[index + 1];
        if (next?.where !== 'agent') throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', 'rolling(...) must be followed by the command or action it rolls out');
        const onRows = liveRows(index + 1, rows);
        const rolled = await rollout(ctx, { phase, next, rows, timeoutMs: options.timeoutMs, signal: options.signal, onProgress: (progress) => say({ type: 'progress', progress }), onRows });
        agentsAsked += rolled.asked;
        agentsAnswered += rolled.answered;
        targets = reached(rolled.rows);
        rolledOut = rolled.outcome;
        rows = rolled.rows.filter((r) => r.status === 'ok');
        failures.push(...rolled.rows.filter((r) => r.status !== 'ok'));
        skip.add(index + 1);
        break;
      }
      case 'agent': {
        if (skip.has(index)) break;
        const onRows = liveRows(index, rows);
        const result = await fanOut(ctx, { phase, rows, wholeHosts: previous === 'inventory', deadline, onRows });
        agentsAsked += result.asked;
        agentsAnswered += result.answered;
        if (index === effectful && !skip.size) targets = reached(result.rows);
        rows = result.rows.filter((r) => r.status === 'ok');
        failures.push(...result.rows.filter((r) => r.status !== 'ok'));
        break;
      }
      case 'control':
        rows = reduceRows(rows, phase.steps, rowContext(fleet));
        break;
    }
    previous = phase.where;
  }
  if (effectful < 0) targets = rows.length;
  if (!streamed && rows.length + failures.length > 0) say({ type: 'rows', rows: [...rows, ...failures] });
  say({ type: 'result', result: { rows, failures, targets, agentsAsked, agentsAnswered, ...(rolledOut ? { rollout: rolledOut } : {}) } });
}

/**
 * The resources an effect reached, counted from the rows of its phase: those it ran on carry its
 * exit code; those that never answered (offline, timeout, error) may have run it. Not the rows the
 * phase started from: `process | name = "x" | \`cmd\`` starts from hosts and runs on processes.
 */
function reached(rows: readonly ResultRow[]): number {
  const resources = new Set<string | ResultRow>();
  for (const r of rows) if (r.status !== 'ok' || r.values.exit_code !== undefined) resources.add(r.resource?.id ?? r);
  return resources.size;
}

function lastIndexOf<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return i;
  return -1;
}
