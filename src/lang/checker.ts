import type { Argument, Binary, Call, Expr, Identifier, Pipeline, Selector, Stage } from './ast.js';
import type { ActionParamSpec, AttributeSpec, Catalogue, EventFieldSpec, MetricSpec, ParamSpec, ResourceTypeName } from './catalogue.js';
import { RESOURCE_TYPES, ROLLING_PARAMS, findAttribute, findMetric } from './catalogue.js';
import type { DiagnosticBag } from './diagnostics.js';
import { formatExpr } from './format.js';
import { closest } from './suggest.js';
import type { ValueType } from './types.js';
import { T, describeType } from './types.js';
import type { Dimension } from './units.js';
import { DIMENSION_NAMES, compatible } from './units.js';
import type { ExprVisitor, StageVisitor } from './visit.js';
import { exprTree, visitExpr, visitStage } from './visit.js';

/** What a name in the statement refers to, decided by the checker. */
export type Binding =
  | { readonly kind: 'metric'; readonly resource: ResourceTypeName; readonly spec: MetricSpec }
  | { readonly kind: 'attribute'; readonly resource: ResourceTypeName; readonly spec: AttributeSpec }
  | { readonly kind: 'tag' }
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'field'; readonly spec: EventFieldSpec };

/**
 * Where rows stand after a stage: resources of a type, events, groups waiting
 * for an aggregation, or plain rows after one. `unknown` follows a broken
 * first stage, so later stages are checked without cascading errors.
 */
export type Scope =
  | { readonly kind: 'resource'; readonly resource: ResourceTypeName }
  | { readonly kind: 'events' }
  /** After group_by: `inner` is the scope of the grouped rows, where the aggregation's argument is read. */
  | { readonly kind: 'groups'; readonly keys: readonly string[]; readonly inner: Scope; readonly innerColumns: readonly Column[] }
  | { readonly kind: 'rows' }
  | { readonly kind: 'unknown' };

export interface Column {
  readonly name: string;
  readonly type: ValueType;
}

export type StageRole = 'source' | 'traverse' | 'filter' | 'column' | 'command' | 'action' | 'reduction' | 'rollout' | 'error';

export interface StageInfo {
  readonly role: StageRole;
  /** The scope the stage is evaluated in. */
  readonly scope: Scope;
  /** Output columns after the stage (besides the resource identity). */
  readonly columns: readonly Column[];
}

export interface CheckResult {
  readonly bindings: ReadonlyMap<Identifier | Selector, Binding>;
  readonly stages: readonly StageInfo[];
}

const COMMAND_COLUMNS: readonly Column[] = [
  { name: 'exit_code', type: T.number() },
  { name: 'stdout', type: T.string },
  { name: 'stderr', type: T.string },
  { name: 'duration', type: T.number('seconds') },
];

const isNumber = (t: ValueType) => t.t === 'number' || t.t === 'any';
const isString = (t: ValueType) => t.t === 'string' || t.t === 'any';
const isBool = (t: ValueType) => t.t === 'bool' || t.t === 'any';
const isRange = (t: ValueType) => (t.t === 'number' || t.t === 'bool') && t.range === true;
const dimOf = (t: ValueType): Dimension => (t.t === 'number' ? t.dim : 'none');

/**
 * Resolves names, assigns types, and checks each stage's place in the
 * pipeline against the catalogue. Reports into the bag; never throws.
 */
export function check(pipeline: Pipeline, catalogue: Catalogue, diagnostics: DiagnosticBag): CheckResult {
  return new Checker(catalogue, diagnostics).run(pipeline);
}

class Checker {
  private readonly bindings = new Map<Identifier | Selector, Binding>();
  private scope: Scope = { kind: 'unknown' };
  private columns: Column[] = [];
  private rollouts = 0;
  /** Tags that look like misspelt names; warned about at the end unless reported as errors meanwhile. */
  private readonly misspelt = new Map<Identifier, { suggestion: string; resource: ResourceTypeName }>();

  constructor(
    private readonly catalogue: Catalogue,
    private readonly diagnostics: DiagnosticBag,
  ) {}

  run(pipeline: Pipeline): CheckResult {
    const stages: StageInfo[] = [];
    pipeline.stages.forEach((stage, index) => {
      const scope = this.scope;
      const role = index === 0 ? this.first(stage) : visitStage(this.stageChecks, stage);
      if (stage.kind === 'RolloutStage') this.checkRolloutTarget(stage, pipeline.stages[index + 1]);
      stages.push({ role, scope, columns: [...this.columns] });
    });
    for (const [n, { suggestion, resource }] of this.misspelt) {
      this.diagnostics.warning('BW_MAYBE_MISSPELT', n.span, `\`${n.name}\` is not a metric or attribute of ${resource}, so it is read as a tag; did you mean \`${suggestion}\`?`, suggestion);
    }
    return { bindings: this.bindings, stages };
  }

