import type { Argument, Expr, Pipeline, Stage } from './ast.js';
import type { Catalogue, EventFieldSpec, ParamSpec, ResourceTypeName } from './catalogue.js';
import { ROLLING_PARAMS } from './catalogue.js';
import type { Binding, CheckResult, Column } from './checker.js';
import { formatExpr } from './format.js';
import type { AgentStep, ControlStep, Phase, Plan, PlanColumn, PlanExpr, PlanMetric, Role } from './plan.js';
import { isOrdered } from './plan-order.js';
import { parseDuration } from './units.js';
import type { ExprVisitor } from './visit.js';
import { exprTree, planExprTree, visitExpr } from './visit.js';

/**
 * Splits a checked pipeline by where each part runs: host tag and attribute
 * filters on the control plane's inventory (so only agents that can match are
 * asked), metric filters, columns, commands and actions on the agents, and
 * reductions on the control plane after merging. Call only when the checker
 * reported no errors.
 *
 * @example
 * plan(ast, checked, BUILTIN_CATALOGUE).phases
 * // host | env = "prod" | cpu_usage > 80
 * // -> inventory(env = "prod"), agent[filter cpu_usage > 80]
 */
export function plan(pipeline: Pipeline, checked: CheckResult, catalogue: Catalogue): Plan {
  return new Planner(checked, catalogue).run(pipeline);
}

class Planner {
  private readonly phases: Phase[] = [];
  private agent: AgentStep[] | null = null;
  private agentResource: ResourceTypeName = 'host';
  private control: ControlStep[] | null = null;
  private inventory: PlanExpr[] | null = null;
  /** Host filters may move to the inventory until something runs or the rows change. */
  private hoistable = false;
  private readonly commands: string[] = [];
  private readonly actions: string[] = [];
  private readonly checks: string[] = [];
  private readonly metrics = new Set<string>();
  private windowSeconds = 0;
  /** Columns agents have produced so far, so control steps can refer to them. */
  private agentColumns = new Set<string>();

  constructor(
    private readonly checked: CheckResult,
    private readonly catalogue: Catalogue,
  ) {}

  run(pipeline: Pipeline): Plan {
    const first = pipeline.stages[0];
    const source = first?.kind === 'ResourceStage' ? (first.resource as ResourceTypeName) : 'events';
    if (source === 'events') {
      this.phases.push({ where: 'events', filter: null });
    } else {
      this.inventory = [];
      this.hoistable = this.catalogue.resources[source].inventory;
      this.agentResource = source;
      // Resources only agents know (processes, containers, pods) are listed by the agents.
      if (!this.hoistable) this.agent = [];
    }
    pipeline.stages.slice(1).forEach((stage, i) => this.stage(stage, i + 1, pipeline.stages[i + 2]));
    this.flush();
    if (this.inventory) {
      // Always first: it picks the agents every later phase talks to.
      const filter = this.inventory.reduce<PlanExpr | null>((acc, e) => (acc ? { k: 'bin', op: 'and', l: acc, r: e } : e), null);
      this.phases.unshift({ where: 'inventory', resource: 'host', filter });
    }
    const columns = (this.checked.stages.at(-1)?.columns ?? []).map(planColumn);
    return {
      version: 1,
      source,
      phases: this.phases,
      // Event rows carry every field: without a column stage, say what each is, so `time` reads as a date.
      columns: source === 'events' && !columns.length ? this.catalogue.eventFields.map(eventColumn) : columns,
      ordered: isOrdered(this.phases),
      effects: { commands: this.commands, actions: this.actions, checks: this.checks },
      requires: this.requires(),
      metrics: [...this.metrics].sort(),
      windowSeconds: this.windowSeconds,
    };
  }

  private requires(): Role {
    if (this.commands.length) return 'admin';
    if (this.actions.length) return 'operator';
    return 'viewer';
  }

