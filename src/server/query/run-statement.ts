import type { Catalogue, Diagnostic, Plan } from '../../lang/index.js';
import { analyze } from '../../lang/index.js';
import { runbookPrincipal } from '../../definitions/index.js';
import type { FleetEvent, ResultRow, RunExplanation } from '../../protocol/index.js';
import { BreakwaterError, orderedId, rowFailed } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { audit } from '../audit/index.js';
import { hasRole } from '../auth.js';
import type { Clock, Fleet, TimerClock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { RunRecord, RunResultRecord, Store } from '../store/index.js';
import type { Policy, PolicyRequest } from './authorize.js';
import { authorizePolicy } from './authorize.js';
import type { ExecuteLine, ExecuteResult } from './execute.js';
import { executePlan, resultOf } from './execute.js';
import type { ExplainContext } from './explain-run.js';
import { explainRun } from './explain-run.js';
import { fleetValues } from './host-rows.js';

export interface StatementContext {
  readonly store: Store;
  readonly gateway: Fleet;
  catalogue(): Catalogue;
  readonly queryTimeoutMs: number;
  /** A command or action reaching more resources than this needs `yes`. */
  readonly maxTargets: number;
  /** Recent events, for `events | ...` statements. */
  readonly events?: () => Promise<readonly FleetEvent[]>;
  /** Action rules and the probe allow-list (authorize.ts). */
  readonly policy: Policy;
  /** Run times and the query's deadlines (default: the system clock). */
  readonly clock?: TimerClock;
  /** The replica executing the runs (with a shared store, replica-liveness.ts): recorded with each run,
   *  so that another replica interrupts it only once this one stops heartbeating. */
  readonly replicaId?: string | undefined;
  /** Hears each execution's end (the control plane's metrics): how it ended, how long it took, how many agents it asked. */
  readonly onExecuted?: ((outcome: 'succeeded' | 'failed' | 'error' | 'interrupted', seconds: number, agentsAsked: number) => void) | undefined;
  /** The bots with their breakers' windows, for a dry run's explanation (explain-run.ts). */
  readonly bots?: ExplainContext['bots'];
}

export interface RunRequest {
  readonly statement: string;
  readonly principal: Principal;
  readonly dryRun?: boolean;
  /** Confirms a run that reaches more resources than the blast-radius limit. */
  readonly yes?: boolean;
  readonly timeoutMs?: number;
  /**
   * Refuse statements with effects (shell commands, actions), whatever the role: names what only
   * reads, for the refusal (`a live query`).
   */
  readonly readOnly?: string;
  /** Who must each be allowed to run the statement's actions (default: the principal); see authorize.ts. */
  readonly callers?: PolicyRequest['callers'];
  /** Stops the query between phases (the client went away). */
  readonly signal?: AbortSignal;
  /** The id to record the run under, when the caller named it before the run (an approval stores
   *  it with the decision, so that it leads to this run); default: a new one. */
  readonly runId?: string;
  /** The runbook cell this run was started from (its stored name, its cell counted from 1): the
   *  run is recorded under runbookPrincipal, so it lists as a runbook run; audit entries keep the principal's name. */
  readonly runbook?: { readonly name: string; readonly cell: number };
}

export interface RunOutcome {
  readonly plan: Plan;
  readonly runId: string | null;
  readonly result: ExecuteResult;
  /** Targets whose command or action failed: error, timeout, offline, or a non-zero exit. */
  readonly failed: number;
  readonly durationMs: number;
  /** A dry run's explanation: targets, batches, breakers, approval, blast radius (explain-run.ts). */
  readonly explanation?: RunExplanation;
}

/**
 * What running a statement says, in order: its `plan` (once it is authorized, and recorded when
 * it is a run), then `targets`, `rows` and rollout `progress` as the execution goes (see executePlan), and
 * last the `outcome`, once the run is recorded.
 */
export type StatementLine =
  | { readonly type: 'plan'; readonly plan: Plan; readonly runId: string | null; readonly warnings: readonly Diagnostic[] }
  | Exclude<ExecuteLine, { type: 'result' }>
  | { readonly type: 'outcome'; readonly outcome: RunOutcome };

const effectful = (plan: Plan) => plan.effects.commands.length > 0 || plan.effects.actions.length > 0;

/**
 * Checks a statement and whether the principal may run it (and, for `readOnly`, that it has no
 * effects); returns its plan and warnings. A refused statement that would have been a recorded
 * run is audited as denied.
 */
export async function authorizeStatement(ctx: StatementContext, req: Pick<RunRequest, 'statement' | 'principal' | 'dryRun' | 'readOnly' | 'callers'>): Promise<{ plan: Plan; warnings: readonly Diagnostic[] }> {
  // Live queries (readOnly) re-run every second or so and show no warnings: no fleet check for them.
  const analysis = analyze(req.statement, ctx.catalogue(), req.readOnly ? undefined : () => fleetValues(ctx.gateway));
  if (!analysis.ok || !analysis.plan) {
    const first = analysis.diagnostics.find((d) => d.severity === 'error');
    throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', `the statement has errors: ${first?.message ?? 'unknown'}`, { diagnostics: analysis.diagnostics });
  }
  const plan = analysis.plan;
  if (req.readOnly && effectful(plan)) {
    // Nothing would run for any role, so this is a bad request rather than a denied run: not audited.
    const { commands, actions } = plan.effects;
    const what = commands.length ? `shell commands (${commands.map((c) => `\`${c}\``).join(', ')})` : `actions (${actions.join(', ')})`;
    throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `${req.readOnly} only reads, and this statement runs ${what}; run it once with POST /api/v1/query (\`breakwater run\`) instead`, { commands, actions });
  }
  const who = req.principal;
  if (!hasRole(who, plan.requires)) {
    if (effectful(plan) || req.dryRun === true) await audit(ctx.store, who.name, 'run', req.statement, 'denied', { needed: plan.requires, held: who.role });
    const what = plan.effects.commands.length ? 'running shell commands' : plan.effects.actions.length ? `running actions (${plan.effects.actions.join(', ')})` : 'this statement';
    throw new BreakwaterError('BW_ERR_FORBIDDEN', `${what} needs the ${plan.requires} role; token \`${who.name}\` has ${who.role}`, { needed: plan.requires, held: who.role });
  }
  await authorizePolicy(ctx.store, ctx.policy, plan, req);
  return { plan, warnings: analysis.diagnostics };
}

