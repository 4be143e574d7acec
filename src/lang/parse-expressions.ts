import type { Argument, BinaryOp, Expr, Identifier, LabelMatcher, Selector } from './ast.js';
import type { TokenStream } from './parse-tokens.js';
import type { Span } from './span.js';
import { cover } from './span.js';
import type { Token, TokenKind } from './tokens.js';
import { describeToken } from './tokens.js';

/** Deeper nesting than this is surely not written by a person; stop before the stack does. */
const MAX_DEPTH = 64;
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

/** Binary operators by precedence level, loosest first; each level is left-associative. */
const OR_OPS: ReadonlySet<TokenKind> = new Set(['or']);
const AND_OPS: ReadonlySet<TokenKind> = new Set(['and']);
const ADDITIVE_OPS: ReadonlySet<TokenKind> = new Set(['+', '-']);
const MULTIPLICATIVE_OPS: ReadonlySet<TokenKind> = new Set(['*', '/']);

/** Parses expressions by precedence climbing, from `or` down to literals, calls and lists. */
export class ExpressionParser {
  private depth = 0;

  constructor(private readonly tokens: TokenStream) {}

  expression(): Expr {
    return this.binaryChain(OR_OPS, () => this.binaryChain(AND_OPS, () => this.prefix('not', () => this.comparison())));
  }

