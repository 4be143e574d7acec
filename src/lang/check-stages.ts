import type { Expr, Stage } from './ast.js';
import type { ResourceTypeName } from './catalogue.js';
import { RESOURCE_TYPES, ROLLING_PARAMS } from './catalogue.js';
import { actionParam } from './check-calls.js';
import type { CheckContext, Column } from './check-context.js';
import { clip, describeScope, isRange } from './check-context.js';
import type { ExpressionChecker } from './check-expressions.js';
import { formatExpr } from './format.js';
import { closest } from './suggest.js';
import type { ValueType } from './types.js';
import { T } from './types.js';
import type { StageVisitor } from './visit.js';
import { exprTree, visitStage } from './visit.js';

/** What a stage does in the pipeline, as the planner and the editor read it. */
export type StageRole = 'source' | 'traverse' | 'filter' | 'column' | 'command' | 'action' | 'reduction' | 'rollout' | 'error';

/** The columns a command or an action adds to every row. */
const COMMAND_COLUMNS: readonly Column[] = [
  { name: 'exit_code', type: T.number() },
  { name: 'stdout', type: T.string },
  { name: 'stderr', type: T.string },
  { name: 'duration', type: T.number('seconds') },
];

/** Checks each stage's place in the pipeline and moves the scope and columns along. */
export class StageChecker {
  private rollouts = 0;

  constructor(
    private readonly cx: CheckContext,
    private readonly exprs: ExpressionChecker,
  ) {}

  /** Checks a stage after the first. */
  check(stage: Stage): StageRole {
    return visitStage(this.stageChecks, stage);
  }

