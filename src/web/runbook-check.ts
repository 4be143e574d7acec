/** Diagnostics of a runbook's pipeline cell, where `$name` is a parameter (pure: unit-tested beside). */
import { paramRefs } from '../definitions/index.js';
import type { Analysis, Catalogue } from '../lang/index.js';
import { LineMap, analyze, closest } from '../lang/index.js';
import type { EditorDiagnostic } from './Editor.js';

/**
 * A pipeline cell checked against the catalogue. Each `$name` is analysed as a string literal of
 * the same length (`"···"` for `$host`), so the language's diagnostics point at the text as
 * written; a `$name` that is not a declared parameter is reported here.
 */
export function checkCell(text: string, params: readonly string[], catalogue: Catalogue): { analysis: Analysis; diagnostics: EditorDiagnostic[] } {
  // A middle dot: a stand-in no one types, so a message quoting it can be given back its `$name`.
  const refs = paramRefs(text).map((r) => ({ ...r, declared: params.includes(r.name), stand: `"${'·'.repeat(r.end - r.start - 2)}"` }));
  let checked = '';
  let at = 0;
  for (const r of refs) {
    checked += text.slice(at, r.start) + r.stand;
    at = r.end;
  }
  const analysis = analyze(checked + text.slice(at), catalogue);
  // Messages quote the checked text (`cannot add a string "···" and …`): show `$host` again, where the stand-in tells one name.
  const names = new Map<string, Set<string>>();
  for (const r of refs) names.set(r.stand, (names.get(r.stand) ?? new Set()).add(r.name));
  const asWritten = (m: string) => [...names].reduce((acc, [stand, ns]) => (ns.size === 1 ? acc.replaceAll(stand, `$${[...ns][0] ?? ''}`) : acc), m);
  const language = analysis.diagnostics
    // What the language says about an unknown parameter alone (a constant column) is only a consequence of it.
    .filter((d) => !refs.some((r) => !r.declared && r.start <= d.location.start && d.location.end <= r.end))
    .map((d): EditorDiagnostic => ({ ...d, message: asWritten(d.message), ...(d.suggestion ? { suggestion: asWritten(d.suggestion) } : {}) }));
  const lines = new LineMap(text);
  const declared = params.length ? `declared: ${params.join(', ')}` : 'this runbook declares no parameters';
  const unknown = refs
    .filter((r) => !r.declared)
    .map((r): EditorDiagnostic => {
      const suggestion = closest(r.name, params);
      return { code: 'BW_UNKNOWN_PARAMETER', severity: 'error', message: `unknown parameter $${r.name}; ${declared}`, location: lines.locate(r), ...(suggestion ? { suggestion: `$${suggestion}` } : {}) };
    });
  return { analysis, diagnostics: [...language, ...unknown].sort((a, b) => a.location.start - b.location.start) };
}