  private first(stage: Stage): StageRole {
    if (stage.kind === 'ResourceStage') {
      this.scope = { kind: 'resource', resource: stage.resource as ResourceTypeName };
      return 'source';
    }
    if (stage.kind === 'EventsStage') {
      this.scope = { kind: 'events' };
      return 'source';
    }
    if (stage.kind === 'ErrorStage') return 'error';
    const word = stage.kind === 'ColumnStage' && stage.value.kind === 'Ident' ? stage.value.name : undefined;
    const suggestion = word === undefined ? undefined : closest(word, [...RESOURCE_TYPES, 'events']);
    const found = word !== undefined ? `\`${word}\`` : stage.kind === 'CommandStage' ? 'a command' : `\`${clip(stageText(stage))}\``;
    this.diagnostics.error(
      'BW_SOURCE_FIRST',
      stage.span,
      `a statement starts with a resource type (${RESOURCE_TYPES.join(', ')}) or \`events\`, found ${found}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
      suggestion,
    );
    // Check the rest as the statement surely meant, so its other mistakes show up in the same run.
    if (suggestion === 'events') this.scope = { kind: 'events' };
    else if (suggestion) this.scope = { kind: 'resource', resource: suggestion as ResourceTypeName };
    return 'error';
  }

  private readonly stageChecks: StageVisitor<StageRole> = {
    ResourceStage: (s) => {
      const to = s.resource as ResourceTypeName;
      const scope = this.scope;
      if (scope.kind === 'resource') {
        const from = this.catalogue.resources[scope.resource];
        if (!from.related.includes(to)) {
          this.diagnostics.error('BW_NO_TRAVERSAL', s.span, `cannot go from ${scope.resource} to ${to}: from ${scope.resource} you can go to ${from.related.join(', ')}`);
        }
      } else if (scope.kind !== 'unknown') {
        this.diagnostics.error('BW_NO_TRAVERSAL', s.span, `cannot go to ${to} from ${describeScope(scope)}: traversals follow resources, not ${describeScope(scope)}`);
      }
      this.scope = { kind: 'resource', resource: to };
      this.columns = [];
      return 'traverse';
    },
    EventsStage: (s) => {
      this.diagnostics.error('BW_SOURCE_LATER', s.span, '`events` can only be the first stage: expected a filter, column, command, action or reduction here');
      return 'error';
    },
    FilterStage: (s) => {
      if (this.afterGroupBy(s.span, 'a filter')) return 'error';
      const type = this.expr(s.condition);
      if (isRange(type)) this.rangeAsInstant(s.condition);
      return 'filter';
    },
    ColumnStage: (s) => this.column(s.value),
    CommandStage: (s) => {
      this.effect(s.span, 'a command');
      if (s.command.trim() === '') this.diagnostics.error('BW_EMPTY_COMMAND', s.span, 'empty command: expected a shell command between the backticks');
      this.addColumns(COMMAND_COLUMNS);
      return 'command';
    },
    ActionStage: (s) => {
      this.effect(s.span, `action \`${s.action}\``);
      const spec = this.catalogue.actions[s.action];
      if (!spec) {
        const suggestion = closest(s.action, [...Object.keys(this.catalogue.actions), ...Object.keys(this.catalogue.functions), ...Object.keys(this.catalogue.reductions), 'rolling']);
        const known = Object.keys(this.catalogue.actions);
        this.diagnostics.error(
          'BW_UNKNOWN_ACTION',
          s.actionSpan,
          `unknown action \`${s.action}\`: ` +
            (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the defined actions are ${known.map((k) => `\`${k}\``).join(', ')}` : 'no actions are defined'),
          suggestion,
        );
        for (const a of s.args) this.expr(a.value);
      } else {
        if (this.scope.kind === 'resource' && !spec.resources.includes(this.scope.resource)) {
          this.diagnostics.error('BW_ACTION_RESOURCE', s.actionSpan, `action \`${s.action}\` runs on ${spec.resources.join(' or ')}, not on ${this.scope.resource}`);
        }
        this.namedArguments(`action \`${s.action}\``, s.actionSpan, s.args, spec.params.map(actionParam));
      }
      this.addColumns([...COMMAND_COLUMNS, { name: 'action', type: T.string }]);
      return 'action';
    },
    ReductionStage: (s) => this.reduction(s),
    RolloutStage: (s) => {
      this.effect(s.span, '`rolling`');
      if (++this.rollouts > 1) this.diagnostics.error('BW_ROLLING_TWICE', s.span, 'only one `rolling(...)` per statement: the first already sets the batches');
      this.namedArguments('`rolling`', s.span, s.args, ROLLING_PARAMS);
      return 'rollout';
    },
    ErrorStage: () => 'error',
  };

  private checkRolloutTarget(stage: Stage, next: Stage | undefined): void {
    if (next?.kind === 'CommandStage' || next?.kind === 'ActionStage' || next?.kind === 'ErrorStage' || next?.kind === 'RolloutStage') return;
    this.diagnostics.error('BW_ROLLING_TARGET', stage.span, `\`rolling(...)\` must be followed by the command or action it rolls out, found ${next ? `\`${clip(stageText(next))}\`` : 'the end of the statement'}`);
  }

  private column(value: Expr): StageRole {
    if (this.afterGroupBy(value.span, 'a column')) return 'error';
    if (value.kind === 'Ident' && this.resolveName(value) === undefined) {
      const stageWord = closest(value.name, [...RESOURCE_TYPES, ...Object.keys(this.catalogue.reductions), 'events', 'rolling']);
      if (stageWord) {
        this.diagnostics.error('BW_UNKNOWN_STAGE', value.span, `unknown stage \`${value.name}\`; did you mean \`${stageWord}\`?`, stageWord);
        return 'error';
      }
      if (this.scope.kind === 'resource' && closest(value.name, this.knownNames(this.scope.resource))) {
        this.bindings.set(value, { kind: 'tag' });
        this.unknownMetric(value, 'a misspelt name would show as an empty tag column');
        return 'error';
      }
    }
    const type = this.expr(value);
    if (type.t === 'command') return 'column';
    if (isConstant(value)) {
      this.diagnostics.error('BW_CONSTANT_COLUMN', value.span, `\`${clip(formatExpr(value))}\` is a constant, the same for every resource: expected a metric, attribute or tag (to filter, compare one: \`env = ${clip(formatExpr(value))}\`)`);
      return 'error';
    }
    this.addColumns([{ name: formatExpr(value), type }]);
    return 'column';
  }

  private reduction(s: Extract<Stage, { kind: 'ReductionStage' }>): StageRole {
    const spec = this.catalogue.reductions[s.reduction];
    if (!spec) return 'error';
    const scope = this.scope;
    if (scope.kind === 'groups' && spec.kind !== 'aggregate') {
      this.diagnostics.error('BW_AFTER_GROUP_BY', s.span, `expected an aggregation (count, sum, avg, min, max, distinct) after group_by, found \`${s.reduction}\``);
    }
    // An aggregation after group_by reads its argument from the grouped rows (`group_by(zone) | avg(cpu_usage)`).
    const keys = scope.kind === 'groups' ? scope.keys : [];
    const keyColumns = keys.map((k) => this.columns.find((c) => c.name === k) ?? { name: k, type: T.any });
    if (scope.kind === 'groups' && spec.kind === 'aggregate') {
      this.scope = scope.inner;
      this.columns = [...scope.innerColumns];
    }
    const values = this.positionalArguments(s.reduction, s.span, s.args, spec.params);
    switch (spec.kind) {
      case 'group': {
        const names = values.map((v) => formatExpr(v.expr));
        const groupColumns = values.map((v) => ({ name: formatExpr(v.expr), type: v.type }));
        this.scope = { kind: 'groups', keys: names, inner: scope, innerColumns: [...this.columns] };
        this.columns = [...groupColumns, { name: 'count', type: T.number('count') }];
        break;
      }
      case 'aggregate': {
        if (s.reduction === 'distinct' && values.length === 0 && this.columns.filter((c) => c.name !== 'count').length === 0) {
          this.diagnostics.error('BW_ARGUMENT_COUNT', s.span, '`distinct` needs columns to compare: name them, e.g. `distinct(kernel)`, or add columns before it');
        }
        const name = s.reduction === 'count' ? 'count' : s.args.length && s.reduction !== 'distinct' ? `${s.reduction}(${s.args.map((a) => formatExpr(a.value)).join(', ')})` : 'count';
        const own: Column[] =
          s.reduction === 'distinct'
            ? [
                ...(values.length ? values.map((v) => ({ name: formatExpr(v.expr), type: v.type })) : this.columns.filter((c) => c.name !== 'count' && !keys.includes(c.name))),
                { name: 'count', type: T.number('count') },
              ]
            : [{ name, type: s.reduction === 'count' ? T.number('count') : (values[0]?.type ?? T.any) }];
        this.scope = { kind: 'rows' };
        this.columns = [...keyColumns, ...own];
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
    if (!this.columns.some((c) => c.name === name)) this.addColumns([{ name, type }]);
  }

  // ---- arguments ----

  /** Binds positional arguments of reductions and functions to their parameters and checks each. */
  private positionalArguments(callee: string, at: { start: number; end: number }, args: readonly Argument[], params: readonly ParamSpec[]) {
    const checked: { expr: Expr; type: ValueType; param: ParamSpec }[] = [];
    const label = `\`${callee}\``;
    const variadic = params.at(-1)?.variadic === true;
    const required = params.filter((p) => p.required).length;
    const max = variadic ? Infinity : params.length;
    if (args.length < required || args.length > max) {
      this.diagnostics.error('BW_ARGUMENT_COUNT', at, `${label} takes ${arity(required, max)}${params.length ? ` (${params.map((p) => p.name + (p.variadic ? '...' : '')).join(', ')})` : ''}, found ${args.length}` + this.countHint(callee, args));
      for (const a of args) this.expr(a.value);
      return checked;
    }
    args.forEach((a, i) => {
      const param = a.name !== undefined ? params.find((p) => p.name === a.name) : (params[i] ?? (variadic ? params.at(-1) : undefined));
      if (!param) {
        this.diagnostics.error('BW_UNKNOWN_ARGUMENT', a.span, `${label} has no argument \`${a.name}\`: it takes ${params.map((p) => p.name).join(', ') || 'none'}`);
        this.expr(a.value);
        return;
      }
      checked.push({ expr: a.value, type: this.argument(label, param, a.value), param });
    });
    return checked;
  }

  private countHint(callee: string, args: readonly Argument[]): string {
    const first = args[0]?.value;
    if (this.catalogue.functions[callee]?.kind === 'range' && this.catalogue.reductions[callee] && args.length === 1 && first && first.kind !== 'Range') {
      return `; to ${callee} a metric over time, give a window: \`${callee}(${formatExpr(first)}[5m])\``;
    }
    return '';
  }

  /** Named arguments of actions and `rolling`: all named, required ones present, each of its type. */
  private namedArguments(label: string, at: { start: number; end: number }, args: readonly Argument[], params: readonly ParamSpec[]): void {
    let positional = false;
    for (const a of args) {
      if (a.name === undefined) {
        positional = true;
        const hint = params[0] ? `, e.g. \`${params[0].name} = ${clip(formatExpr(a.value))}\`` : '';
        this.diagnostics.error('BW_NAMED_ARGUMENTS_ONLY', a.span, `${label} takes named arguments only${hint}`);
        this.expr(a.value);
        continue;
      }
      const param = params.find((p) => p.name === a.name);
      if (!param) {
        const suggestion = closest(a.name, params.map((p) => p.name));
        this.diagnostics.error(
          'BW_UNKNOWN_ARGUMENT',
          a.span,
          `${label} has no argument \`${a.name}\`: expected ${params.map((p) => `\`${p.name}\``).join(', ') || 'no arguments'}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
          suggestion,
        );
        this.expr(a.value);
        continue;
      }
      this.argument(label, param, a.value);
    }
    // A positional argument was most likely meant for a required one: one message is enough.
    if (positional) return;
    for (const p of params) {
      if (p.required && !args.some((a) => a.name === p.name)) {
        this.diagnostics.error('BW_MISSING_ARGUMENT', at, `${label} needs argument \`${p.name}\` (${PARAM_TYPE_NAMES[p.type]})`);
      }
    }
  }

  /** Checks one argument against its parameter; returns the argument's type. `label` names the callee as it reads in messages. */
  private argument(label: string, param: ParamSpec, e: Expr): ValueType {
    const at = `\`${param.name}\` of ${label}`;
    if (param.type === 'command') {
      if (e.kind !== 'Command') {
        this.diagnostics.error('BW_TYPE_MISMATCH', e.span, `${at} expects a command in backticks, e.g. \`test -w /\`, found ${describeType(this.expr(e))}`);
        return T.any;
      }
      if (e.text.trim() === '') this.diagnostics.error('BW_EMPTY_COMMAND', e.span, 'empty command: expected a shell command between the backticks');
      return T.command;
    }
    if (param.type === 'sortkey') {
      const inner = e.kind === 'Unary' && e.op === '-' ? e.operand : e;
      const t = this.expr(inner);
      if (isRange(t)) this.rangeAsInstant(inner);
      return t;
    }
    const type = this.expr(e);
    const literal = literalNumber(e);
    const mismatch = (expected: string) => this.diagnostics.error('BW_TYPE_MISMATCH', e.span, `${at} expects ${expected}, found ${describeType(type)} \`${clip(formatExpr(e))}\``);
    const bad = (rule: string) => this.diagnostics.error('BW_BAD_VALUE', e.span, `${at} must be ${rule}, found \`${clip(formatExpr(e))}\``);
    switch (param.type) {
      case 'range':
        if (type.t === 'number' && !type.range) {
          const text = clip(formatExpr(e));
          const callee = label.replace(/`/g, '');
          this.diagnostics.error(
            'BW_RANGE_ON_INSTANT',
            e.span,
            `${label} needs a range such as \`${text}[5m]\`, found the instant value \`${text}\`` +
              (this.catalogue.reductions[callee] ? `; to ${callee} across resources, make it a stage: \`| ${callee}(${text})\`` : ''),
          );
        } else if (type.t !== 'any' && !isRange(type)) mismatch('a metric over a window, e.g. `cpu_usage[5m]`');
        return type;
      case 'condition':
        if (isRange(type)) this.rangeAsInstant(e);
        else if (!isBool(type)) mismatch('a condition (true/false), e.g. `cpu_usage > 40`');
        return type;
      case 'bool':
        if (!isBool(type)) mismatch('true/false');
        return type;
      case 'string':
        if (!isString(type)) mismatch('a string');
        return type;
      case 'duration':
        if (!isNumber(type) || (type.t === 'number' && type.dim !== 'seconds' && type.dim !== 'none')) mismatch('a duration such as `30s`');
        else if (literal !== undefined && (literal < 0 || (literal === 0 && !param.allowZero))) bad(param.allowZero ? 'a duration of 0s or more' : 'a duration longer than 0s');
        return type;
      case 'fraction':
        if (!isNumber(type)) mismatch('a number from 0 to 1');
        else if (literal !== undefined && (literal < 0 || literal > 1)) bad('a number from 0 to 1');
        return type;
      case 'integer':
        if (literal === undefined || !Number.isInteger(literal) || literal < 1 || (e.kind === 'Number' && e.unit !== undefined)) bad('a whole number of at least 1');
        return type;
      case 'batch':
        if (e.kind === 'Number' && e.unit === '%') {
          if (e.value <= 0 || e.value > 100) bad('a share greater than 0% and at most 100%');
        } else if (literal === undefined || !Number.isInteger(literal) || literal < 1 || (e.kind === 'Number' && e.unit !== undefined)) {
          bad('a whole number of at least 1, or a share such as `25%`');
        }
        return type;
      case 'number':
        if (!isNumber(type)) mismatch('a number');
        else if (type.t === 'number' && type.dim !== 'none' && type.dim !== 'count') mismatch('a plain number');
        return type;
      case 'numeric':
        if (isRange(type)) this.rangeAsInstant(e);
        else if (!isNumber(type)) mismatch('a number, e.g. a metric such as `cpu_usage`');
        return type;
      case 'column':
        if (isRange(type)) this.rangeAsInstant(e);
        return type;
    }
  }

  // ---- expressions ----

  private expr(e: Expr): ValueType {
    return visitExpr(this.typers, e);
  }

  private readonly typers: ExprVisitor<ValueType> = {
    Number: (n) => T.number(n.unit === undefined ? 'none' : unitDimension(n.unit)),
    String: () => T.string,
    Bool: () => T.bool,
    List: (n) => {
      const types = n.items.map((i) => this.expr(i));
      const first = types.find((t) => t.t !== 'any');
      n.items.forEach((item, i) => {
        const t = types[i] as ValueType;
        if (first && t.t !== 'any' && t.t !== first.t) {
          this.diagnostics.error('BW_TYPE_MISMATCH', item.span, `list items must all be of one type: expected ${describeType(first)}, found ${describeType(t)}`);
        }
      });
      return { t: 'list', of: first ?? T.any };
    },
    Ident: (n) => this.identifier(n),
    Selector: (n) => this.selector(n),
    Range: (n) => {
      const known = n.target.kind === 'Ident' ? this.resolveName(n.target) : undefined;
      if (known && known.kind !== 'metric') {
        this.bindings.set(n.target, known);
        this.diagnostics.error('BW_RANGE_NOT_ON_METRIC', n.span, `a range window needs a metric, found the ${known.kind} \`${n.target.name}\``);
        return T.any;
      }
      const inner = n.target.kind === 'Selector' ? this.selector(n.target) : this.identifier(n.target, true);
      if (inner.t === 'any') return T.any;
      if (inner.t !== 'number' || this.bindings.get(n.target)?.kind !== 'metric') {
        this.diagnostics.error('BW_RANGE_NOT_ON_METRIC', n.span, `a range window needs a metric, found ${describeType(inner)} \`${formatExpr(n.target)}\``);
        return T.any;
      }
      return { t: 'number', dim: inner.dim, range: true };
    },
    Command: (n) => {
      this.diagnostics.error('BW_TYPE_MISMATCH', n.span, 'a command here must be a stage of its own, or the argument of `ok(...)` or `number(...)`');
      return T.any;
    },
    Call: (n) => this.call(n),
    Unary: (n) => {
      const t = this.expr(n.operand);
      if (isRange(t)) {
        this.rangeAsInstant(n.operand);
        return T.any;
      }
      if (n.op === 'not') {
        if (!isBool(t)) this.diagnostics.error('BW_TYPE_MISMATCH', n.operand.span, `\`not\` expects a condition (true/false), found ${describeType(t)}`);
        return T.bool;
      }
      if (!isNumber(t)) this.diagnostics.error('BW_TYPE_MISMATCH', n.operand.span, `\`-\` expects a number, found ${describeType(t)}`);
      return t.t === 'number' ? t : T.number();
    },
    Binary: (n) => this.binary(n),
    Error: () => T.any,
  };

  private call(n: Call): ValueType {
    const spec = this.catalogue.functions[n.callee];
    if (!spec) {
      const suggestion = closest(n.callee, Object.keys(this.catalogue.functions));
      this.diagnostics.error(
        this.catalogue.actions[n.callee] ? 'BW_TYPE_MISMATCH' : 'BW_UNKNOWN_FUNCTION',
        n.calleeSpan,
        this.catalogue.actions[n.callee]
          ? `action \`${n.callee}\` can only be a stage of its own (\`| ${n.callee}(...)\`), not part of an expression`
          : `unknown function \`${n.callee}\`` + (suggestion ? `; did you mean \`${suggestion}\`?` : `: expected one of ${Object.keys(this.catalogue.functions).join(', ')}`),
        suggestion,
      );
      for (const a of n.args) this.expr(a.value);
      return T.any;
    }
    if (this.scope.kind === 'events' || this.scope.kind === 'rows') {
      this.diagnostics.error('BW_UNKNOWN_FUNCTION', n.calleeSpan, `\`${n.callee}\` needs resources, but the rows here are ${describeScope(this.scope)}`);
    }
    const args = this.positionalArguments(n.callee, n.span, n.args, spec.params);
    const rangeArg = args.find((a) => a.param.type === 'range')?.type;
    switch (spec.returns) {
      case 'bool':
        return T.bool;
      case 'number':
        return T.number();
      case 'seconds':
        return T.number('seconds');
      case 'same':
        return rangeArg && rangeArg.t === 'number' ? T.number(rangeArg.dim) : T.number();
      case 'rate':
        return T.number(rangeArg && dimOf(rangeArg) === 'bytes' ? 'bytes_per_second' : 'none');
    }
  }

  private binary(n: Binary): ValueType {
    const left = this.expr(n.left);
    const right = this.expr(n.right);
    for (const [side, t] of [
      [n.left, left],
      [n.right, right],
    ] as const) {
      if (isRange(t)) {
        this.rangeAsInstant(side);
        return n.op === 'and' || n.op === 'or' || isComparison(n.op) ? T.bool : T.any;
      }
    }
    switch (n.op) {
      case 'and':
      case 'or':
        for (const [side, t] of [
          [n.left, left],
          [n.right, right],
        ] as const) {
          if (!isBool(t)) this.diagnostics.error('BW_TYPE_MISMATCH', side.span, `\`${n.op}\` joins conditions (true/false), found ${describeType(t)} \`${clip(formatExpr(side))}\``);
        }
        return T.bool;
      case '=~':
      case '!~':
        if (!isString(left)) this.mismatch(n, left, right, 'regex match `=~` compares a string attribute or tag with a pattern');
        else if (n.right.kind !== 'String') this.diagnostics.error('BW_TYPE_MISMATCH', n.right.span, `expected a pattern in quotes after \`${n.op}\`, found ${describeType(right)}`);
        else this.regex(n.right.value, n.right.span);
        return T.bool;
      case 'in':
      case 'not in':
        if (right.t !== 'list' && right.t !== 'any') {
          this.diagnostics.error('BW_TYPE_MISMATCH', n.right.span, `expected a list such as ["a", "b"] after \`${n.op}\`, found ${describeType(right)}`);
        } else if (right.t === 'list' && !sameKind(left, right.of)) {
          this.diagnostics.error('BW_TYPE_MISMATCH', n.opSpan, `cannot look for ${describeType(left)} \`${clip(formatExpr(n.left))}\` in a list of ${describeType(right.of).replace(/^an? /, '')}s: the items must be of the same type`);
        }
        return T.bool;
      case '=':
      case '!=':
        if (!sameKind(left, right)) this.mismatch(n, left, right, 'both sides must be of one type');
        else this.units(n, left, right);
        this.eventType(n);
        return T.bool;
      case '>':
      case '>=':
      case '<':
      case '<=':
        if (!isNumber(left) || !isNumber(right)) this.mismatch(n, left, right, `\`${n.op}\` compares numbers`);
        else this.units(n, left, right);
        return T.bool;
      case '+':
      case '-':
      case '*':
      case '/': {
        if (!isNumber(left) || !isNumber(right)) {
          this.mismatch(n, left, right, `\`${n.op}\` works on numbers`);
          return T.any;
        }
        if (n.op === '+' || n.op === '-') this.units(n, left, right);
        const l = dimOf(left);
        const r = dimOf(right);
        const dim = n.op === '/' && l === r ? 'none' : l === 'none' || l === 'count' ? (n.op === '/' ? 'none' : r) : l;
        return T.number(dim);
      }
    }
  }

  /** A comparison of two mismatched sides; names an unknown metric when a tag was compared with a number. */
  private mismatch(n: Binary, left: ValueType, right: ValueType, rule: string): void {
    for (const [side, mine, other] of [
      [n.left, left, right],
      [n.right, right, left],
    ] as const) {
      if (side.kind === 'Ident' && this.bindings.get(side)?.kind === 'tag' && other.t === 'number') {
        this.unknownMetric(side, 'tags are strings and cannot be compared with a number');
        return;
      }
      void mine;
    }
    const verb = ARITHMETIC_VERBS[n.op] ?? 'compare';
    this.diagnostics.error(
      'BW_TYPE_MISMATCH',
      n.opSpan,
      `cannot ${verb} ${describeType(left)} \`${clip(formatExpr(n.left))}\` ${verb === 'compare' ? 'with' : 'and'} ${describeType(right)} \`${clip(formatExpr(n.right))}\`: ${rule}`,
    );
  }

  private units(n: Binary, left: ValueType, right: ValueType): void {
    const l = dimOf(left);
    const r = dimOf(right);
    if (left.t === 'number' && right.t === 'number' && !compatible(l, r)) {
      this.diagnostics.error(
        'BW_UNIT_MISMATCH',
        n.opSpan,
        `cannot ${ARITHMETIC_VERBS[n.op] ?? 'compare'} ${DIMENSION_NAMES[l]} \`${clip(formatExpr(n.left))}\` with ${DIMENSION_NAMES[r]} \`${clip(formatExpr(n.right))}\``,
      );
    }
  }

  /** `type = "alarm_fird"` would match nothing, forever: name the event types instead. */
  private eventType(n: Binary): void {
    if (n.left.kind !== 'Ident' || n.right.kind !== 'String' || this.bindings.get(n.left)?.kind !== 'field' || n.left.name !== 'type') return;
    const value = n.right.value;
    if (this.catalogue.eventTypes.includes(value)) return;
    const suggestion = closest(value, this.catalogue.eventTypes);
    this.diagnostics.error(
      'BW_BAD_VALUE',
      n.right.span,
      `unknown event type "${value}"` + (suggestion ? `; did you mean "${suggestion}"?` : `: expected one of ${this.catalogue.eventTypes.join(', ')}`),
      suggestion === undefined ? undefined : JSON.stringify(suggestion),
    );
  }

  private regex(pattern: string, at: { start: number; end: number }): void {
    try {
      new RegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(err);
      this.diagnostics.error('BW_BAD_REGEX', at, `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    }
  }

  // ---- names ----

  /** Looks a bare name up without reporting: metric, attribute, column, or event field. */
  private resolveName(n: Identifier): Binding | undefined {
    const scope = this.scope;
    const column = this.columns.find((c) => c.name === n.name);
    if (scope.kind === 'resource') {
      const metric = findMetric(this.catalogue, scope.resource, n.name);
      if (metric) return { kind: 'metric', resource: scope.resource, spec: metric };
      const attribute = findAttribute(this.catalogue, scope.resource, n.name);
      if (attribute) return { kind: 'attribute', resource: scope.resource, spec: attribute };
    }
    if (column) return { kind: 'column', name: column.name };
    if (scope.kind === 'events') {
      const field = this.catalogue.eventFields.find((f) => f.name === n.name);
      if (field) return { kind: 'field', spec: field };
    }
    return undefined;
  }

  private identifier(n: Identifier, mustBeMetric = false): ValueType {
    const scope = this.scope;
    const found = this.resolveName(n);
    if (found && (!mustBeMetric || found.kind === 'metric')) {
      this.bindings.set(n, found);
      return bindingType(found, this.columns);
    }
    if (scope.kind === 'unknown') return T.any;
    if (mustBeMetric && scope.kind === 'resource') {
      this.unknownMetric(n);
      return T.any;
    }
    if (scope.kind === 'events') {
      const suggestion = closest(n.name, this.catalogue.eventFields.map((f) => f.name));
      this.diagnostics.error(
        'BW_UNKNOWN_FIELD',
        n.span,
        `events have no field \`${n.name}\`` + (suggestion ? `; did you mean \`${suggestion}\`?` : `: expected one of ${this.catalogue.eventFields.map((f) => f.name).join(', ')}`),
        suggestion,
      );
      return T.any;
    }
    if (scope.kind === 'rows' || scope.kind === 'groups') {
      const names = this.columns.map((c) => c.name);
      const suggestion = closest(n.name, names);
      this.diagnostics.error(
        'BW_UNKNOWN_COLUMN',
        n.span,
        `\`${n.name}\` is not a column here: after a reduction the rows have ${names.map((c) => `\`${c}\``).join(', ') || 'no columns'}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
        suggestion,
      );
      return T.any;
    }
    const suggestion = closest(n.name, this.knownNames(scope.resource));
    if (suggestion) this.misspelt.set(n, { suggestion, resource: scope.resource });
    this.bindings.set(n, { kind: 'tag' });
    return T.string;
  }

  private selector(n: Selector): ValueType {
    const scope = this.scope;
    if (scope.kind !== 'resource') {
      if (scope.kind !== 'unknown') this.diagnostics.error('BW_UNKNOWN_METRIC', n.span, `metrics need resources, but the rows here are ${describeScope(scope)}`);
      return T.any;
    }
    const metric = findMetric(this.catalogue, scope.resource, n.name);
    if (!metric) {
      this.unknownMetric(n);
      return T.any;
    }
    this.bindings.set(n, { kind: 'metric', resource: scope.resource, spec: metric });
    for (const l of n.labels) {
      if (!metric.labels.includes(l.name)) {
        const suggestion = closest(l.name, metric.labels);
        this.diagnostics.error(
          'BW_UNKNOWN_LABEL',
          l.span,
          `metric \`${n.name}\` has no label \`${l.name}\`` + (metric.labels.length ? `: expected ${metric.labels.map((x) => `\`${x}\``).join(', ')}` : ': it has no labels') + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
          suggestion,
        );
      } else if (l.op === '=~' || l.op === '!~') {
        this.regex(l.value, l.valueSpan);
      }
    }
    return T.number(metric.dim);
  }

  private unknownMetric(n: Identifier | Selector, why?: string): void {
    if (n.kind === 'Ident') this.misspelt.delete(n);
    const scope = this.scope;
    if (scope.kind !== 'resource') return;
    const names = this.catalogue.resources[scope.resource].metrics.map((x) => x.name);
    const suggestion = closest(n.name, names);
    const elsewhere = RESOURCE_TYPES.filter((r) => r !== scope.resource && findMetric(this.catalogue, r, n.name));
    this.diagnostics.error(
      'BW_UNKNOWN_METRIC',
      n.kind === 'Selector' ? { start: n.span.start, end: n.span.start + n.name.length } : n.span,
      `unknown metric \`${n.name}\` for ${scope.resource}` +
        (suggestion
          ? `; did you mean \`${suggestion}\`?`
          : elsewhere.length
            ? `; it is a metric of ${elsewhere.join(', ')}: traverse first, e.g. \`| ${elsewhere[0]} |\``
            : why
              ? ` (${why})`
              : ''),
      suggestion,
    );
  }

  private knownNames(resource: ResourceTypeName): string[] {
    const spec = this.catalogue.resources[resource];
    return [...spec.metrics.map((x) => x.name), ...spec.attributes.map((x) => x.name)];
  }

  // ---- helpers ----

  private effect(at: { start: number; end: number }, what: string): void {
    const scope = this.scope;
    if (scope.kind === 'events' || scope.kind === 'rows' || scope.kind === 'groups') {
      const hint = scope.kind === 'events' ? '' : ': move it before the reduction';
      this.diagnostics.error('BW_NOT_ON_RESOURCES', at, `${what} runs on resources, but the rows here are ${describeScope(scope)}${hint}`);
    }
  }

  /** Reports a stage that cannot follow group_by; true when it did. */
  private afterGroupBy(at: { start: number; end: number }, what: string): boolean {
    if (this.scope.kind !== 'groups') return false;
    this.diagnostics.error('BW_AFTER_GROUP_BY', at, `expected an aggregation (count, sum, avg, min, max, distinct) after group_by, found ${what}`);
    return true;
  }

  private rangeAsInstant(e: Expr): void {
    const text = clip(formatExpr(e));
    this.diagnostics.error('BW_RANGE_AS_INSTANT', e.span, `\`${text}\` is a range of samples, but one value is needed here: reduce it first, e.g. \`avg(${text})\``);
  }

  private addColumns(cols: readonly Column[]): void {
    for (const c of cols) {
      const i = this.columns.findIndex((x) => x.name === c.name);
      if (i >= 0) this.columns[i] = c;
      else this.columns.push(c);
    }
  }
}

