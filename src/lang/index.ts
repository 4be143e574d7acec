/**
 * The Breakwater query language: lexer, parser, checker and planner, pure
 * (no I/O) so it runs in Node, in agents and in the browser.
 *
 * @example
 * import { analyze, BUILTIN_CATALOGUE } from '../lang/index.js';
 * const { ok, diagnostics, plan } = analyze('host | cpu_usage > 80 | count', BUILTIN_CATALOGUE);
 */
import type { Pipeline } from './ast.js';
import type { Catalogue } from './catalogue.js';
import type { CheckResult } from './checker.js';
import { check } from './checker.js';
import type { Diagnostic } from './diagnostics.js';
import { DiagnosticBag } from './diagnostics.js';
import type { FleetInventory } from './fleet-check.js';
import { checkAgainstFleet } from './fleet-check.js';
import { parse } from './parser.js';
import type { Plan } from './plan.js';
import { plan } from './planner.js';

export interface Analysis {
  /** True when there is no error (warnings may remain). */
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly ast: Pipeline;
  readonly checked: CheckResult;
  /** Present only when `ok`. */
  readonly plan?: Plan;
}

/**
 * Runs every stage on one statement and collects all diagnostics. Never throws on bad input.
 * Given the fleet (asked for only when a filter needs it), filters on tag or host attribute values
 * no host has while a near one exists are warned about (fleet-check.ts): typos caught before anything runs.
 */
export function analyze(source: string, catalogue: Catalogue, fleet?: () => FleetInventory): Analysis {
  const diagnostics = new DiagnosticBag(source);
  const ast = parse(source, diagnostics);
  const checked = check(ast, catalogue, diagnostics);
  if (fleet && !diagnostics.hasErrors) checkAgainstFleet(ast, checked, fleet, diagnostics);
  const ok = !diagnostics.hasErrors;
  const result = { ok, diagnostics: diagnostics.toArray(), ast, checked };
  return ok ? { ...result, plan: plan(ast, checked, catalogue) } : result;
}

export type * from './ast.js';
export type { ActionParamSpec, ActionSpec, AttributeSpec, Catalogue, CatalogueExtension, EventFieldSpec, FunctionSpec, MetricSpec, ParamSpec, ReductionSpec, ResourceSpec, ResourceTypeName, ShownAs } from './catalogue.js';
export { BUILTIN_CATALOGUE, RESOURCE_TYPES, ROLLING_PARAMS, extendCatalogue, findAttribute, findMetric } from './catalogue.js';
export type { Binding, CheckResult, Column, Scope, StageInfo, StageRole } from './checker.js';
export { check } from './checker.js';
export type { Diagnostic, DiagnosticCode, NearValue, Severity } from './diagnostics.js';
export { DIAGNOSTIC_CODES, DiagnosticBag } from './diagnostics.js';
export type { FleetInventory, InventoryHostValues } from './fleet-check.js';
export { nearValues, summarizeFleet } from './fleet-check.js';
export { formatExpr, formatSeconds } from './format.js';
export { lex } from './lexer.js';
export { parse } from './parser.js';
export type * from './plan.js';
export { plan } from './planner.js';
export type { Location, Span } from './span.js';
export { LineMap } from './span.js';
export { closest, editDistance } from './suggest.js';
export type { AgentValues, Candidate, CompleteOptions, Completion, FleetValues, ResourceValues } from './complete.js';
export { NO_FLEET, complete, fleetValues, knownNames, resourceValues, resourcesNamed } from './complete.js';
export type { Token, TokenKind } from './tokens.js';
export type { ValueType } from './types.js';
export { describeType } from './types.js';
export type { Dimension, UnitInfo } from './units.js';
export { DIMENSION_NAMES, UNITS, parseDuration, parseSize } from './units.js';
export type { CheckName, EvalContext, Point, Value } from './evaluate.js';
export { EvalError, evaluate, evaluateSync, quantile, rangeFunction, truthy } from './evaluate.js';
export type { AgentPhase } from './plan-schema.js';
export { AgentPhaseSchema, PlanExprSchema, PlanSchema } from './plan-schema.js';
/**
 * Walkers over the two expression trees: the syntax tree's `Expr` (tagged by
 * `kind`) and the plan's `PlanExpr` (tagged by `k`, what agents run). Each
 * tree's children are listed in one exhaustive table, so a new node kind is a
 * compile error until it says where its sub-expressions are.
 *
 * @example
 * import { planExprTree } from '../lang/index.js';
 * const runsCommand = planExprTree.some(step.expr, (e) => e.k === 'cmd');
 */
export type { ExprVisitor, PlanExprKind, PlanExprVisitor, StageVisitor, TreeWalker } from './visit.js';
export { exprTree, planExprTree, visitExpr, visitPlanExpr, visitStage } from './visit.js';
export { EXAMPLE_ACTIONS, EXAMPLE_FLEET, LANGUAGE_EXAMPLES } from './examples.js';
