import type { Plan } from '../../lang/index.js';
import type { BotState, ResultRow } from '../../protocol/index.js';
import { EXPLAINED_BATCHES, EXPLAINED_NAMES } from '../../protocol/index.js';
import type { RunExplanation } from '../../protocol/index.js';
import type { Policy } from './authorize.js';
import { planBatches } from './batch-plan.js';

/** What explaining a run reads: the blast-radius limit, the actions' rules, and the bots' breakers. */
export interface ExplainContext {
  readonly maxTargets: number;
  readonly policy: Pick<Policy, 'action'>;
  /** Every bot with its breaker's window now, read without granting anything (Automation.bots). */
  readonly bots?: (() => Promise<readonly Pick<BotState, 'name' | 'action' | 'enabled' | 'approval' | 'breaker'>[]>) | undefined;
}

const nameOf = (r: ResultRow) => r.resource?.name ?? '?';
const names = (rows: readonly ResultRow[]) => ({ count: rows.length, names: rows.slice(0, EXPLAINED_NAMES).map(nameOf) });

/**
 * What running `plan` would do, from the targets a dry run resolved just now (`targets`: the rows
 * the effect would reach, answered or not): the targets, a rollout's batches in order (the same
 * planBatches the executor runs), the breakers of the bots that run the same actions (read, never
 * granted: nothing is consumed), whether an approval would hold the run and who approves those
 * bots' runs, and the blast-radius verdict against the limit that asks for `--yes`.
 *
 * @example
 * const explanation = await explainRun(ctx, plan, [...result.rows, ...result.failures]);
 * explanation.blastRadius; // { verdict: 'over', targets: 120, limit: 50 }
 */
export async function explainRun(ctx: ExplainContext, plan: Plan, targets: readonly ResultRow[]): Promise<RunExplanation> {
  const effectful = plan.effects.commands.length > 0 || plan.effects.actions.length > 0;
  const phase = plan.phases.find((p) => p.where === 'rollout');
  const rollout = phase ? planBatches(targets, phase) : undefined;
  const actions = new Set(plan.effects.actions);
  const bots = actions.size && ctx.bots ? (await ctx.bots()).filter((b) => b.enabled && actions.has(b.action)) : [];
  const over = effectful && targets.length > ctx.maxTargets;
  return {
    targets: { ...names(targets), unreachable: targets.filter((r) => r.status !== 'ok').length },
    rollout:
      phase && rollout
        ? { batchCount: rollout.batches.length, size: rollout.size, ramp: phase.ramp ?? 'none', maxErrors: rollout.maxErrors, batches: rollout.batches.slice(0, EXPLAINED_BATCHES).map(names) }
        : null,
    breakers: bots.map((b) => ({ bot: b.name, action: b.action, max: b.breaker.max, windowSeconds: b.breaker.windowSeconds, used: b.breaker.used, left: b.breaker.left, tripped: b.breaker.tripped, consumes: 0 })),
    approval: {
      required: false,
      reason: !effectful
        ? 'it only reads: nothing to approve'
        : over
          ? `a run started by a person is not held for approval, but it reaches more than ${ctx.maxTargets} resources: it runs only when confirmed (--yes)`
          : 'a run started by a person is not held for approval: approvals hold bot runs',
      bots: bots.filter((b) => b.approval).map((b) => ({ bot: b.name, action: b.action, ...approvers(ctx, b.action) })),
    },
    blastRadius: { verdict: !effectful ? 'reads only' : over ? 'over' : 'within', targets: targets.length, limit: ctx.maxTargets },
  };
}

/** Who may approve a bot's run of `action`: the operator role at least, narrowed by the action's `allowed` rule. */
function approvers(ctx: ExplainContext, action: string): { roles: string[]; principals: string[] } {
  const rule = ctx.policy.action(action)?.runBy;
  if (!rule) return { roles: ['operator'], principals: [] };
  return { roles: [...rule.roles], principals: rule.principals.filter((p) => !p.startsWith('bot:') && !p.startsWith('schedule:')) };
}
