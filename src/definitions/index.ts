/**
 * Definitions as code: actions, metrics, alarms, bots, schedules and files
 * written as YAML files, parsed and checked against the query language, diffed
 * into a plan, and exported back to YAML. Pure (no I/O): the CLI, the control
 * plane, the agent and the web UI share it. The file format is documented in
 * docs/definitions.md.
 *
 * @example
 * import { BUILTIN_CATALOGUE } from '../lang/index.js';
 * import { parseDefinitions, diffDefinitions, renderPlan } from '../definitions/index.js';
 * const { definitions, diagnostics } = parseDefinitions(files, BUILTIN_CATALOGUE);
 * if (!diagnostics.some((d) => d.severity === 'error')) console.log(renderPlan(diffDefinitions(current, definitions)));
 */
export * from './types.js';
export type { DefinitionFile, ParseResult } from './parse.js';
export { parseDefinitions } from './parse.js';
export type { DefinitionDiff, DefinitionUpdate, FieldChange } from './diff.js';
export { diffDefinitions } from './diff.js';
export type { PlanLine, PlanStyle } from './plan-presentation.js';
export { PLAN_MARKERS, formatPlanValue, planLines, planSummary, renderPlan } from './plan-presentation.js';
export { formatDuration, formatSize, toDocument, toYaml } from './export.js';
export type { DefinitionDiagnosticCode } from './diagnostics.js';
export { DEFINITION_DIAGNOSTIC_CODES, formatDefinitionDiagnostic } from './diagnostics.js';
export { DEFAULTS, KIND_FIELDS } from './rules.js';
export { SLACK_RESPONSE_ORIGINS } from './integration-kind.js';
export type { ActionCaller } from './permissions.js';
export { ACTION_ROLES, actionRefusal, botPrincipal, describeRunBy } from './permissions.js';
export type { RunKind } from './run-kinds.js';
export { APPROVING_BOT, BOT_PREFIX, RUNBOOK_CELL, RUN_KINDS, SCHEDULE_PREFIX, approverPrincipal, runBotOf, runKindOf, runPersonOf, runRunbookOf, runbookPrincipal } from './run-kinds.js';
export { sha256Hex } from './sha256.js';
export { secretEnvName } from './secrets.js';
export { redactSecrets } from './redact.js';
export type { TemplatePart } from './templates.js';
export { TEMPLATE_VARIABLES, expandTemplate, parseTemplate } from './templates.js';
export type { ParamRef, RunbookCell, RunbookCellKind, RunbookContent, SubstituteResult } from './runbooks.js';
export { RUNBOOK_PARAM, paramRefs, paramValueProblem, quoteString, runbookFromYaml, runbookToYaml, substituteParams } from './runbooks.js';
export type { PackManifest } from './pack-manifest.js';
export { PACK_MANIFEST_FILE, PACK_NAME, packRef, readPackManifest } from './pack-manifest.js';
export type { PackParameter, PackParamType, PackValue } from './pack-values.js';
export { DEFAULT_PACK_PATTERN, PACK_LIMITS, PACK_PARAM_TYPES, checkPackValue } from './pack-values.js';
export type { PackValueSources } from './pack-resolve.js';
export { resolvePackValues } from './pack-resolve.js';
export type { RenderedPack } from './pack-render.js';
export { renderPack } from './pack-render.js';