function actionParam(p: ActionParamSpec): ParamSpec {
  return { name: p.name, type: p.type, required: p.required, description: p.description ?? p.type, ...(p.default === undefined ? {} : { default: p.default }) };
}

function bindingType(b: Binding, columns: readonly Column[]): ValueType {
  switch (b.kind) {
    case 'metric':
      return T.number(b.spec.dim);
    case 'attribute':
      return b.spec.type === 'number' ? T.number(b.spec.dim ?? 'none') : T.string;
    case 'field':
      return b.spec.type === 'number' ? T.number(b.spec.dim ?? 'none') : T.string;
    case 'column':
      return columns.find((c) => c.name === b.name)?.type ?? T.any;
    case 'tag':
      return T.string;
  }
}

function unitDimension(unit: string): Dimension {
  if (['ms', 's', 'm', 'h', 'd', 'w'].includes(unit)) return 'seconds';
  if (unit === '%') return 'percent';
  return unit.endsWith('B') ? 'bytes' : 'none';
}

function sameKind(a: ValueType, b: ValueType): boolean {
  if (a.t === 'any' || b.t === 'any') return true;
  return a.t === b.t;
}

function isComparison(op: string): boolean {
  return !['+', '-', '*', '/', 'and', 'or'].includes(op);
}

function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'resource':
      return `${scope.resource} resources`;
    case 'events':
      return 'events';
    case 'groups':
      return `groups by ${scope.keys.join(', ')}`;
    case 'rows':
      return 'aggregated rows';
    case 'unknown':
      return 'unknown rows';
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

