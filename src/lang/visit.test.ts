import { describe, expect, it } from 'vitest';
import type { Expr, Stage } from './ast.js';
import { DiagnosticBag } from './diagnostics.js';
import { formatExpr } from './format.js';
import { parse } from './parser.js';
import type { PlanExpr } from './plan.js';
import { exprTree, planExprTree, visitPlanExpr } from './visit.js';

/** The expression of the statement's second stage, `host | <expr>`. */
function expr(text: string): Expr {
  const source = `host | ${text}`;
  const stage = parse(source, new DiagnosticBag(source)).stages[1] as Stage;
  if (stage.kind === 'FilterStage') return stage.condition;
  if (stage.kind === 'ColumnStage') return stage.value;
  throw new Error(`not an expression stage: ${stage.kind}`);
}

const num = (v: number): PlanExpr => ({ k: 'num', v });
const metric: PlanExpr = { k: 'metric', name: 'cpu_usage', labels: [], collapse: 'max' };

describe('syntax tree walker', () => {
  it('lists each kind of node’s sub-expressions left to right', () => {
    expect(exprTree.children(expr('a + b')).map(formatExpr)).toEqual(['a', 'b']);
    expect(exprTree.children(expr('not ok(`true`)')).map(formatExpr)).toEqual(['ok(`true`)']);
    expect(exprTree.children(expr('quantile(0.99, cpu_usage[5m]) > 95'))[0]).toMatchObject({ kind: 'Call' });
    expect(exprTree.children(exprTree.children(expr('quantile(0.99, cpu_usage[5m]) > 95'))[0] as Expr).map(formatExpr)).toEqual(['0.99', 'cpu_usage[5m]']);
    expect(exprTree.children(expr('cpu_usage[5m] ')).map(formatExpr)).toEqual(['cpu_usage']);
    expect(exprTree.children(expr('role in ["a", "b"]'))[1]).toMatchObject({ kind: 'List' });
    expect(exprTree.children(expr('disk_usage{mount="/"}'))).toEqual([]);
    expect(exprTree.children(expr('"x"'))).toEqual([]);
  });

  it('visits every node, parents first, left to right', () => {
    const seen: string[] = [];
    exprTree.walk(expr('a = "1" and (b > 2 or not c)'), (e) => seen.push(formatExpr(e)));
    expect(seen).toEqual(['a = "1" and (b > 2 or not c)', 'a = "1"', 'a', '"1"', 'b > 2 or not c', 'b > 2', 'b', '2', 'not c', 'c']);
  });

  it('walks a chain far deeper than the call stack allows', () => {
    let deep: Expr = { kind: 'Number', span: { start: 0, end: 1 }, value: 1 };
    for (let i = 0; i < 200_000; i++) deep = { kind: 'Unary', span: deep.span, op: '-', operand: deep };
    let count = 0;
    exprTree.walk(deep, () => count++);
    expect(count).toBe(200_001);
  });

  it('tells whether every node passes, stopping at the first that fails', () => {
    const literalsOnly = (e: Expr) => e.kind !== 'Ident';
    expect(exprTree.every(expr('1 + 2 * 3'), literalsOnly)).toBe(true);
    expect(exprTree.every(expr('1 + 2 * cpu_usage'), literalsOnly)).toBe(false);
    const tested: string[] = [];
    exprTree.every(expr('a + (b + c)'), (e) => (tested.push(formatExpr(e)), e.kind !== 'Ident'));
    expect(tested).toEqual(['a + (b + c)', 'a']);
  });
});

describe('plan expression walker', () => {
  const tree: PlanExpr = {
    k: 'bin',
    op: 'and',
    l: { k: 'bin', op: '>', l: metric, r: num(80) },
    r: { k: 'not', x: { k: 'call', fn: 'ok', args: [{ k: 'cmd', text: 'test -w /' }] } },
  };

  it('lists each kind’s sub-expressions; a range’s metric is no expression', () => {
    expect(planExprTree.children(tree)).toEqual([tree.k === 'bin' && tree.l, tree.k === 'bin' && tree.r]);
    expect(planExprTree.children({ k: 'list', items: [num(1), num(2)] })).toEqual([num(1), num(2)]);
    expect(planExprTree.children({ k: 'neg', x: num(1) })).toEqual([num(1)]);
    expect(planExprTree.children({ k: 'range', metric: { name: 'cpu_usage', labels: [], collapse: 'max' }, seconds: 300 })).toEqual([]);
    expect(planExprTree.children(metric)).toEqual([]);
  });

  it('visits every node, parents first, left to right', () => {
    const kinds: string[] = [];
    planExprTree.walk(tree, (e) => kinds.push(e.k));
    expect(kinds).toEqual(['bin', 'bin', 'metric', 'num', 'not', 'call', 'cmd']);
  });

  it('answers every/some over the whole tree', () => {
    expect(planExprTree.some(tree, (e) => e.k === 'cmd')).toBe(true);
    expect(planExprTree.some({ k: 'bin', op: '>', l: metric, r: num(80) }, (e) => e.k === 'cmd')).toBe(false);
    expect(planExprTree.every({ k: 'list', items: [num(1), { k: 'tag', name: 'env' }] }, (e) => e.k !== 'metric')).toBe(true);
    expect(planExprTree.every(tree, (e) => e.k !== 'metric')).toBe(false);
  });

  it('dispatches on the kind with one handler per kind', () => {
    const describe = (e: PlanExpr): string =>
      visitPlanExpr<string>(
        {
          num: (n) => String(n.v),
          str: (n) => JSON.stringify(n.v),
          bool: (n) => String(n.v),
          list: (n) => `[${n.items.map(describe).join(', ')}]`,
          metric: (n) => n.name,
          range: (n) => `${n.metric.name}[${n.seconds}s]`,
          attr: (n) => n.name,
          tag: (n) => n.name,
          col: (n) => n.name,
          field: (n) => n.name,
          cmd: (n) => `\`${n.text}\``,
          call: (n) => `${n.fn}(${n.args.map(describe).join(', ')})`,
          not: (n) => `not ${describe(n.x)}`,
          neg: (n) => `-${describe(n.x)}`,
          bin: (n) => `${describe(n.l)} ${n.op} ${describe(n.r)}`,
        },
        e,
      );
    expect(describe(tree)).toBe('cpu_usage > 80 and not ok(`test -w /`)');
  });
});
