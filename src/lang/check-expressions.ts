import type { Binary, Expr } from './ast.js';
import { CallChecker } from './check-calls.js';
import type { CheckContext } from './check-context.js';
import { clip, dimOf, isBool, isNumber, isRange, isString } from './check-context.js';
import { formatExpr } from './format.js';
import { closest } from './suggest.js';
import type { ValueType } from './types.js';
import { T, describeType } from './types.js';
import type { Dimension } from './units.js';
import { DIMENSION_NAMES, compatible } from './units.js';
import type { ExprVisitor } from './visit.js';
import { visitExpr } from './visit.js';

/** Types expressions, reporting mismatched types and units, bad patterns and unknown event types. */
export class ExpressionChecker {
  /** Checks the calls inside expressions, and the arguments the stages pass. */
  readonly calls: CallChecker;

  constructor(private readonly cx: CheckContext) {
    this.calls = new CallChecker(cx, (e) => this.expr(e));
  }

  /** The type of an expression; reports what is wrong inside it and records the names it binds. */
  expr(e: Expr): ValueType {
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
          this.cx.diagnostics.error('BW_TYPE_MISMATCH', item.span, `list items must all be of one type: expected ${describeType(first)}, found ${describeType(t)}`);
        }
      });
      return { t: 'list', of: first ?? T.any };
    },
    Ident: (n) => this.cx.identifier(n),
    Selector: (n) => this.cx.selector(n),
    Range: (n) => {
      const known = n.target.kind === 'Ident' ? this.cx.resolveName(n.target) : undefined;
      if (known && known.kind !== 'metric') {
        this.cx.bindings.set(n.target, known);
        this.cx.diagnostics.error('BW_RANGE_NOT_ON_METRIC', n.span, `a range window needs a metric, found the ${known.kind} \`${n.target.name}\``);
        return T.any;
      }
      const inner = n.target.kind === 'Selector' ? this.cx.selector(n.target) : this.cx.identifier(n.target, true);
      if (inner.t === 'any') return T.any;
      if (inner.t !== 'number' || this.cx.bindings.get(n.target)?.kind !== 'metric') {
        this.cx.diagnostics.error('BW_RANGE_NOT_ON_METRIC', n.span, `a range window needs a metric, found ${describeType(inner)} \`${formatExpr(n.target)}\``);
        return T.any;
      }
      return { t: 'number', dim: inner.dim, range: true };
    },
    Command: (n) => {
      this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.span, 'a command here must be a stage of its own, or the argument of `ok(...)` or `number(...)`');
      return T.any;
    },
    Call: (n) => this.calls.call(n),
    Unary: (n) => {
      const t = this.expr(n.operand);
      if (isRange(t)) {
        this.cx.rangeAsInstant(n.operand);
        return T.any;
      }
      if (n.op === 'not') {
        if (!isBool(t)) this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.operand.span, `\`not\` expects a condition (true/false), found ${describeType(t)}`);
        return T.bool;
      }
      if (!isNumber(t)) this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.operand.span, `\`-\` expects a number, found ${describeType(t)}`);
      return t.t === 'number' ? t : T.number();
    },
    Binary: (n) => this.binary(n),
    Error: () => T.any,
  };

  private binary(n: Binary): ValueType {
    const left = this.expr(n.left);
    const right = this.expr(n.right);
    for (const [side, t] of [
      [n.left, left],
      [n.right, right],
    ] as const) {
      if (isRange(t)) {
        this.cx.rangeAsInstant(side);
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
          if (!isBool(t)) this.cx.diagnostics.error('BW_TYPE_MISMATCH', side.span, `\`${n.op}\` joins conditions (true/false), found ${describeType(t)} \`${clip(formatExpr(side))}\``);
        }
        return T.bool;
      case '=~':
      case '!~':
        if (!isString(left)) this.mismatch(n, left, right, 'regex match `=~` compares a string attribute or tag with a pattern');
        else if (n.right.kind !== 'String') this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.right.span, `expected a pattern in quotes after \`${n.op}\`, found ${describeType(right)}`);
        else this.cx.regex(n.right.value, n.right.span);
        return T.bool;
      case 'in':
      case 'not in':
        if (right.t !== 'list' && right.t !== 'any') {
          this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.right.span, `expected a list such as ["a", "b"] after \`${n.op}\`, found ${describeType(right)}`);
        } else if (right.t === 'list' && !sameKind(left, right.of)) {
          this.cx.diagnostics.error('BW_TYPE_MISMATCH', n.opSpan, `cannot look for ${describeType(left)} \`${clip(formatExpr(n.left))}\` in a list of ${describeType(right.of).replace(/^an? /, '')}s: the items must be of the same type`);
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
    for (const [side, other] of [
      [n.left, right],
      [n.right, left],
    ] as const) {
      if (side.kind === 'Ident' && this.cx.bindings.get(side)?.kind === 'tag' && other.t === 'number') {
        this.cx.unknownMetric(side, 'tags are strings and cannot be compared with a number');
        return;
      }
    }
    const verb = ARITHMETIC_VERBS[n.op] ?? 'compare';
    this.cx.diagnostics.error(
      'BW_TYPE_MISMATCH',
      n.opSpan,
      `cannot ${verb} ${describeType(left)} \`${clip(formatExpr(n.left))}\` ${verb === 'compare' ? 'with' : 'and'} ${describeType(right)} \`${clip(formatExpr(n.right))}\`: ${rule}`,
    );
  }

  private units(n: Binary, left: ValueType, right: ValueType): void {
    const l = dimOf(left);
    const r = dimOf(right);
    if (left.t === 'number' && right.t === 'number' && !compatible(l, r)) {
      this.cx.diagnostics.error(
        'BW_UNIT_MISMATCH',
        n.opSpan,
        `cannot ${ARITHMETIC_VERBS[n.op] ?? 'compare'} ${DIMENSION_NAMES[l]} \`${clip(formatExpr(n.left))}\` with ${DIMENSION_NAMES[r]} \`${clip(formatExpr(n.right))}\``,
      );
    }
  }

  /** `type = "alarm_fird"` would match nothing, forever: name the event types instead. */
  private eventType(n: Binary): void {
    if (n.left.kind !== 'Ident' || n.right.kind !== 'String' || this.cx.bindings.get(n.left)?.kind !== 'field' || n.left.name !== 'type') return;
    const value = n.right.value;
    if (this.cx.catalogue.eventTypes.includes(value)) return;
    const suggestion = closest(value, this.cx.catalogue.eventTypes);
    this.cx.diagnostics.error(
      'BW_BAD_VALUE',
      n.right.span,
      `unknown event type "${value}"` + (suggestion ? `; did you mean "${suggestion}"?` : `: expected one of ${this.cx.catalogue.eventTypes.join(', ')}`),
      suggestion === undefined ? undefined : JSON.stringify(suggestion),
    );
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

/** How arithmetic reads in "cannot add a string to ..." messages; comparisons say "compare". */
const ARITHMETIC_VERBS: Readonly<Record<string, string>> = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' };
