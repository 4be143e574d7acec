import type { Argument, BinaryOp, Expr, Identifier, LabelMatcher, Pipeline, Selector, Stage } from './ast.js';
import { BUILTIN_CATALOGUE, RESOURCE_TYPES } from './catalogue.js';
import type { DiagnosticBag, DiagnosticCode } from './diagnostics.js';
import { lex } from './lexer.js';
import type { Span } from './span.js';
import { cover } from './span.js';
import type { Token, TokenKind } from './tokens.js';
import { describeToken } from './tokens.js';
import { closest } from './suggest.js';
import { exprTree } from './visit.js';

/** Deeper nesting than this is surely not written by a person; stop before the stack does. */
const MAX_DEPTH = 64;
/** Limits that keep every later stage (checker, planner, JSON) linear and shallow. */
const MAX_STAGES = 256;
const MAX_TREE_HEIGHT = 256;
const MAX_ARGUMENTS = 256;

const COMPARISONS: Partial<Record<TokenKind, BinaryOp>> = {
  '=': '=',
  '==': '=',
  '!=': '!=',
  '=~': '=~',
  '!~': '!~',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
};

const LABEL_OPS: Partial<Record<TokenKind, LabelMatcher['op']>> = { '=': '=', '==': '=', '!=': '!=', '=~': '=~', '!~': '!~' };

/**
 * Parses one pipeline statement. Never throws: every problem becomes a
 * diagnostic, the parser skips to the next `|` and carries on, so one run
 * reports the mistakes of every stage.
 *
 * @example
 * const bag = new DiagnosticBag(src);
 * const ast = parse('host | cpu_usage > 80', bag);
 */
export function parse(source: string, diagnostics: DiagnosticBag): Pipeline {
  return new Parser(lex(source, diagnostics), diagnostics).pipeline(source.length);
}

