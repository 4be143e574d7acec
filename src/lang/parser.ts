import type { BinaryOp, Expr, Pipeline, Stage } from './ast.js';
import { BUILTIN_CATALOGUE, RESOURCE_TYPES } from './catalogue.js';
import type { DiagnosticBag } from './diagnostics.js';
import { lex } from './lexer.js';
import { ExpressionParser } from './parse-expressions.js';
import { TokenStream } from './parse-tokens.js';
import { cover } from './span.js';
import type { Token } from './tokens.js';
import { describeToken } from './tokens.js';
import { closest } from './suggest.js';
import { exprTree } from './visit.js';

/** Limits that keep every later stage (checker, planner, JSON) linear and shallow. */
const MAX_STAGES = 256;
const MAX_TREE_HEIGHT = 256;

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

/** Splits the statement into stages at `|` and decides each stage's role from its expression. */
class Parser {
  private readonly tokens: TokenStream;
  private readonly expressions: ExpressionParser;

  constructor(tokens: readonly Token[], diagnostics: DiagnosticBag) {
    this.tokens = new TokenStream(tokens, diagnostics);
    this.expressions = new ExpressionParser(this.tokens);
  }

  pipeline(length: number): Pipeline {
    const stages: Stage[] = [];
    if (this.tokens.peek().kind === 'eof') {
      this.tokens.fail('BW_EMPTY_STATEMENT', this.tokens.peek().span, 'empty statement: expected a resource type such as `host`, or `events`');
      return { kind: 'Pipeline', span: { start: 0, end: length }, stages };
    }
    for (;;) {
      if (stages.length === MAX_STAGES) {
        const t = this.tokens.peek();
        this.tokens.stageFailed = false;
        this.tokens.fail('BW_TOO_DEEP', { start: t.span.start, end: length }, `a statement has at most ${MAX_STAGES} stages: split it`);
        break;
      }
      stages.push(this.stage());
      const next = this.tokens.peek();
      if (next.kind === 'eof') break;
      if (next.kind === '|') {
        this.tokens.pos++;
        this.tokens.stageFailed = false;
      }
    }
    return { kind: 'Pipeline', span: { start: 0, end: length }, stages };
  }

  private stage(): Stage {
    const first = this.tokens.peek();
    if (first.kind === '|' || first.kind === 'eof') {
      const previous = this.tokens.previous();
      const message = previous
        ? `empty stage: expected a stage after \`|\`, found ${describeToken(first)}`
        : 'a statement cannot start with `|`: expected a resource type such as `host`, or `events`';
      this.tokens.fail('BW_EMPTY_STAGE', first.kind === 'eof' && previous ? previous.span : first.span, message);
      return { kind: 'ErrorStage', span: first.span };
    }
    const expr = this.expressions.expression();
    const after = this.tokens.peek();
    if (after.kind !== '|' && after.kind !== 'eof') {
      this.tokens.fail('BW_UNEXPECTED_TOKEN', after.span, `expected \`|\` or the end of the statement after this stage, found ${describeToken(after)}` + this.hintAfterStage(expr, after));
      while (this.tokens.peek().kind !== '|' && this.tokens.peek().kind !== 'eof') this.tokens.pos++;
      return { kind: 'ErrorStage', span: cover(first.span, this.tokens.previous()?.span ?? first.span) };
    }
    const height = treeHeight(expr);
    if (height > MAX_TREE_HEIGHT) {
      this.tokens.fail('BW_TOO_DEEP', expr.span, `expression more than ${MAX_TREE_HEIGHT} operations deep (${height}): split it into several stages`);
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

}

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