/**
 * Runs a statement for a principal, as the API, live queries, schedules and approvals do:
 * check, authorize, guard the blast radius, execute, and record the run and
 * its audit entry. Every refusal is audited too. A refusal is thrown before the `plan` line;
 * a failure after it is thrown too, once the run is recorded as failed.
 *
 * @example
 * for await (const line of runStatement(ctx, { statement, principal })) {
 *   if (line.type === 'rows') show(line.rows);
 * }
 * // or, when only the outcome matters:
 * const { runId, failed } = await outcomeOf(runStatement(ctx, { statement, principal, yes: true }));
 */
export async function* runStatement(ctx: StatementContext, req: RunRequest): AsyncGenerator<StatementLine, void, undefined> {
  const { plan, warnings } = await authorizeStatement(ctx, req);
  const records = effectful(plan) || req.dryRun === true;
  const who = req.principal;
  const timeoutMs = req.timeoutMs ?? ctx.queryTimeoutMs;
  const clock = ctx.clock ?? systemClock;

  // A filter on a value no host has, near one some have: the typo that selects nothing (or, with
  // a near value elsewhere in the statement, less than meant). Such a run is refused when it reaches no one.
  const typos = warnings.filter((w) => w.code === 'BW_NO_MATCH');
  if (effectful(plan) && !req.dryRun && (!req.yes || typos.length)) {
    // The typo that hits every server: count who would be touched before touching anyone.
    const probe = await resultOf(executePlan(plan, ctx.gateway, { principal: who.name, timeoutMs, dryRun: true, clock }));
    const targets = probe.rows.length + probe.failures.length;
    if (targets === 0 && typos.length) {
      await audit(ctx.store, who.name, 'run', req.statement, 'denied', { reason: 'no targets', found: typos.map((w) => w.found) });
      const first = typos[0] as Diagnostic;
      throw new BreakwaterError('BW_ERR_NO_TARGETS', `this would run on no resource: ${first.message} Nothing ran.`, { targets: 0, diagnostics: warnings });
    }
    if (targets > ctx.maxTargets && !req.yes) {
      const names = [...probe.rows, ...probe.failures].map((r) => r.resource?.name ?? '?');
      await audit(ctx.store, who.name, 'run', req.statement, 'denied', { reason: 'confirmation required', targets, limit: ctx.maxTargets });
      throw new BreakwaterError(
        'BW_ERR_CONFIRMATION_REQUIRED',
        `this would run on ${targets} resources, more than the ${ctx.maxTargets} allowed without confirmation; nothing ran. Check the targets with --dry-run, then confirm with --yes`,
        { targets, limit: ctx.maxTargets, sample: names.slice(0, 20) },
      );
    }
  }

  const runId = records ? (req.runId ?? orderedId()) : null;
  const started = clock.now();
  if (runId) {
    // Both before anything is sent: a control plane killed mid-run still shows who started what
    // (the run is marked interrupted at the next start, interruptStaleRuns, or with a shared store
    // by another replica once this one stops heartbeating, ReplicaLiveness).
    const recordedAs = req.runbook ? runbookPrincipal(who.name, req.runbook.name, req.runbook.cell) : who.name;
    await ctx.store.createRun({ id: runId, principal: recordedAs, statement: req.statement, plan, status: 'running', startedAt: started, finishedAt: null, targets: 0, failures: 0, ...(ctx.replicaId ? { replicaId: ctx.replicaId } : {}) });
    await audit(ctx.store, who.name, 'run.start', req.statement, 'ok', { ...(req.dryRun ? { dryRun: true } : {}), ...(req.runbook ? { runbook: req.runbook.name, cell: req.runbook.cell } : {}) }, runId);
  }
  yield { type: 'plan', plan, runId, warnings };
  // A caller that stops reading (its client went away; `break` out of the lines) ends this
  // generator at a yield, where no catch runs: the run is then closed as interrupted, not left
  // `running` until the next start.
  let settled = !runId;
  let ended = false;
  try {
    let result: ExecuteResult | undefined;
    const lines = executePlan(plan, ctx.gateway, {
      principal: who.name,
      ...(ctx.events ? { events: ctx.events } : {}),
      timeoutMs,
      clock,
      ...(runId ? { runId } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    for await (const line of lines) {
      if (line.type === 'result') result = line.result;
      else yield line;
    }
    if (!result) throw new BreakwaterError('BW_ERR_INTERNAL', 'the execution ended without a result');
    const failed = [...result.rows, ...result.failures].filter(rowFailed).length;
    // Read after the targets resolved, before the run is closed: nothing here grants or runs anything.
    const explanation = req.dryRun ? await explainRun(ctx, plan, [...result.rows, ...result.failures]) : undefined;
    if (runId) {
      await ctx.store.addRunResults([...result.rows, ...result.failures].map((r) => resultRecord(runId, r)));
      await ctx.store.finishRun(runId, { status: req.dryRun ? 'dry_run' : failed ? 'failed' : 'succeeded', finishedAt: clock.now(), targets: result.targets, failures: failed });
      await audit(ctx.store, who.name, req.dryRun ? 'run.dry' : 'run', req.statement, failed ? 'failed' : 'ok', { targets: result.targets, failures: failed }, runId);
    }
    settled = ended = true;
    ctx.onExecuted?.(failed ? 'failed' : 'succeeded', (clock.now() - started) / 1000, result.agentsAsked);
    yield { type: 'outcome', outcome: { plan, runId, result, failed, durationMs: clock.now() - started, ...(explanation ? { explanation } : {}) } };
  } catch (err) {
    settled = ended = true;
    ctx.onExecuted?.('error', (clock.now() - started) / 1000, 0);
    if (runId) {
      await ctx.store.finishRun(runId, { status: 'failed', finishedAt: clock.now(), targets: 0, failures: 0 }).catch(() => undefined);
      await audit(ctx.store, who.name, 'run', req.statement, 'failed', { error: (err as Error).message }, runId).catch(() => undefined);
    }
    throw err;
  } finally {
    if (!ended) ctx.onExecuted?.('interrupted', (clock.now() - started) / 1000, 0);
    if (!settled && runId) {
      await ctx.store.finishRun(runId, { status: 'interrupted', finishedAt: clock.now(), targets: 0, failures: 0 }).catch(() => undefined);
      await audit(ctx.store, who.name, 'run', req.statement, 'failed', { error: 'the caller stopped reading before the run ended' }, runId).catch(() => undefined);
    }
  }
}

/** Drains a statement's lines for its outcome: for callers that show no rows (schedules, approvals, live queries). */
export async function outcomeOf(lines: AsyncIterable<StatementLine>): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  for await (const line of lines) if (line.type === 'outcome') outcome = line.outcome;
  if (!outcome) throw new BreakwaterError('BW_ERR_INTERNAL', 'the statement ended without an outcome');
  return outcome;
}

/**
 * Marks the runs a previous process left `running` (it was killed mid-run) as `interrupted`, each
 * with an audit entry: at start, before any new run begins. For the embedded mode, whose one
 * process is the only one running runs; with a shared store, ReplicaLiveness interrupts only the
 * runs of replicas that stopped heartbeating.
 */
export async function interruptStaleRuns(store: Store, clock: Clock = systemClock): Promise<RunRecord[]> {
  const runs = await store.interruptRuns(clock.now());
  await auditInterrupted(store, runs, 'the control plane stopped while the run was running');
  return runs;
}

/** One `run.interrupted` audit entry per run, saying why. */
export async function auditInterrupted(store: Store, runs: readonly RunRecord[], reason: string): Promise<void> {
  for (const r of runs) await audit(store, 'breakwater', 'run.interrupted', r.statement, 'failed', { startedBy: r.principal, startedAt: r.startedAt, reason, ...(r.replicaId ? { replica: r.replicaId } : {}) }, r.id);
}

/** What the store refuses in text (store/values.ts: NUL, which PostgreSQL cannot hold, and unpaired
 *  UTF-16 surrogates): agents' output may carry either, so it shows as U+FFFD instead. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const clean = (s: string) => s.replace(UNSTORABLE, '\uFFFD');

/**
 * A row's values as the store takes them: through JSON (as the agent sent them: NaN becomes null),
 * with `clean` on every string and key (the JSON text escapes NUL, so cleaning the text misses it).
 */
function cleanValues(v: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v), (_key, x: unknown) => {
    if (typeof x === 'string') return clean(x);
    if (x === null || typeof x !== 'object' || Array.isArray(x) || !Object.keys(x).some((k) => clean(k) !== k)) return x;
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [clean(k), y]));
  }) as Record<string, unknown>;
}

export function resultRecord(runId: string, r: ResultRow): RunResultRecord {
  const v = r.values;
  return {
    runId,
    resourceId: r.resource?.id ?? '',
    resourceType: r.resource?.type ?? 'row',
    host: r.resource?.host ?? '',
    status: r.status,
    exitCode: typeof v.exit_code === 'number' ? v.exit_code : null,
    stdout: typeof v.stdout === 'string' ? clean(v.stdout) : null,
    stderr: typeof v.stderr === 'string' ? clean(v.stderr) : null,
    error: r.error ? clean(r.error) : null,
    values: cleanValues(v),
    durationMs: typeof v.duration === 'number' ? Math.round(v.duration * 1000) : null,
  };
}