class Parser {
  private pos = 0;
  private depth = 0;
  /** After a parse error in a stage, stay quiet until the next stage: one mistake, one message. */
  private stageFailed = false;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly diagnostics: DiagnosticBag,
  ) {}

  pipeline(length: number): Pipeline {
    const stages: Stage[] = [];
    if (this.peek().kind === 'eof') {
      this.fail('BW_EMPTY_STATEMENT', this.peek().span, 'empty statement: expected a resource type such as `host`, or `events`');
      return { kind: 'Pipeline', span: { start: 0, end: length }, stages };
    }
    for (;;) {
      if (stages.length === MAX_STAGES) {
        const t = this.peek();
        this.stageFailed = false;
        this.fail('BW_TOO_DEEP', { start: t.span.start, end: length }, `a statement has at most ${MAX_STAGES} stages: split it`);
        break;
      }
      stages.push(this.stage());
      const next = this.peek();
      if (next.kind === 'eof') break;
      if (next.kind === '|') {
        this.pos++;
        this.stageFailed = false;
      }
    }
    return { kind: 'Pipeline', span: { start: 0, end: length }, stages };
  }

  private stage(): Stage {
    const first = this.peek();
    if (first.kind === '|' || first.kind === 'eof') {
      const previous = this.tokens[this.pos - 1];
      const message = previous
        ? `empty stage: expected a stage after \`|\`, found ${describeToken(first)}`
        : 'a statement cannot start with `|`: expected a resource type such as `host`, or `events`';
      this.fail('BW_EMPTY_STAGE', first.kind === 'eof' && previous ? previous.span : first.span, message);
      return { kind: 'ErrorStage', span: first.span };
    }
    const expr = this.expression();
    const after = this.peek();
    if (after.kind !== '|' && after.kind !== 'eof') {
      this.fail('BW_UNEXPECTED_TOKEN', after.span, `expected \`|\` or the end of the statement after this stage, found ${describeToken(after)}` + this.hintAfterStage(expr, after));
      while (this.peek().kind !== '|' && this.peek().kind !== 'eof') this.pos++;
      return { kind: 'ErrorStage', span: cover(first.span, this.tokens[this.pos - 1]?.span ?? first.span) };
    }
    const height = treeHeight(expr);
    if (height > MAX_TREE_HEIGHT) {
      this.fail('BW_TOO_DEEP', expr.span, `expression more than ${MAX_TREE_HEIGHT} operations deep (${height}): split it into several stages`);
      return { kind: 'ErrorStage', span: expr.span };
    }
    return classify(expr);
  }

  private hintAfterStage(expr: Expr, after: Token): string {
    if (expr.kind === 'Ident' && (after.kind === 'number' || after.kind === 'string')) {
      const known = [...Object.keys(BUILTIN_CATALOGUE.reductions), ...Object.keys(BUILTIN_CATALOGUE.functions)];
      const name = known.includes(expr.name) ? expr.name : closest(expr.name, known);
      return name ? ` (arguments go in parentheses: \`${name}(${after.text})\`)` : '';
    }
    if (after.kind === 'ident' && expr.kind !== 'Error') return ' (join conditions with `and` or `or`, stages with `|`)';
    if (after.kind === ')') return ' (this `)` has no matching `(`)';
    return '';
  }

  private expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.peek().kind === 'or') {
      const op = this.next();
      left = binary('or', op.span, left, this.and());
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.peek().kind === 'and') {
      const op = this.next();
      left = binary('and', op.span, left, this.not());
    }
    return left;
  }

  private not(): Expr {
    if (this.peek().kind === 'not') {
      const op = this.next();
      const operand = this.nested(() => this.not());
      return { kind: 'Unary', span: cover(op.span, operand.span), op: 'not', operand };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    let op = COMPARISONS[t.kind];
    let opSpan = t.span;
    if (t.kind === 'in') {
      op = 'in';
    } else if (t.kind === 'not' && this.peek(1).kind === 'in') {
      op = 'not in';
      opSpan = cover(t.span, this.peek(1).span);
      this.pos++;
    }
    if (!op) return left;
    this.pos++;
    const right = this.additive();
    const result = binary(op, opSpan, left, right);
    const chained = this.peek();
    if (COMPARISONS[chained.kind] || chained.kind === 'in') {
      this.fail('BW_UNEXPECTED_TOKEN', chained.span, `comparisons cannot be chained: expected \`and\`, \`or\`, \`|\` or the end of the statement, found ${describeToken(chained)}`);
    }
    return result;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let t = this.peek(); t.kind === '+' || t.kind === '-'; t = this.peek()) {
      this.pos++;
      left = binary(t.kind, t.span, left, this.multiplicative());
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (let t = this.peek(); t.kind === '*' || t.kind === '/'; t = this.peek()) {
      this.pos++;
      left = binary(t.kind, t.span, left, this.unary());
    }
    return left;
  }

  private unary(): Expr {
    if (this.peek().kind === '-') {
      const op = this.next();
      const operand = this.nested(() => this.unary());
      return { kind: 'Unary', span: cover(op.span, operand.span), op: '-', operand };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    if (e.kind === 'Ident' && this.peek().kind === '{') e = this.selector(e);
    if (this.peek().kind === '[') {
      const open = this.next();
      const window = this.peek();
      let seconds = 0;
      if (window.kind === 'number' && window.unit !== undefined && isDuration(window.unit)) {
        seconds = window.value as number;
        this.pos++;
        if (seconds <= 0) this.fail('BW_BAD_VALUE', window.span, `a range window must be longer than 0s, found \`${window.text}\``);
      } else if (window.kind === 'number' && window.unit === undefined) {
        this.fail('BW_UNEXPECTED_TOKEN', window.span, `a range window needs a unit: expected a duration such as \`${window.text}s\` or \`${window.text}m\`, found \`${window.text}\``);
        this.pos++;
      } else {
        this.fail('BW_UNEXPECTED_TOKEN', window.span, `expected a duration such as \`5m\` inside \`[...]\`, found ${describeToken(window)}`);
      }
      const close = this.expect(']', open);
      const span = cover(e.span, close);
      if (e.kind !== 'Ident' && e.kind !== 'Selector') {
        this.fail('BW_RANGE_NOT_ON_METRIC', span, 'a range window `[...]` can only follow a metric name, e.g. `cpu_usage[5m]`');
        return { kind: 'Error', span };
      }
      if (seconds > 0) return { kind: 'Range', span, target: e, seconds };
      return { kind: 'Error', span };
    }
    return e;
  }

  private selector(name: Identifier): Selector {
    const open = this.next();
    const labels: LabelMatcher[] = [];
    while (this.peek().kind !== '}' && this.peek().kind !== 'eof' && this.peek().kind !== '|') {
      const label = this.peek();
      if (label.kind !== 'ident') {
        this.fail('BW_UNEXPECTED_TOKEN', label.span, `expected a label name such as \`mount\`, found ${describeToken(label)}`);
        break;
      }
      this.pos++;
      const opToken = this.peek();
      const op = LABEL_OPS[opToken.kind];
      if (!op) {
        this.fail('BW_UNEXPECTED_TOKEN', opToken.span, `expected \`=\`, \`!=\`, \`=~\` or \`!~\` after label \`${label.text}\`, found ${describeToken(opToken)}`);
        break;
      }
      this.pos++;
      const value = this.peek();
      if (value.kind !== 'string') {
        this.fail('BW_UNEXPECTED_TOKEN', value.span, `expected a quoted label value such as "/", found ${describeToken(value)}`);
        break;
      }
      this.pos++;
      labels.push({ span: cover(label.span, value.span), valueSpan: value.span, name: label.text, op, value: value.value as string });
      if (this.peek().kind !== ',') break;
      this.pos++;
    }
    const close = this.expect('}', open);
    return { kind: 'Selector', span: cover(name.span, close), name: name.name, labels };
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.pos++;
        return t.unit === undefined ? { kind: 'Number', span: t.span, value: t.value as number } : { kind: 'Number', span: t.span, value: t.value as number, unit: t.unit };
      case 'string':
        this.pos++;
        return { kind: 'String', span: t.span, value: t.value as string };
      case 'command':
        this.pos++;
        return { kind: 'Command', span: t.span, text: t.value as string };
      case 'true':
      case 'false':
        this.pos++;
        return { kind: 'Bool', span: t.span, value: t.kind === 'true' };
      case 'ident':
        this.pos++;
        if (this.peek().kind === '(') return this.call(t);
        return { kind: 'Ident', span: t.span, name: t.text };
      case '(': {
        this.pos++;
        const inner = this.nested(() => this.expression());
        this.expect(')', t);
        return inner;
      }
      case '[':
        return this.list();
      default:
        this.fail('BW_UNEXPECTED_TOKEN', t.span, `expected a value (a name, number, string, list or command), found ${describeToken(t)}`);
        if (!STOPPERS.has(t.kind)) this.pos++;
        return { kind: 'Error', span: t.span };
    }
  }

  private list(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    while (this.peek().kind !== ']' && !STOPPERS.has(this.peek().kind)) {
      items.push(this.nested(() => this.expression()));
      if (this.peek().kind !== ',') break;
      this.pos++;
    }
    const close = this.expect(']', open);
    return { kind: 'List', span: cover(open.span, close), items };
  }

  private call(callee: Token): Expr {
    const open = this.next();
    const args: Argument[] = [];
    const seen = new Set<string>();
    let named = false;
    while (this.peek().kind !== ')' && !STOPPERS.has(this.peek().kind)) {
      const start = this.peek();
      let name: string | undefined;
      if (start.kind === 'ident' && this.peek(1).kind === '=') {
        name = start.text;
        this.pos += 2;
        if (seen.has(name)) this.fail('BW_DUPLICATE_ARGUMENT', start.span, `argument \`${name}\` is given twice`);
        seen.add(name);
        named = true;
      } else if (named) {
        this.fail('BW_POSITIONAL_AFTER_NAMED', start.span, 'expected a named argument (`name = value`) after a named one, found a positional one');
      }
      const value = this.nested(() => this.expression());
      const span = cover(start.span, value.span);
      args.push(name === undefined ? { span, value } : { span, name, value });
      if (args.length > MAX_ARGUMENTS) {
        this.fail('BW_TOO_DEEP', span, `a call takes at most ${MAX_ARGUMENTS} arguments`);
        while (!STOPPERS.has(this.peek().kind) || this.peek().kind === ',') this.pos++;
        break;
      }
      if (this.peek().kind !== ',') break;
      this.pos++;
    }
    const close = this.expect(')', open);
    return { kind: 'Call', span: cover(callee.span, close), callee: callee.text, calleeSpan: callee.span, args };
  }

  /** Parses one level deeper, refusing depths no person writes before the stack overflows. */
  private nested(parse: () => Expr): Expr {
    if (this.depth >= MAX_DEPTH) {
      const t = this.peek();
      this.fail('BW_TOO_DEEP', t.span, `expression nested more than ${MAX_DEPTH} levels deep: split it into several stages`);
      while (this.peek().kind !== '|' && this.peek().kind !== 'eof') this.pos++;
      return { kind: 'Error', span: t.span };
    }
    this.depth++;
    const e = parse();
    this.depth--;
    return e;
  }

  /** Consumes the closing token, or reports what was found instead; returns the span to cover. */
  private expect(kind: ')' | ']' | '}', open: Token): Span {
    const t = this.peek();
    if (t.kind === kind) {
      this.pos++;
      return t.span;
    }
    const at = this.diagnostics.position(open.span.start);
    this.fail('BW_UNCLOSED', t.span, `expected \`${kind}\` to close the \`${open.text}\` at ${at.line}:${at.column}, found ${describeToken(t)}`);
    return this.tokens[this.pos - 1]?.span ?? open.span;
  }

  private fail(code: DiagnosticCode, at: Span, message: string): void {
    if (this.stageFailed) return;
    this.stageFailed = true;
    // The lexer already reported the character; a second message would say the same.
    if (this.peek().kind === 'invalid') return;
    this.diagnostics.error(code, at, message);
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
}

/** Tokens that end an expression; error recovery never consumes them. */
const STOPPERS: ReadonlySet<TokenKind> = new Set(['|', 'eof', ')', ']', '}', ',']);

const isDuration = (unit: string) => ['ms', 's', 'm', 'h', 'd', 'w'].includes(unit);

/** Height of an expression tree, computed without recursion: chains of `and` can be thousands long. */
function treeHeight(root: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length) {
    const [e, h] = stack.pop() as [Expr, number];
    if (h > max) max = h;
    if (max > MAX_TREE_HEIGHT) return max;
    for (const child of exprTree.children(e)) stack.push([child, h + 1]);
  }
  return max;
}

