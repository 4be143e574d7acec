import type { Analysis, Catalogue, ResourceTypeName, StageRole } from '../lang/index.js';
import { analyze } from '../lang/index.js';
import type { DefinitionDiagnosticCode } from './diagnostics.js';
import type { Doc } from './fields.js';
import type { Written } from './set-context.js';

/*
 * The statements written inside definitions (alarm queries and conditions, a
 * file's or secret's hosts, a schedule's run, an action's `allowed`), checked
 * with the language and reported at their place in the YAML.
 */

const ROLE_TEXT: Partial<Record<StageRole, string>> = {
  command: 'a command',
  action: 'an action call',
  reduction: 'a reduction',
  rollout: 'a rollout',
  column: 'a column (a value, not a condition)',
  traverse: 'a traversal',
  source: 'a source',
};

/** A piece of a statement for a message, on one line, in backticks unless it is a command. */
const clip = (s: string, n = 50) => {
  const one = s.replace(/\s+/g, ' ').trim();
  const short = one.length > n ? `${one.slice(0, n - 1)}…` : one;
  return short.includes('`') ? short : `\`${short}\``;
};

/** A statement and what the language made of it. */
export interface Statement extends Written {
  readonly analysis: Analysis;
  /** Whether the statement's own part has an error. */
  readonly failed: boolean;
}

/**
 * Analyses `prefix + value` and reports the diagnostics that fall in `value`
 * at their place in the YAML (the prefix is already checked on its own).
 */
export function statement(catalogue: Catalogue, doc: Doc, field: string, s: Written, prefix = ''): Statement {
  const analysis = analyze(prefix + s.value, catalogue);
  let failed = false;
  for (const d of analysis.diagnostics) {
    if (d.location.start < prefix.length) continue;
    if (d.severity === 'error') failed = true;
    const at = doc.offsetIn(s.node, d.location.start - prefix.length);
    const code: DefinitionDiagnosticCode = d.severity === 'error' ? 'BWD_BAD_QUERY' : 'BWD_QUERY_WARNING';
    doc.report(at, field, code, `${d.message} (${d.code})`, { suggestion: d.suggestion, severity: d.severity });
  }
  return { ...s, analysis, failed };
}

/** A statement that must be a source of one of `sources` followed by filters only. Returns its source. */
export function selection(doc: Doc, field: string, s: Statement, sources: readonly ResourceTypeName[], what: string, hint = ''): ResourceTypeName | undefined {
  const stages = s.analysis.ast.stages;
  const first = stages[0];
  const wanted = sources.map((t) => `\`${t}\``).join(' or ');
  if (first?.kind === 'ResourceStage' && !(sources as readonly string[]).includes(first.resource)) {
    doc.report(doc.offsetIn(s.node, first.span.start), field, 'BWD_QUERY_SHAPE', `${what} starts with ${wanted}, found \`${first.resource}\``);
    return undefined;
  }
  if (first?.kind === 'EventsStage') {
    doc.report(doc.offsetIn(s.node, first.span.start), field, 'BWD_QUERY_SHAPE', `${what} starts with ${wanted}, found \`events\``);
    return undefined;
  }
  if (s.failed) return first?.kind === 'ResourceStage' ? (first.resource as ResourceTypeName) : undefined;
  let ok = true;
  stages.forEach((stage, i) => {
    const role = s.analysis.checked.stages[i]?.role;
    if (i === 0 || role === 'filter' || role === undefined) return;
    ok = false;
    const text = clip(s.value.slice(stage.span.start, stage.span.end));
    doc.report(doc.offsetIn(s.node, stage.span.start), field, 'BWD_QUERY_SHAPE', `${what} is a source and filters only; found ${ROLE_TEXT[role] ?? role} ${text}${hint}`);
  });
  return ok && first?.kind === 'ResourceStage' ? (first.resource as ResourceTypeName) : undefined;
}

/** A statement selecting hosts (a `host` source and filters): its analysis, or undefined when it has a problem (reported). */
export function hostSelection(catalogue: Catalogue, doc: Doc, field: string, q: Written, what: string): Analysis | undefined {
  const s = statement(catalogue, doc, field, q);
  return selection(doc, field, s, ['host'], what) && !s.failed ? s.analysis : undefined;
}

/** A condition checked as one more stage after `prefix` (a query and `\n| `). */
export function condition(catalogue: Catalogue, doc: Doc, field: string, s: Written, prefix: string, prefixStages: number): void {
  const checked = statement(catalogue, doc, field, s, prefix);
  if (checked.failed) return;
  const stages = checked.analysis.ast.stages.slice(prefixStages);
  const first = stages[0];
  const example = 'e.g. `disk_usage{mount="/data"} > 90`';
  if (stages.length !== 1 || first === undefined) {
    const second = stages[1];
    const at = second ? doc.offsetIn(s.node, second.span.start - prefix.length) : s.node.range[0];
    doc.report(at, field, 'BWD_QUERY_SHAPE', `expected one condition (${example}), found ${stages.length} stages: a condition has no \`|\``);
    return;
  }
  const role = checked.analysis.checked.stages[prefixStages]?.role;
  if (role !== 'filter') {
    const text = clip((prefix + s.value).slice(first.span.start, first.span.end));
    const hint = role === 'command' ? '; to test a command, write `ok(`...`)` or `not ok(`...`)`' : role === 'column' ? '; compare it with a value' : '';
    doc.report(doc.offsetIn(s.node, first.span.start - prefix.length), field, 'BWD_QUERY_SHAPE', `expected a condition (${example}), found ${ROLE_TEXT[role ?? 'column'] ?? role} ${text}${hint}`);
  }
}