  private stage(stage: Stage, index: number, next: Stage | undefined): void {
    const info = this.checked.stages[index];
    const scope = info?.scope.kind;
    const onRows = scope === 'rows' || scope === 'groups' || scope === 'events';
    switch (stage.kind) {
      case 'ResourceStage':
        this.agentStep({ op: 'traverse', to: stage.resource as ResourceTypeName });
        this.hoistable = false;
        return;
      case 'FilterStage': {
        if (onRows) return this.eventsOrControl({ op: 'filter', expr: this.lower(stage.condition) });
        for (const conjunct of conjuncts(stage.condition)) {
          const expr = this.lower(conjunct);
          if (this.hoistable && this.inventory && isInventoryExpr(expr)) this.inventory.push(expr);
          else this.agentStep({ op: 'filter', expr });
        }
        return;
      }
      case 'ColumnStage': {
        const name = formatExpr(stage.value);
        const expr = this.lower(stage.value);
        if (onRows) return this.controlStep({ op: 'column', name, expr });
        this.agentStep({ op: 'column', name, expr });
        this.agentColumns.add(name);
        return;
      }
      case 'CommandStage':
        this.commands.push(stage.command);
        this.agentStep({ op: 'command', text: stage.command });
        this.hoistable = false;
        return;
      case 'ActionStage':
        this.actions.push(stage.action);
        this.agentStep({ op: 'action', name: stage.action, args: this.actionArgs(stage.action, stage.args) });
        this.hoistable = false;
        return;
      case 'ReductionStage':
        this.hoistable = false;
        // The aggregation after group_by reads values of the grouped rows: have them computed before grouping.
        if (stage.reduction === 'group_by' && next?.kind === 'ReductionStage' && scope === 'resource') {
          for (const a of next.args) this.columnRef(a.value, true);
        }
        return this.reduction(stage.reduction, stage.args, scope === 'resource');
      case 'RolloutStage':
        return this.rollout(stage.args);
      case 'EventsStage':
      case 'ErrorStage':
        return;
    }
  }

  private reduction(name: string, args: readonly Argument[], onResources: boolean): void {
    const ref = (e: Expr) => this.columnRef(e, onResources);
    const n = (i: number) => numberArg(args[i]);
    switch (name) {
      case 'count':
        return this.controlStep({ op: 'count' });
      case 'sum':
      case 'avg':
      case 'min':
      case 'max': {
        const arg = args[0]?.value as Expr;
        return this.controlStep({ op: 'aggregate', fn: name, column: ref(arg), name: `${name}(${formatExpr(arg)})` });
      }
      case 'distinct':
        return this.controlStep({ op: 'distinct', columns: args.map((a) => ref(a.value)) });
      case 'group_by':
        return this.controlStep({ op: 'group_by', keys: args.map((a) => ref(a.value)) });
      case 'top':
        return this.controlStep({ op: 'top', n: n(0), column: ref(args[1]?.value as Expr) });
      case 'sort':
        return this.controlStep({
          op: 'sort',
          keys: args.map((a) => (a.value.kind === 'Unary' && a.value.op === '-' ? { column: ref(a.value.operand), desc: true } : { column: ref(a.value), desc: false })),
        });
      case 'limit':
        return this.controlStep({ op: 'limit', n: n(0) });
      case 'sample':
        return this.controlStep({ op: 'sample', n: n(0) });
    }
  }

  /**
   * The column a control step reads. On resource rows, a metric or a
   * non-inventory value must first be computed by the agents, so it is added to
   * the agent phase as a column; host tags and attributes come from inventory.
   */
  private columnRef(e: Expr, onResources: boolean): string {
    const name = formatExpr(e);
    if (!onResources || this.agentColumns.has(name)) return name;
    const expr = this.lower(e);
    if (isInventoryExpr(expr) && this.agentResource === 'host' && !this.agent) {
      this.controlStepWithoutFlush({ op: 'column', name, expr });
      return name;
    }
    this.reopenAgent().push({ op: 'column', name, expr });
    this.agentColumns.add(name);
    return name;
  }

