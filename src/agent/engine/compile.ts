import type { AlarmDefinition, BotDefinition, Definition, FileDefinition, MetricDefinition, ActionDefinition as ActionDef } from '../../definitions/index.js';
import type { AgentPhase, AgentStep, Catalogue, Expr, Plan } from '../../lang/index.js';
import { analyze, extendCatalogue, formatExpr } from '../../lang/index.js';
import type { ActionDefinition } from '../query/executor.js';
import type { PredictiveCondition } from './prediction.js';
import { predictionColumns, predictiveCondition } from './prediction.js';

/** An alarm made ready to evaluate locally: phases that select, fire, clear and measure. */
export interface CompiledAlarm {
  readonly def: AlarmDefinition;
  /** Resources the alarm watches (its query). */
  readonly scope: AgentPhase;
  /** Resources for which the fire condition holds. */
  readonly fire: AgentPhase;
  /** Resources for which the clear condition holds; undefined: when fire no longer holds. */
  readonly clear: AgentPhase | undefined;
  /** Adds a `value` column: the measured side of the fire condition, reported in events (and `fitted`, `slope` for a predictive one). */
  readonly value: AgentPhase | undefined;
  /** Set when the fire condition compares predict_linear(...) with a number: its event says when the threshold is reached. */
  readonly prediction?: PredictiveCondition;
}

export interface CompiledDefinitions {
  readonly version: number;
  readonly catalogue: Catalogue;
  readonly alarms: readonly CompiledAlarm[];
  readonly bots: readonly BotDefinition[];
  readonly actions: ReadonlyMap<string, ActionDefinition>;
  readonly actionDefs: ReadonlyMap<string, ActionDef>;
  readonly metrics: readonly MetricDefinition[];
  readonly files: readonly FileDefinition[];
  /** Definitions this agent could not use, with why (reported, never silently dropped). */
  readonly problems: readonly string[];
}

/**
 * Turns the definitions the control plane sent into what the agent runs.
 * Each alarm is checked again here with the same language; one that does
 * not check is reported and skipped, the rest still run.
 */
export function compileDefinitions(version: number, definitions: readonly Definition[], base: Catalogue): CompiledDefinitions {
  const metrics = definitions.filter((d): d is MetricDefinition => d.kind === 'metric');
  const actionDefs = definitions.filter((d): d is ActionDef => d.kind === 'action');
  const catalogue = extendCatalogue(base, {
    metrics: metrics.map((m) => ({ name: m.name, resource: m.resource, dim: m.unit, labels: m.labels, description: m.description })),
    actions: actionDefs.map((a) => ({ name: a.name, description: a.description, resources: a.resources, params: a.params })),
  });
  const problems: string[] = [];
  const alarms: CompiledAlarm[] = [];
  for (const def of definitions) {
    if (def.kind !== 'alarm') continue;
    try {
      alarms.push(compileAlarm(def, catalogue));
    } catch (err) {
      problems.push(`alarm ${def.name}: ${(err as Error).message}`);
    }
  }
  const actions = new Map<string, ActionDefinition>();
  for (const a of actionDefs) {
    let scope: ActionDefinition['scope'];
    if (a.allowed !== undefined) {
      try {
        scope = { statement: a.allowed, phase: localPhase(planOf(a.allowed, catalogue)) };
      } catch (err) {
        // Where it may run cannot be told here, so it runs nowhere rather than everywhere.
        problems.push(`action ${a.name}: allowed ${(err as Error).message}; it will not run on this agent`);
        continue;
      }
    }
    actions.set(a.name, { name: a.name, command: a.command, params: a.params, timeoutMs: a.timeoutSeconds * 1000, maxOutputBytes: a.outputLimitBytes, ...(a.user ? { user: a.user } : {}), ...(a.secrets?.length ? { secrets: a.secrets } : {}), ...(scope ? { scope } : {}) });
  }
  return {
    version,
    catalogue,
    alarms,
    bots: definitions.filter((d): d is BotDefinition => d.kind === 'bot' && d.enabled),
    actions,
    actionDefs: new Map(actionDefs.map((a) => [a.name, a])),
    metrics,
    files: definitions.filter((d): d is FileDefinition => d.kind === 'file'),
    problems,
  };
}

/** A number, negated or not (`90`, `-1`): the threshold side of a comparison, not the measured one. */
const isConstant = (e: Expr): boolean => e.kind === 'Number' || (e.kind === 'Unary' && e.op === '-' && isConstant(e.operand));

function compileAlarm(def: AlarmDefinition, catalogue: Catalogue): CompiledAlarm {
  const scope = localPhase(planOf(def.query, catalogue));
  const fireAnalysis = analyze(`${def.query} | ${def.fire}`, catalogue);
  const fire = localPhase(planFrom(fireAnalysis, `fire condition ${def.fire}`));
  const clear = def.clear ? localPhase(planOf(`${def.query} | ${def.clear}`, catalogue)) : undefined;
  // The measured value: the side of the fire comparison that reads metrics (`disk_usage{...}` of `disk_usage{...} > 90`).
  const last = fireAnalysis.ast.stages.at(-1);
  let value: AgentPhase | undefined;
  const prediction = last?.kind === 'FilterStage' ? predictiveCondition(last.condition) : undefined;
  if (last?.kind === 'FilterStage' && last.condition.kind === 'Binary') {
    const side = isConstant(last.condition.left) ? last.condition.right : last.condition.left;
    const valuePlan = analyze(`${def.query} | ${formatExpr(side)}`, catalogue).plan;
    if (valuePlan) {
      const phase = localPhase(valuePlan);
      const steps = phase.steps.map((s) => (s.op === 'column' ? { ...s, name: 'value' } : s));
      const measured = steps.find((s) => s.op === 'column');
      value = { ...phase, steps: prediction && measured?.op === 'column' ? [...steps, ...predictionColumns(measured.expr)] : steps };
    }
  }
  return { def, scope, fire, clear, value, ...(prediction && value ? { prediction } : {}) };
}

function planOf(statement: string, catalogue: Catalogue): Plan {
  return planFrom(analyze(statement, catalogue), statement);
}

function planFrom(analysis: ReturnType<typeof analyze>, what: string): Plan {
  if (!analysis.plan) {
    const first = analysis.diagnostics.find((d) => d.severity === 'error');
    throw new Error(`${what}: ${first?.message ?? 'does not check'}`);
  }
  return analysis.plan;
}

/**
 * One agent phase that does all of a plan on this agent: the inventory's host
 * filter becomes the first step, since the agent is its own inventory.
 */
export function localPhase(plan: Plan): AgentPhase {
  const steps: AgentStep[] = [];
  let resource: AgentPhase['resource'] = plan.source === 'events' ? 'host' : plan.source;
  for (const p of plan.phases) {
    if (p.where === 'inventory') {
      if (p.filter) steps.push({ op: 'filter', expr: p.filter });
    } else if (p.where === 'agent') {
      if (!steps.length) resource = p.resource;
      steps.push(...p.steps);
    } else {
      throw new Error(`runs on the control plane (${p.where}), not on an agent: use only a resource type and filters`);
    }
  }
  return { where: 'agent', resource, steps };
}