/** How arithmetic reads in "cannot add a string to ..." messages; comparisons say "compare". */
const ARITHMETIC_VERBS: Readonly<Record<string, string>> = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' };

const PARAM_TYPE_NAMES: Readonly<Record<ParamSpec['type'], string>> = {
  number: 'a number',
  integer: 'a whole number',
  fraction: 'a number from 0 to 1',
  duration: 'a duration such as `30s`',
  string: 'a string',
  bool: 'true/false',
  command: 'a command in backticks',
  range: 'a metric over a window',
  condition: 'a condition',
  column: 'a column',
  numeric: 'a numeric column',
  sortkey: 'a column',
  batch: 'a count or a share such as `25%`',
};

function arity(required: number, max: number): string {
  if (max === 0) return 'no arguments';
  const n = required === max ? `${required}` : max === Infinity ? `at least ${required}` : `${required} to ${max}`;
  return `${n} argument${n.endsWith(' 1') || n === '1' ? '' : 's'}`;
}

/** The value of a number literal, negated ones included (`-0.5`); undefined for anything else. */
function literalNumber(e: Expr): number | undefined {
  if (e.kind === 'Number') return e.value;
  if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Number') return -e.operand.value;
  return undefined;
}

/** Kinds that say nothing about a resource: literals, and lists and operators over them. */
const CONSTANT_KINDS: ReadonlySet<Expr['kind']> = new Set(['Number', 'String', 'Bool', 'List', 'Unary', 'Binary']);

/** Whether an expression refers to nothing about the resource: literals only. */
function isConstant(e: Expr): boolean {
  return exprTree.every(e, (n) => CONSTANT_KINDS.has(n.kind));
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