  private rollout(args: readonly Argument[]): void {
    const value = (param: string) => args.find((a) => a.name === param)?.value;
    const batch = value('batch');
    const seconds = (param: string) => {
      const v = value(param);
      if (v?.kind === 'Number') return v.value;
      const d = ROLLING_PARAMS.find((p) => p.name === param)?.default;
      return typeof d === 'string' ? (parseDuration(d) ?? 0) : 0;
    };
    const until = value('until');
    const maxErrors = value('max_errors');
    const ramp = value('ramp');
    this.flush();
    this.phases.push({
      where: 'rollout',
      batch: batch?.kind === 'Number' && batch.unit === '%' ? { percent: batch.value } : { count: numberArg({ value: batch } as Argument) },
      pauseSeconds: seconds('pause'),
      timeoutSeconds: seconds('timeout'),
      until: until ? this.lower(until) : null,
      maxErrors: maxErrors?.kind === 'Number' && maxErrors.unit === '%' ? { percent: maxErrors.value } : { count: maxErrors ? numberArg({ value: maxErrors } as Argument) : 0 },
      ramp: (ramp?.kind === 'Ident' ? ramp.name : ramp?.kind === 'String' ? ramp.value : 'none') === 'exponential' ? 'exponential' : 'none',
    });
    this.hoistable = false;
  }

  private actionArgs(action: string, args: readonly Argument[]): Record<string, PlanExpr> {
    const spec = this.catalogue.actions[action];
    const out: Record<string, PlanExpr> = {};
    for (const p of spec?.params ?? []) {
      const given = args.find((a) => a.name === p.name);
      if (given) out[p.name] = this.lower(given.value);
      else if (p.default !== undefined) out[p.name] = literal(p.default);
    }
    return out;
  }

  // ---- phases ----

  private agentStep(step: AgentStep): void {
    this.reopenAgent().push(step);
  }

  private reopenAgent(): AgentStep[] {
    if (this.control) this.flush();
    this.agent ??= [];
    return this.agent;
  }

  private controlStep(step: ControlStep): void {
    this.closeAgent();
    this.controlStepWithoutFlush(step);
  }

  private controlStepWithoutFlush(step: ControlStep): void {
    (this.control ??= []).push(step);
  }

  private eventsOrControl(step: ControlStep): void {
    const phase = this.phases[0];
    if (phase?.where === 'events' && this.phases.length === 1 && !this.control && step.op === 'filter') {
      this.phases[0] = { where: 'events', filter: phase.filter ? { k: 'bin', op: 'and', l: phase.filter, r: step.expr } : step.expr };
      return;
    }
    this.controlStep(step);
  }

  private closeAgent(): void {
    if (!this.agent) return;
    this.phases.push({ where: 'agent', resource: this.agentResource, steps: this.agent });
    const traversals = this.agent.filter((s) => s.op === 'traverse');
    const lastTraversal = traversals.at(-1);
    if (lastTraversal) this.agentResource = lastTraversal.to;
    this.agent = null;
  }

  private flush(): void {
    this.closeAgent();
    if (this.control) {
      this.phases.push({ where: 'control', steps: this.control });
      this.control = null;
    }
  }

  // ---- expressions ----

  private lower(e: Expr): PlanExpr {
    this.noteEffects(e);
    return visitExpr(this.lowerers, e);
  }

  private noteEffects(e: Expr): void {
    exprTree.walk(e, (node) => {
      if (node.kind === 'Call' && (node.callee === 'ok' || node.callee === 'number')) {
        const cmd = node.args[0]?.value;
        if (cmd?.kind === 'Command') this.commands.push(cmd.text);
      } else if (node.kind === 'Call' && this.catalogue.functions[node.callee]?.kind === 'check') {
        this.checks.push(formatExpr(node));
      } else if (node.kind === 'Call' && node.callee === 'count_true') {
        const w = node.args[1]?.value;
        if (w?.kind === 'Number') this.windowSeconds = Math.max(this.windowSeconds, w.value);
      } else if (node.kind === 'Range') {
        this.windowSeconds = Math.max(this.windowSeconds, node.seconds);
      }
    });
  }

  private binding(e: Expr): Binding | undefined {
    return e.kind === 'Ident' || e.kind === 'Selector' ? this.checked.bindings.get(e) : undefined;
  }

  private metric(e: Expr & { kind: 'Ident' | 'Selector' }, b: Binding & { kind: 'metric' }): PlanMetric {
    this.metrics.add(b.spec.name);
    return { name: b.spec.name, labels: e.kind === 'Selector' ? e.labels.map(({ name, op, value }) => ({ name, op, value })) : [], collapse: b.spec.collapse ?? 'max' };
  }

