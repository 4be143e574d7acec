import type { Expr, ExprKind, Stage, StageKind } from './ast.js';
import type { PlanExpr } from './plan.js';

/**
 * An exhaustive handler table over expression kinds: adding a node kind
 * fails to compile until every table handles it.
 */
export type ExprVisitor<R> = { readonly [K in ExprKind]: (node: Extract<Expr, { kind: K }>) => R };

/** The same for stage kinds. */
export type StageVisitor<R> = { readonly [K in StageKind]: (node: Extract<Stage, { kind: K }>) => R };

/** Calls the handler for the node's kind, e.g. `visitExpr(typers, e)`. */
export function visitExpr<R>(visitor: ExprVisitor<R>, node: Expr): R {
  return (visitor[node.kind] as (n: Expr) => R)(node);
}

/** Calls the handler for the stage's kind, e.g. `visitStage(stageChecks, stage)`. */
export function visitStage<R>(visitor: StageVisitor<R>, node: Stage): R {
  return (visitor[node.kind] as (n: Stage) => R)(node);
}

/** The plan's expression kinds, by their tag `k`. */
export type PlanExprKind = PlanExpr['k'];

/**
 * An exhaustive handler table over plan expression kinds, the plan's
 * counterpart of `ExprVisitor`: a new kind fails to compile until handled.
 */
export type PlanExprVisitor<R> = { readonly [K in PlanExprKind]: (node: Extract<PlanExpr, { k: K }>) => R };

/**
 * Calls the handler for the node's kind.
 *
 * @example
 * const show: PlanExprVisitor<string> = { num: (n) => String(n.v), bin: (n) => `${visitPlanExpr(show, n.l)} ${n.op} ...`, ... };
 * visitPlanExpr(show, { k: 'num', v: 80 }); // '80'
 */
export function visitPlanExpr<R>(visitor: PlanExprVisitor<R>, node: PlanExpr): R {
  return (visitor[node.k] as (n: PlanExpr) => R)(node);
}

/**
 * Generic walks over one kind of tree, given where its nodes keep their
 * children. All of them go pre-order (parents first, left to right) with an
 * explicit stack, so even a tree no parser has bounded cannot overflow it.
 */
export interface TreeWalker<N> {
  /** The direct sub-expressions of a node, left to right. */
  children(node: N): readonly N[];
  /** Calls `fn` on `root` and every node under it. */
  walk(root: N, fn: (node: N) => void): void;
  /** Whether `test` holds for `root` and every node under it; stops at the first that fails. */
  every(root: N, test: (node: N) => boolean): boolean;
  /** Whether `test` holds for `root` or any node under it; stops at the first that passes. */
  some(root: N, test: (node: N) => boolean): boolean;
}

/** Handlers for kinds with no sub-expressions, so each table below lists only the kinds that have some. */
function leaves<K extends string>(...kinds: readonly K[]): Record<K, () => readonly never[]> {
  return Object.fromEntries(kinds.map((k) => [k, () => []])) as unknown as Record<K, () => readonly never[]>;
}

/** The one place that knows where each kind keeps its sub-expressions; a new kind must say. */
const CHILDREN: ExprVisitor<readonly Expr[]> = {
  // A selector's label matchers hold plain strings, not expressions.
  ...leaves('Number', 'String', 'Bool', 'Ident', 'Selector', 'Command', 'Error'),
  List: (n) => n.items,
  Range: (n) => [n.target],
  Call: (n) => n.args.map((a) => a.value),
  Unary: (n) => [n.operand],
  Binary: (n) => [n.left, n.right],
};

/**
 * Walks the syntax tree's expressions.
 *
 * @example
 * const names: string[] = [];
 * exprTree.walk(condition, (e) => { if (e.kind === 'Ident') names.push(e.name); });
 * exprTree.every(e, (n) => n.kind === 'Number' || n.kind === 'Binary'); // arithmetic on literals only
 */
export const exprTree: TreeWalker<Expr> = treeWalker((e) => visitExpr(CHILDREN, e));

const PLAN_CHILDREN: PlanExprVisitor<readonly PlanExpr[]> = {
  // A metric and a range hold a plain metric description, not expressions.
  ...leaves('num', 'str', 'bool', 'metric', 'range', 'attr', 'tag', 'col', 'field', 'cmd'),
  list: (n) => n.items,
  call: (n) => n.args,
  not: (n) => [n.x],
  neg: (n) => [n.x],
  bin: (n) => [n.l, n.r],
};

/**
 * Walks plan expressions, what agents and the control plane evaluate.
 *
 * @example
 * planExprTree.some(step.expr, (e) => e.k === 'cmd'); // the step runs a command on the host
 */
export const planExprTree: TreeWalker<PlanExpr> = treeWalker((e) => visitPlanExpr(PLAN_CHILDREN, e));

function treeWalker<N>(children: (node: N) => readonly N[]): TreeWalker<N> {
  const every = (root: N, test: (node: N) => boolean): boolean => {
    const stack: N[] = [root];
    while (stack.length) {
      const node = stack.pop() as N;
      if (!test(node)) return false;
      const kids = children(node);
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as N);
    }
    return true;
  };
  return {
    children,
    every,
    some: (root, test) => !every(root, (node) => !test(node)),
    walk: (root, fn) => {
      every(root, (node) => {
        fn(node);
        return true;
      });
    },
  };
}
