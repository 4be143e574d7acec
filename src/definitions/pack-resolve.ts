import { LineCounter, isMap, isScalar, parseAllDocuments } from 'yaml';
import { closest } from '../lang/index.js';
import type { Pending } from './fields.js';
import { Doc, describe } from './fields.js';
import type { PackManifest } from './pack-manifest.js';
import type { PackValue } from './pack-values.js';
import { PACK_LIMITS, checkPackValue } from './pack-values.js';
import type { DefinitionFile } from './parse.js';
import type { DefinitionDiagnosticCode } from './diagnostics.js';
import type { DefinitionDiagnostic } from './types.js';

/*
 * The values a pack is installed with, as Helm layers them: each parameter's default, then a
 * values file (`--values FILE.yaml`, a flat mapping), then `--set key=value` flags, later winning.
 * Every value is checked against its parameter's type and pattern, wherever it came from.
 */

/** Where values come from besides the defaults: a values file and `--set key=value` flags, in order. */
export interface PackValueSources {
  readonly valuesFile?: DefinitionFile;
  readonly sets?: readonly string[];
}

/**
 * The checked value of every parameter, or diagnostics (an unknown key lists the known ones; a
 * parameter without a default needs a value). Never throws.
 *
 * @example
 * const { values, diagnostics } = resolvePackValues(manifest, { sets: ['mount=/srv'] });
 */
export function resolvePackValues(manifest: PackManifest, sources: PackValueSources): { values?: Record<string, PackValue>; diagnostics: DefinitionDiagnostic[] } {
  const diagnostics: DefinitionDiagnostic[] = [];
  const known = manifest.parameters.map((p) => p.name);
  const values = new Map<string, PackValue>();
  for (const p of manifest.parameters) if (p.default !== undefined) values.set(p.name, p.default);
  const give = (key: string, raw: unknown, report: (code: DefinitionDiagnosticCode, message: string, suggestion?: string) => void) => {
    const param = manifest.parameters.find((p) => p.name === key);
    if (!param) {
      const suggestion = closest(key, known);
      const list = known.length ? `expected one of ${known.map((k) => `\`${k}\``).join(', ')}` : 'it has no parameters';
      report('BWD_PACK_UNKNOWN_PARAM', `unknown parameter \`${key.slice(0, 80)}\` of pack ${manifest.name}: ${list}${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, suggestion);
      return;
    }
    const checked = checkPackValue(param, raw);
    if (checked.problem !== undefined) report('BWD_PACK_BAD_VALUE', `parameter \`${key}\` (${param.type}): ${checked.problem}`);
    else values.set(key, checked.value);
  };
  if (sources.valuesFile) readValuesFile(sources.valuesFile, diagnostics, give);
  const sets = sources.sets ?? [];
  if (sets.length > PACK_LIMITS.sets) diagnostics.push(setDiagnostic(0, '', 'BWD_PACK_TOO_LARGE', `expected at most ${PACK_LIMITS.sets} --set flags, found ${sets.length}`));
  else {
    sets.forEach((set, i) => {
      const eq = set.indexOf('=');
      if (eq <= 0) {
        diagnostics.push(setDiagnostic(i, '', 'BWD_PACK_BAD_VALUE', `expected --set key=value, found ${JSON.stringify(set.slice(0, 80))}`));
        return;
      }
      const key = set.slice(0, eq);
      give(key, set.slice(eq + 1), (code, message, suggestion) => diagnostics.push(setDiagnostic(i, key, code, message, suggestion)));
    });
  }
  for (const p of manifest.parameters) {
    if (!values.has(p.name)) diagnostics.push(setDiagnostic(0, p.name, 'BWD_PACK_MISSING_VALUE', `parameter \`${p.name}\` of pack ${manifest.name} has no default: give it with --set ${p.name}=... or in a --values file (${p.description})`));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { values: Object.fromEntries(values), diagnostics };
}

/** A `--set` problem: the flag's position on the command line is its column. */
function setDiagnostic(index: number, field: string, code: DefinitionDiagnosticCode, message: string, suggestion?: string): DefinitionDiagnostic {
  return { file: '--set', line: 1, column: index + 1, field, code, severity: 'error', message, ...(suggestion !== undefined ? { suggestion } : {}) };
}

type Give = (key: string, raw: unknown, report: (code: DefinitionDiagnosticCode, message: string, suggestion?: string) => void) => void;

function readValuesFile(file: DefinitionFile, diagnostics: DefinitionDiagnostic[], give: Give): void {
  if (file.text.length > PACK_LIMITS.fileBytes) {
    diagnostics.push({ file: file.path, line: 1, column: 1, field: '', code: 'BWD_PACK_TOO_LARGE', severity: 'error', message: `expected a values file of at most ${PACK_LIMITS.fileBytes} bytes, found ${file.text.length}` });
    return;
  }
  const out: Pending[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
  docs.forEach((yamlDoc, i) => {
    const doc = new Doc(file.path, 0, file.text, lines, yamlDoc, out);
    for (const e of yamlDoc.errors) doc.report(e.pos[0], '', 'BWD_YAML', `invalid YAML: ${e.message} (${e.code})`);
    if (yamlDoc.errors.length) return;
    const contents = doc.resolve(yamlDoc.contents);
    if (contents === undefined || (isScalar(contents) && contents.value === null)) return;
    if (i > 0 || !isMap(contents)) {
      doc.report(contents.range[0], '', 'BWD_NOT_A_MAPPING', `expected one mapping of parameter names to values (\`mount: /data\`), found ${i > 0 ? 'a second document' : describe(contents)}`);
      return;
    }
    for (const pair of contents.items) {
      const key = doc.resolve(pair.key);
      const value = doc.resolve(pair.value);
      if (!key || !isScalar(key) || typeof key.value !== 'string') {
        doc.report(key?.range[0] ?? contents.range[0], '', 'BWD_BAD_TYPE', `expected a parameter name, found ${describe(key)}`);
        continue;
      }
      const at = value?.range[0] ?? key.range[0];
      give(key.value, value && isScalar(value) ? value.value : value && isMap(value) ? {} : value ? [] : null, (code, message, suggestion) => doc.report(at, key.value as string, code, message, { suggestion }));
    }
  });
  diagnostics.push(...out.map((p) => p.diagnostic));
}
