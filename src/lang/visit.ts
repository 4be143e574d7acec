import type { Expr, ExprKind, Stage, StageKind } from './ast.js';

/**
 * An exhaustive handler table over expression kinds: adding a node kind
 * fails to compile until every table handles it.
 */
export type ExprVisitor<R> = { readonly [K in ExprKind]: (node: Extract<Expr, { kind: K }>) => R };

/** The same for stage kinds. */
export type StageVisitor<R> = { readonly [K in StageKind]: (node: Extract<Stage, { kind: K }>) => R };

export function visitExpr<R>(visitor: ExprVisitor<R>, node: Expr): R {
  return (visitor[node.kind] as (n: Expr) => R)(node);
}

export function visitStage<R>(visitor: StageVisitor<R>, node: Stage): R {
  return (visitor[node.kind] as (n: Stage) => R)(node);
}