  private readonly lowerers: ExprVisitor<PlanExpr> = {
    Number: (n) => ({ k: 'num', v: n.value }),
    String: (n) => ({ k: 'str', v: n.value }),
    Bool: (n) => ({ k: 'bool', v: n.value }),
    List: (n) => ({ k: 'list', items: n.items.map((i) => visitExpr(this.lowerers, i)) }),
    Ident: (n) => this.name(n),
    Selector: (n) => this.name(n),
    Range: (n) => {
      const b = this.binding(n.target);
      const metric = b?.kind === 'metric' ? this.metric(n.target, b) : { name: n.target.name, labels: [], collapse: 'max' as const };
      return { k: 'range', metric, seconds: n.seconds };
    },
    Command: (n) => ({ k: 'cmd', text: n.text }),
    Call: (n) => ({ k: 'call', fn: n.callee, args: this.callArgs(this.catalogue.functions[n.callee]?.params ?? [], n.args) }),
    Unary: (n) => (n.op === 'not' ? { k: 'not', x: visitExpr(this.lowerers, n.operand) } : { k: 'neg', x: visitExpr(this.lowerers, n.operand) }),
    Binary: (n) => ({ k: 'bin', op: n.op, l: visitExpr(this.lowerers, n.left), r: visitExpr(this.lowerers, n.right) }),
    Error: () => ({ k: 'bool', v: false }),
  };

  private name(n: Expr & { kind: 'Ident' | 'Selector' }): PlanExpr {
    const b = this.binding(n);
    switch (b?.kind) {
      case 'metric':
        return { k: 'metric', ...this.metric(n, b) };
      case 'attribute':
        return { k: 'attr', name: n.name };
      case 'column':
        return { k: 'col', name: b.name };
      case 'field':
        return { k: 'field', name: n.name };
      case 'tag':
      case undefined:
        return { k: 'tag', name: n.name };
    }
  }

  private callArgs(params: readonly ParamSpec[], args: readonly Argument[]): PlanExpr[] {
    if (params.at(-1)?.variadic) return args.map((a) => visitExpr(this.lowerers, a.value));
    return params.map((p, i) => {
      const given = args.find((a) => a.name === p.name) ?? (args[i]?.name === undefined ? args[i] : undefined);
      if (given) return visitExpr(this.lowerers, given.value);
      return p.default === undefined ? { k: 'bool', v: false } : literal(p.default);
    });
  }
}

/** Splits `a and b and c` into its parts, so each can run where it is cheapest. */
function conjuncts(e: Expr): Expr[] {
  return e.kind === 'Binary' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** Plan kinds the control plane can read from its inventory: literals, host attributes and tags, and operators over them. */
const INVENTORY_KINDS: ReadonlySet<PlanExpr['k']> = new Set(['num', 'str', 'bool', 'attr', 'tag', 'list', 'not', 'neg', 'bin']);

/** Whether the control plane can answer it from inventory: literals, host tags and attributes only. */
function isInventoryExpr(e: PlanExpr): boolean {
  return planExprTree.every(e, (n) => INVENTORY_KINDS.has(n.k));
}

function literal(v: string | number | boolean): PlanExpr {
  if (typeof v === 'number') return { k: 'num', v };
  if (typeof v === 'boolean') return { k: 'bool', v };
  const seconds = parseDuration(v);
  return seconds === undefined ? { k: 'str', v } : { k: 'num', v: seconds };
}


function numberArg(a: Argument | undefined): number {
  return a?.value.kind === 'Number' ? a.value.value : 0;
}

function eventColumn(f: EventFieldSpec): PlanColumn {
  if (f.type === 'string') return { name: f.name, type: 'string' };
  return { name: f.name, type: 'number', unit: f.shownAs ?? f.dim ?? 'none' };
}

function planColumn(c: Column): PlanColumn {
  const t = c.type;
  switch (t.t) {
    case 'number':
      return t.range ? { name: c.name, type: 'series', unit: t.dim } : { name: c.name, type: 'number', unit: t.shownAs ?? t.dim };
    case 'bool':
      return { name: c.name, type: t.range ? 'series' : 'bool' };
    case 'string':
      return { name: c.name, type: 'string' };
    case 'list':
      return { name: c.name, type: 'list' };
    case 'command':
    case 'any':
      return { name: c.name, type: 'any' };
  }
}
