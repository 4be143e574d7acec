import type { Identifier, Pipeline, Selector } from './ast.js';
import type { Catalogue } from './catalogue.js';
import type { Binding, Column, Scope } from './check-context.js';
import { CheckContext } from './check-context.js';
import { ExpressionChecker } from './check-expressions.js';
import type { StageRole } from './check-stages.js';
import { StageChecker } from './check-stages.js';
import type { DiagnosticBag } from './diagnostics.js';

/*
 * The checker in stages: check-stages.ts places each stage in the pipeline,
 * check-expressions.ts types the expressions inside them, check-calls.ts
 * checks calls and arguments, and check-context.ts holds what they share
 * (scope, columns, bindings) and looks names up in it.
 */

export type { Binding, Column, Scope, StageRole };

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

/**
 * Resolves names, assigns types, and checks each stage's place in the
 * pipeline against the catalogue. Reports into the bag; never throws.
 *
 * @example
 * const bag = new DiagnosticBag(src);
 * const checked = check(parse(src, bag), BUILTIN_CATALOGUE, bag);
 */
export function check(pipeline: Pipeline, catalogue: Catalogue, diagnostics: DiagnosticBag): CheckResult {
  const cx = new CheckContext(catalogue, diagnostics);
  const checker = new StageChecker(cx, new ExpressionChecker(cx));
  const stages: StageInfo[] = [];
  pipeline.stages.forEach((stage, index) => {
    const scope = cx.scope;
    const role = index === 0 ? checker.first(stage) : checker.check(stage);
    if (stage.kind === 'RolloutStage') checker.checkRolloutTarget(stage, pipeline.stages[index + 1]);
    stages.push({ role, scope, columns: [...cx.columns] });
  });
  cx.reportMisspelt();
  return { bindings: cx.bindings, stages };
}