function binary(op: BinaryOp, opSpan: Span, left: Expr, right: Expr): Expr {
  return { kind: 'Binary', span: cover(left.span, right.span), op, opSpan, left, right };
}

const BOOLEAN_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', '=', '!=', '=~', '!~', '>', '>=', '<', '<=', 'in', 'not in']);

function isCondition(e: Expr): boolean {
  if (e.kind === 'Binary') return BOOLEAN_OPS.has(e.op);
  if (e.kind === 'Unary') return e.op === 'not';
  if (e.kind === 'Bool') return true;
  if (e.kind === 'Call') return BUILTIN_CATALOGUE.functions[e.callee]?.returns === 'bool';
  return false;
}

/**
 * Decides a stage's role from its shape. A call that is neither a function nor
 * a reduction is an action call; the checker then looks the action up.
 */
function classify(e: Expr): Stage {
  const span = e.span;
  if (e.kind === 'Command') return { kind: 'CommandStage', span, command: e.text };
  if (e.kind === 'Ident') {
    if ((RESOURCE_TYPES as readonly string[]).includes(e.name)) return { kind: 'ResourceStage', span, resource: e.name };
    if (e.name === 'events') return { kind: 'EventsStage', span };
    // A bare reduction word is that reduction, even when it needs arguments: `limit` alone is an argument error, not a tag.
    if (BUILTIN_CATALOGUE.reductions[e.name]) return { kind: 'ReductionStage', span, reduction: e.name, args: [] };
    if (e.name === 'rolling') return { kind: 'RolloutStage', span, args: [] };
  }
  if (e.kind === 'Call') {
    if (e.callee === 'rolling') return { kind: 'RolloutStage', span, args: e.args };
    const overRange = BUILTIN_CATALOGUE.functions[e.callee] !== undefined && e.args.some((a) => a.value.kind === 'Range');
    if (BUILTIN_CATALOGUE.reductions[e.callee] && !overRange) return { kind: 'ReductionStage', span, reduction: e.callee, args: e.args };
    if (!BUILTIN_CATALOGUE.functions[e.callee]) return { kind: 'ActionStage', span, action: e.callee, actionSpan: e.calleeSpan, args: e.args };
  }
  return isCondition(e) ? { kind: 'FilterStage', span, condition: e } : { kind: 'ColumnStage', span, value: e };
}