  /** Checks the first stage, which must be a source. */
  first(stage: Stage): StageRole {
    if (stage.kind === 'ResourceStage') {
      this.cx.scope = { kind: 'resource', resource: stage.resource as ResourceTypeName };
      return 'source';
    }
    if (stage.kind === 'EventsStage') {
      this.cx.scope = { kind: 'events' };
      return 'source';
    }
    if (stage.kind === 'ErrorStage') return 'error';
    const word = stage.kind === 'ColumnStage' && stage.value.kind === 'Ident' ? stage.value.name : undefined;
    const suggestion = word === undefined ? undefined : closest(word, [...RESOURCE_TYPES, 'events']);
    const found = word !== undefined ? `\`${word}\`` : stage.kind === 'CommandStage' ? 'a command' : `\`${clip(stageText(stage))}\``;
    this.cx.diagnostics.error(
      'BW_SOURCE_FIRST',
      stage.span,
      `a statement starts with a resource type (${RESOURCE_TYPES.join(', ')}) or \`events\`, found ${found}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
      suggestion,
    );
    // Check the rest as the statement surely meant, so its other mistakes show up in the same run.
    if (suggestion === 'events') this.cx.scope = { kind: 'events' };
    else if (suggestion) this.cx.scope = { kind: 'resource', resource: suggestion as ResourceTypeName };
    return 'error';
  }

  private readonly stageChecks: StageVisitor<StageRole> = {
    ResourceStage: (s) => {
      const to = s.resource as ResourceTypeName;
      const scope = this.cx.scope;
      if (scope.kind === 'resource') {
        const from = this.cx.catalogue.resources[scope.resource];
        if (!from.related.includes(to)) {
          this.cx.diagnostics.error('BW_NO_TRAVERSAL', s.span, `cannot go from ${scope.resource} to ${to}: from ${scope.resource} you can go to ${from.related.join(', ')}`);
        }
      } else if (scope.kind !== 'unknown') {
        this.cx.diagnostics.error('BW_NO_TRAVERSAL', s.span, `cannot go to ${to} from ${describeScope(scope)}: traversals follow resources, not ${describeScope(scope)}`);
      }
      this.cx.scope = { kind: 'resource', resource: to };
      this.cx.columns = [];
      return 'traverse';
    },
    EventsStage: (s) => {
      this.cx.diagnostics.error('BW_SOURCE_LATER', s.span, '`events` can only be the first stage: expected a filter, column, command, action or reduction here');
      return 'error';
    },
    FilterStage: (s) => {
      if (this.cx.afterGroupBy(s.span, 'a filter')) return 'error';
      const type = this.exprs.expr(s.condition);
      if (isRange(type)) this.cx.rangeAsInstant(s.condition);
      return 'filter';
    },
    ColumnStage: (s) => this.column(s.value),
    CommandStage: (s) => {
      this.cx.effect(s.span, 'a command');
      if (s.command.trim() === '') this.cx.diagnostics.error('BW_EMPTY_COMMAND', s.span, 'empty command: expected a shell command between the backticks');
      this.cx.addColumns(COMMAND_COLUMNS);
      return 'command';
    },
    ActionStage: (s) => {
      this.cx.effect(s.span, `action \`${s.action}\``);
      const spec = this.cx.catalogue.actions[s.action];
      if (!spec) {
        const suggestion = closest(s.action, [...Object.keys(this.cx.catalogue.actions), ...Object.keys(this.cx.catalogue.functions), ...Object.keys(this.cx.catalogue.reductions), 'rolling']);
        const known = Object.keys(this.cx.catalogue.actions);
        this.cx.diagnostics.error(
          'BW_UNKNOWN_ACTION',
          s.actionSpan,
          `unknown action \`${s.action}\`: ` +
            (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the defined actions are ${known.map((k) => `\`${k}\``).join(', ')}` : 'no actions are defined'),
          suggestion,
        );
        for (const a of s.args) this.exprs.expr(a.value);
      } else {
        if (this.cx.scope.kind === 'resource' && !spec.resources.includes(this.cx.scope.resource)) {
          this.cx.diagnostics.error('BW_ACTION_RESOURCE', s.actionSpan, `action \`${s.action}\` runs on ${spec.resources.join(' or ')}, not on ${this.cx.scope.resource}`);
        }
        this.exprs.calls.namedArguments(`action \`${s.action}\``, s.actionSpan, s.args, spec.params.map(actionParam));
      }
      this.cx.addColumns([...COMMAND_COLUMNS, { name: 'action', type: T.string }]);
      return 'action';
    },
    ReductionStage: (s) => this.reduction(s),
    RolloutStage: (s) => {
      this.cx.effect(s.span, '`rolling`');
      if (++this.rollouts > 1) this.cx.diagnostics.error('BW_ROLLING_TWICE', s.span, 'only one `rolling(...)` per statement: the first already sets the batches');
      this.exprs.calls.namedArguments('`rolling`', s.span, s.args, ROLLING_PARAMS);
      return 'rollout';
    },
    ErrorStage: () => 'error',
  };

  /** Reports a `rolling(...)` not followed by the command or action it rolls out. */
  checkRolloutTarget(stage: Stage, next: Stage | undefined): void {
    if (next?.kind === 'CommandStage' || next?.kind === 'ActionStage' || next?.kind === 'ErrorStage' || next?.kind === 'RolloutStage') return;
    this.cx.diagnostics.error('BW_ROLLING_TARGET', stage.span, `\`rolling(...)\` must be followed by the command or action it rolls out, found ${next ? `\`${clip(stageText(next))}\`` : 'the end of the statement'}`);
  }

  private column(value: Expr): StageRole {
    if (this.cx.afterGroupBy(value.span, 'a column')) return 'error';
    if (value.kind === 'Ident' && this.cx.resolveName(value) === undefined) {
      const stageWord = closest(value.name, [...RESOURCE_TYPES, ...Object.keys(this.cx.catalogue.reductions), 'events', 'rolling']);
      if (stageWord) {
        this.cx.diagnostics.error('BW_UNKNOWN_STAGE', value.span, `unknown stage \`${value.name}\`; did you mean \`${stageWord}\`?`, stageWord);
        return 'error';
      }
      if (this.cx.scope.kind === 'resource' && closest(value.name, this.cx.knownNames(this.cx.scope.resource))) {
        this.cx.bindings.set(value, { kind: 'tag' });
        this.cx.unknownMetric(value, 'a misspelt name would show as an empty tag column');
        return 'error';
      }
    }
    const type = this.exprs.expr(value);
    if (type.t === 'command') return 'column';
    if (isConstant(value)) {
      this.cx.diagnostics.error('BW_CONSTANT_COLUMN', value.span, `\`${clip(formatExpr(value))}\` is a constant, the same for every resource: expected a metric, attribute or tag (to filter, compare one: \`env = ${clip(formatExpr(value))}\`)`);
      return 'error';
    }
    this.cx.addColumns([{ name: formatExpr(value), type }]);
    return 'column';
  }

  private reduction(s: Extract<Stage, { kind: 'ReductionStage' }>): StageRole {
    const spec = this.cx.catalogue.reductions[s.reduction];
    if (!spec) return 'error';
    const scope = this.cx.scope;
    if (scope.kind === 'groups' && spec.kind !== 'aggregate') {
      this.cx.diagnostics.error('BW_AFTER_GROUP_BY', s.span, `expected an aggregation (count, sum, avg, min, max, distinct) after group_by, found \`${s.reduction}\``);
    }
    // An aggregation after group_by reads its argument from the grouped rows (`group_by(zone) | avg(cpu_usage)`).
    const keys = scope.kind === 'groups' ? scope.keys : [];
    const keyColumns = keys.map((k) => this.cx.columns.find((c) => c.name === k) ?? { name: k, type: T.any });
    if (scope.kind === 'groups' && spec.kind === 'aggregate') {
      this.cx.scope = scope.inner;
      this.cx.columns = [...scope.innerColumns];
    }
    const values = this.exprs.calls.positionalArguments(s.reduction, s.span, s.args, spec.params);
    switch (spec.kind) {
      case 'group': {
        const names = values.map((v) => formatExpr(v.expr));
        const groupColumns = values.map((v) => ({ name: formatExpr(v.expr), type: v.type }));
        this.cx.scope = { kind: 'groups', keys: names, inner: scope, innerColumns: [...this.cx.columns] };
        this.cx.columns = [...groupColumns, { name: 'count', type: T.number('count') }];
        break;
      }
      case 'aggregate': {
        if (s.reduction === 'distinct' && values.length === 0 && this.cx.columns.filter((c) => c.name !== 'count').length === 0) {
          this.cx.diagnostics.error('BW_ARGUMENT_COUNT', s.span, '`distinct` needs columns to compare: name them, e.g. `distinct(kernel)`, or add columns before it');
        }
        const name = s.reduction === 'count' ? 'count' : s.args.length && s.reduction !== 'distinct' ? `${s.reduction}(${s.args.map((a) => formatExpr(a.value)).join(', ')})` : 'count';
        const own: Column[] =
          s.reduction === 'distinct'
            ? [
                ...(values.length ? values.map((v) => ({ name: formatExpr(v.expr), type: v.type })) : this.cx.columns.filter((c) => c.name !== 'count' && !keys.includes(c.name))),
                { name: 'count', type: T.number('count') },
              ]
            : [{ name, type: s.reduction === 'count' ? T.number('count') : (values[0]?.type ?? T.any) }];
        this.cx.scope = { kind: 'rows' };
        this.cx.columns = [...keyColumns, ...own];
        break;
      }
      case 'select':
        for (const v of values) if (v.param.type === 'column' || v.param.type === 'numeric' || v.param.type === 'sortkey') this.addImplicitColumn(v.expr, v.type);
        break;
    }
    return 'reduction';
  }

  private addImplicitColumn(e: Expr, type: ValueType): void {
    const target = e.kind === 'Unary' && e.op === '-' ? e.operand : e;
    const name = formatExpr(target);
    if (!this.cx.columns.some((c) => c.name === name)) this.cx.addColumns([{ name, type }]);
  }
}

function stageText(stage: Stage): string {
  switch (stage.kind) {
    case 'FilterStage':
      return formatExpr(stage.condition);
    case 'ColumnStage':
      return formatExpr(stage.value);
    case 'CommandStage':
      return `\`${stage.command}\``;
    case 'ActionStage':
      return `${stage.action}(...)`;
    case 'ReductionStage':
      return stage.args.length ? `${stage.reduction}(...)` : stage.reduction;
    case 'RolloutStage':
      return 'rolling(...)';
    case 'ResourceStage':
      return stage.resource;
    case 'EventsStage':
      return 'events';
    case 'ErrorStage':
      return '?';
  }
}

/** Kinds that say nothing about a resource: literals, and lists and operators over them. */
const CONSTANT_KINDS: ReadonlySet<Expr['kind']> = new Set(['Number', 'String', 'Bool', 'List', 'Unary', 'Binary']);

/** Whether an expression refers to nothing about the resource: literals only. */
function isConstant(e: Expr): boolean {
  return exprTree.every(e, (n) => CONSTANT_KINDS.has(n.kind));
}
