import type { Argument, Call, Expr } from './ast.js';
import type { ActionParamSpec, ParamSpec } from './catalogue.js';
import type { CheckContext } from './check-context.js';
import { clip, describeScope, dimOf, isBool, isNumber, isRange, isString } from './check-context.js';
import { formatExpr } from './format.js';
import { closest } from './suggest.js';
import type { ValueType } from './types.js';
import { T, describeType } from './types.js';

/**
 * Function calls in expressions, and the arguments of every callee: the
 * positional ones of functions and reductions, the named ones of actions and
 * `rolling`, each checked against its parameter.
 */
export class CallChecker {
  constructor(
    private readonly cx: CheckContext,
    /** Types an argument's expression; the expression checker that owns this one. */
    private readonly expr: (e: Expr) => ValueType,
  ) {}

  /** The type a function call returns, after checking the function exists here and its arguments. */
  call(n: Call): ValueType {
    const spec = this.cx.catalogue.functions[n.callee];
    if (!spec) {
      const suggestion = closest(n.callee, Object.keys(this.cx.catalogue.functions));
      this.cx.diagnostics.error(
        this.cx.catalogue.actions[n.callee] ? 'BW_TYPE_MISMATCH' : 'BW_UNKNOWN_FUNCTION',
        n.calleeSpan,
        this.cx.catalogue.actions[n.callee]
          ? `action \`${n.callee}\` can only be a stage of its own (\`| ${n.callee}(...)\`), not part of an expression`
          : `unknown function \`${n.callee}\`` + (suggestion ? `; did you mean \`${suggestion}\`?` : `: expected one of ${Object.keys(this.cx.catalogue.functions).join(', ')}`),
        suggestion,
      );
      for (const a of n.args) this.expr(a.value);
      return T.any;
    }
    if (this.cx.scope.kind === 'events' || this.cx.scope.kind === 'rows') {
      this.cx.diagnostics.error('BW_UNKNOWN_FUNCTION', n.calleeSpan, `\`${n.callee}\` needs resources, but the rows here are ${describeScope(this.cx.scope)}`);
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

  /** Binds positional arguments of reductions and functions to their parameters and checks each. */
  positionalArguments(callee: string, at: { start: number; end: number }, args: readonly Argument[], params: readonly ParamSpec[]) {
    const checked: { expr: Expr; type: ValueType; param: ParamSpec }[] = [];
    const label = `\`${callee}\``;
    const variadic = params.at(-1)?.variadic === true;
    const required = params.filter((p) => p.required).length;
    const max = variadic ? Infinity : params.length;
    if (args.length < required || args.length > max) {
      this.cx.diagnostics.error('BW_ARGUMENT_COUNT', at, `${label} takes ${arity(required, max)}${params.length ? ` (${params.map((p) => p.name + (p.variadic ? '...' : '')).join(', ')})` : ''}, found ${args.length}` + this.countHint(callee, args));
      for (const a of args) this.expr(a.value);
      return checked;
    }
    args.forEach((a, i) => {
      const param = a.name !== undefined ? params.find((p) => p.name === a.name) : (params[i] ?? (variadic ? params.at(-1) : undefined));
      if (!param) {
        this.cx.diagnostics.error('BW_UNKNOWN_ARGUMENT', a.span, `${label} has no argument \`${a.name}\`: it takes ${params.map((p) => p.name).join(', ') || 'none'}`);
        this.expr(a.value);
        return;
      }
      checked.push({ expr: a.value, type: this.argument(label, param, a.value), param });
    });
    return checked;
  }

  private countHint(callee: string, args: readonly Argument[]): string {
    const first = args[0]?.value;
    if (this.cx.catalogue.functions[callee]?.kind === 'range' && this.cx.catalogue.reductions[callee] && args.length === 1 && first && first.kind !== 'Range') {
      return `; to ${callee} a metric over time, give a window: \`${callee}(${formatExpr(first)}[5m])\``;
    }
    return '';
  }

  /** Named arguments of actions and `rolling`: all named, required ones present, each of its type. */
  namedArguments(label: string, at: { start: number; end: number }, args: readonly Argument[], params: readonly ParamSpec[]): void {
    let positional = false;
    for (const a of args) {
      if (a.name === undefined) {
        positional = true;
        const hint = params[0] ? `, e.g. \`${params[0].name} = ${clip(formatExpr(a.value))}\`` : '';
        this.cx.diagnostics.error('BW_NAMED_ARGUMENTS_ONLY', a.span, `${label} takes named arguments only${hint}`);
        this.expr(a.value);
        continue;
      }
      const param = params.find((p) => p.name === a.name);
      if (!param) {
        const suggestion = closest(a.name, params.map((p) => p.name));
        this.cx.diagnostics.error(
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
        this.cx.diagnostics.error('BW_MISSING_ARGUMENT', at, `${label} needs argument \`${p.name}\` (${PARAM_TYPE_NAMES[p.type]})`);
      }
    }
  }

  /** Checks one argument against its parameter; returns the argument's type. `label` names the callee as it reads in messages. */
  private argument(label: string, param: ParamSpec, e: Expr): ValueType {
    const at = `\`${param.name}\` of ${label}`;
    if (param.type === 'command') {
      if (e.kind !== 'Command') {
        this.cx.diagnostics.error('BW_TYPE_MISMATCH', e.span, `${at} expects a command in backticks, e.g. \`test -w /\`, found ${describeType(this.expr(e))}`);
        return T.any;
      }
      if (e.text.trim() === '') this.cx.diagnostics.error('BW_EMPTY_COMMAND', e.span, 'empty command: expected a shell command between the backticks');
      return T.command;
    }
    if (param.type === 'sortkey') {
      const inner = e.kind === 'Unary' && e.op === '-' ? e.operand : e;
      const t = this.expr(inner);
      if (isRange(t)) this.cx.rangeAsInstant(inner);
      return t;
    }
    if (param.type === 'word') return checkWord(this.cx, at, param.words ?? [], e);
    const type = this.expr(e);
    const literal = literalNumber(e);
    const mismatch = (expected: string) => this.cx.diagnostics.error('BW_TYPE_MISMATCH', e.span, `${at} expects ${expected}, found ${describeType(type)} \`${clip(formatExpr(e))}\``);
    const bad = (rule: string) => this.cx.diagnostics.error('BW_BAD_VALUE', e.span, `${at} must be ${rule}, found \`${clip(formatExpr(e))}\``);
    switch (param.type) {
      case 'condition':
      case 'bool':
      case 'string':
      case 'numeric':
      case 'column': {
        const rule = TYPE_RULES[param.type];
        if (rule.oneValue && isRange(type)) this.cx.rangeAsInstant(e);
        else if (!rule.accepts(type)) mismatch(rule.expected);
        return type;
      }
      case 'range':
        if (type.t === 'number' && !type.range) {
          const text = clip(formatExpr(e));
          const callee = label.replace(/`/g, '');
          // A number is no metric: `4h[5m]` would be no help (arguments in the wrong order, say).
          const example = e.kind === 'Number' ? 'cpu_usage[5m]' : `${text}[5m]`;
          this.cx.diagnostics.error(
            'BW_RANGE_ON_INSTANT',
            e.span,
            `${label} needs a range such as \`${example}\`, found the instant value \`${text}\`` +
              (this.cx.catalogue.reductions[callee] ? `; to ${callee} across resources, make it a stage: \`| ${callee}(${text})\`` : ''),
          );
        } else if (type.t !== 'any' && !isRange(type)) mismatch('a metric over a window, e.g. `cpu_usage[5m]`');
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
      case 'errors':
        if (e.kind === 'Number' && e.unit === '%') {
          if (e.value < 0 || e.value > 100) bad('a share from 0% to 100%');
        } else if (literal === undefined || !Number.isInteger(literal) || literal < 0 || (e.kind === 'Number' && e.unit !== undefined)) {
          bad('a whole number of 0 or more, or a share such as `10%`');
        }
        return type;
      case 'number':
        if (!isNumber(type)) mismatch('a number');
        else if (type.t === 'number' && type.dim !== 'none' && type.dim !== 'count') mismatch('a plain number');
        return type;
    }
  }
}

/**
 * Parameters checked by their argument's type alone: whether it must be one
 * value rather than a range of samples, which types it takes, and how the
 * message names what was expected.
 */
/**
 * A `word` argument: one of the parameter's bare words (`ramp = exponential`), never a column.
 * Anything else is a BW_BAD_VALUE naming the words, with the nearest as the suggestion.
 */
function checkWord(cx: CheckContext, at: string, words: readonly string[], e: Expr): ValueType {
  const found = e.kind === 'Ident' ? e.name : e.kind === 'String' ? e.value : undefined;
  if (found !== undefined && words.includes(found)) return T.string;
  const suggestion = found === undefined ? undefined : closest(found, words);
  cx.diagnostics.error(
    'BW_BAD_VALUE',
    e.span,
    `${at} must be one of ${words.map((w) => `\`${w}\``).join(', ')}, found \`${clip(formatExpr(e))}\`` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
    suggestion,
  );
  return T.any;
}

const TYPE_RULES: Readonly<Record<'condition' | 'bool' | 'string' | 'numeric' | 'column', { oneValue: boolean; accepts: (t: ValueType) => boolean; expected: string }>> = {
  condition: { oneValue: true, accepts: isBool, expected: 'a condition (true/false), e.g. `cpu_usage > 40`' },
  bool: { oneValue: false, accepts: isBool, expected: 'true/false' },
  string: { oneValue: false, accepts: isString, expected: 'a string' },
  numeric: { oneValue: true, accepts: isNumber, expected: 'a number, e.g. a metric such as `cpu_usage`' },
  // Any single value makes a column.
  column: { oneValue: true, accepts: () => true, expected: 'a column' },
};

/** An action's parameter as the argument checks read it. */
export function actionParam(p: ActionParamSpec): ParamSpec {
  return { name: p.name, type: p.type, required: p.required, description: p.description ?? p.type, ...(p.default === undefined ? {} : { default: p.default }) };
}

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
  errors: 'a count or a share such as `10%`',
  word: 'a word',
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