  /** A left-associative run of one precedence level: `a + b - c` is `(a + b) - c`. */
  private binaryChain(ops: ReadonlySet<TokenKind>, operand: () => Expr): Expr {
    let left = operand();
    for (let t = this.peek(); ops.has(t.kind); t = this.peek()) {
      this.next();
      left = binary(t.kind as BinaryOp, t.span, left, operand());
    }
    return left;
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
      this.tokens.pos++;
    }
    if (!op) return left;
    this.tokens.pos++;
    const right = this.additive();
    const result = binary(op, opSpan, left, right);
    const chained = this.peek();
    if (COMPARISONS[chained.kind] || chained.kind === 'in') {
      this.tokens.fail('BW_UNEXPECTED_TOKEN', chained.span, `comparisons cannot be chained: expected \`and\`, \`or\`, \`|\` or the end of the statement, found ${describeToken(chained)}`);
    }
    return result;
  }

  private additive(): Expr {
    return this.binaryChain(ADDITIVE_OPS, () => this.binaryChain(MULTIPLICATIVE_OPS, () => this.prefix('-', () => this.postfix())));
  }

  /** A prefix operator applies to what follows at its own level, itself included: `not not a`, `- -1`. */
  private prefix(op: 'not' | '-', below: () => Expr): Expr {
    if (this.peek().kind !== op) return below();
    const t = this.next();
    const operand = this.nested(() => this.prefix(op, below));
    return { kind: 'Unary', span: cover(t.span, operand.span), op, operand };
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
        this.tokens.pos++;
        if (seconds <= 0) this.tokens.fail('BW_BAD_VALUE', window.span, `a range window must be longer than 0s, found \`${window.text}\``);
      } else if (window.kind === 'number' && window.unit === undefined) {
        this.tokens.fail('BW_UNEXPECTED_TOKEN', window.span, `a range window needs a unit: expected a duration such as \`${window.text}s\` or \`${window.text}m\`, found \`${window.text}\``);
        this.tokens.pos++;
      } else {
        this.tokens.fail('BW_UNEXPECTED_TOKEN', window.span, `expected a duration such as \`5m\` inside \`[...]\`, found ${describeToken(window)}`);
      }
      const close = this.tokens.expect(']', open);
      const span = cover(e.span, close);
      if (e.kind !== 'Ident' && e.kind !== 'Selector') {
        this.tokens.fail('BW_RANGE_NOT_ON_METRIC', span, 'a range window `[...]` can only follow a metric name, e.g. `cpu_usage[5m]`');
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
        this.tokens.fail('BW_UNEXPECTED_TOKEN', label.span, `expected a label name such as \`mount\`, found ${describeToken(label)}`);
        break;
      }
      this.tokens.pos++;
      const opToken = this.peek();
      const op = LABEL_OPS[opToken.kind];
      if (!op) {
        this.tokens.fail('BW_UNEXPECTED_TOKEN', opToken.span, `expected \`=\`, \`!=\`, \`=~\` or \`!~\` after label \`${label.text}\`, found ${describeToken(opToken)}`);
        break;
      }
      this.tokens.pos++;
      const value = this.peek();
      if (value.kind !== 'string') {
        this.tokens.fail('BW_UNEXPECTED_TOKEN', value.span, `expected a quoted label value such as "/", found ${describeToken(value)}`);
        break;
      }
      this.tokens.pos++;
      labels.push({ span: cover(label.span, value.span), valueSpan: value.span, name: label.text, op, value: value.value as string });
      if (this.peek().kind !== ',') break;
      this.tokens.pos++;
    }
    const close = this.tokens.expect('}', open);
    return { kind: 'Selector', span: cover(name.span, close), name: name.name, labels };
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.tokens.pos++;
        return t.unit === undefined ? { kind: 'Number', span: t.span, value: t.value as number } : { kind: 'Number', span: t.span, value: t.value as number, unit: t.unit };
      case 'string':
        this.tokens.pos++;
        return { kind: 'String', span: t.span, value: t.value as string };
      case 'command':
        this.tokens.pos++;
        return { kind: 'Command', span: t.span, text: t.value as string };
      case 'true':
      case 'false':
        this.tokens.pos++;
        return { kind: 'Bool', span: t.span, value: t.kind === 'true' };
      case 'ident':
        this.tokens.pos++;
        if (this.peek().kind === '(') return this.call(t);
        return { kind: 'Ident', span: t.span, name: t.text };
      case '(': {
        this.tokens.pos++;
        const inner = this.nested(() => this.expression());
        this.tokens.expect(')', t);
        return inner;
      }
      case '[':
        return this.list();
      default:
        this.tokens.fail('BW_UNEXPECTED_TOKEN', t.span, `expected a value (a name, number, string, list or command), found ${describeToken(t)}`);
        if (!STOPPERS.has(t.kind)) this.tokens.pos++;
        return { kind: 'Error', span: t.span };
    }
  }

  private list(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    while (this.peek().kind !== ']' && !STOPPERS.has(this.peek().kind)) {
      items.push(this.nested(() => this.expression()));
      if (this.peek().kind !== ',') break;
      this.tokens.pos++;
    }
    const close = this.tokens.expect(']', open);
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
        this.tokens.pos += 2;
        if (seen.has(name)) this.tokens.fail('BW_DUPLICATE_ARGUMENT', start.span, `argument \`${name}\` is given twice`);
        seen.add(name);
        named = true;
      } else if (named) {
        this.tokens.fail('BW_POSITIONAL_AFTER_NAMED', start.span, 'expected a named argument (`name = value`) after a named one, found a positional one');
      }
      const value = this.nested(() => this.expression());
      const span = cover(start.span, value.span);
      args.push(name === undefined ? { span, value } : { span, name, value });
      if (args.length > MAX_ARGUMENTS) {
        this.tokens.fail('BW_TOO_DEEP', span, `a call takes at most ${MAX_ARGUMENTS} arguments`);
        while (!STOPPERS.has(this.peek().kind) || this.peek().kind === ',') this.tokens.pos++;
        break;
      }
      if (this.peek().kind !== ',') break;
      this.tokens.pos++;
    }
    const close = this.tokens.expect(')', open);
    return { kind: 'Call', span: cover(callee.span, close), callee: callee.text, calleeSpan: callee.span, args };
  }

  /** Parses one level deeper, refusing depths no person writes before the stack overflows. */
  private nested(parse: () => Expr): Expr {
    if (this.depth >= MAX_DEPTH) {
      const t = this.peek();
      this.tokens.fail('BW_TOO_DEEP', t.span, `expression nested more than ${MAX_DEPTH} levels deep: split it into several stages`);
      while (this.peek().kind !== '|' && this.peek().kind !== 'eof') this.tokens.pos++;
      return { kind: 'Error', span: t.span };
    }
    this.depth++;
    const e = parse();
    this.depth--;
    return e;
  }

  private peek(ahead = 0): Token {
    return this.tokens.peek(ahead);
  }

  private next(): Token {
    return this.tokens.next();
  }
}

/** Tokens that end an expression; error recovery never consumes them. */
const STOPPERS: ReadonlySet<TokenKind> = new Set(['|', 'eof', ')', ']', '}', ',']);

const isDuration = (unit: string) => ['ms', 's', 'm', 'h', 'd', 'w'].includes(unit);

function binary(op: BinaryOp, opSpan: Span, left: Expr, right: Expr): Expr {
  return { kind: 'Binary', span: cover(left.span, right.span), op, opSpan, left, right };
}
