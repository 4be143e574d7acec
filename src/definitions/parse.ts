import { LineCounter, isMap, isScalar, parseAllDocuments } from 'yaml';
import type { Catalogue } from '../lang/index.js';
import { closest } from '../lang/index.js';
import type { Pending } from './fields.js';
import { Doc, Fields, describe } from './fields.js';
import { describeNameRule, fixName, nameRule, reservedNames, withArticle } from './rules.js';
import type { Raw } from './set-context.js';
import { checkSet } from './set-checker.js';
import type { Definition, DefinitionDiagnostic, DefinitionKind } from './types.js';
import { DEFINITION_KINDS } from './types.js';

/*
 * The document level of a definition set: YAML documents, their `kind` and
 * `name`, and names defined twice. What each kind's fields mean is checked by
 * set-checker.ts and the `*-kind.ts` files.
 */

export interface DefinitionFile {
  /** Where it came from, as diagnostics should name it: `defs/alarms/disk.yaml`. */
  readonly path: string;
  readonly text: string;
}

export interface ParseResult {
  /**
   * The checked definitions, in file and document order. Empty whenever there
   * is an error diagnostic: a set is applied whole or not at all.
   */
  readonly definitions: Definition[];
  /** The base catalogue extended with the set's actions and custom metrics (also when there are errors, for editors). */
  readonly catalogue: Catalogue;
  /** Every problem found, errors and warnings, in file order then position. */
  readonly diagnostics: DefinitionDiagnostic[];
}

/**
 * Parses and checks a set of definition files (YAML, several documents per
 * file allowed) against the language catalogue `base`, usually
 * BUILTIN_CATALOGUE. Never throws on bad input: every problem is a diagnostic
 * with file, line, column, field and a stable `BWD_*` code.
 *
 * The set's actions and custom metrics are added to the catalogue first, so
 * alarms, schedules and files may use them. `definitions` is only returned
 * when there are no errors: nothing partial.
 *
 * @example
 * const { definitions, diagnostics } = parseDefinitions([{ path: 'defs/disk.yaml', text }], BUILTIN_CATALOGUE);
 */
export function parseDefinitions(files: readonly DefinitionFile[], base: Catalogue): ParseResult {
  const pending: Pending[] = [];
  const raws: Raw[] = [];
  files.forEach((file, index) => readDocuments(file, index, base, pending, raws));
  markDuplicates(raws);
  const { definitions, catalogue } = checkSet(base, raws.filter((r) => !r.duplicate));
  const diagnostics = pending
    .sort((a, b) => a.fileIndex - b.fileIndex || a.offset - b.offset)
    .map((p) => p.diagnostic);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { definitions: failed ? [] : definitions, catalogue, diagnostics };
}

function readDocuments(file: DefinitionFile, fileIndex: number, base: Catalogue, out: Pending[], raws: Raw[]): void {
  const lines = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
  for (const yamlDoc of docs) {
    const doc = new Doc(file.path, fileIndex, file.text, lines, yamlDoc, out);
    for (const e of yamlDoc.errors) {
      const hint = e.code === 'BAD_SCALAR_START' ? '; put the value in quotes' : e.code === 'DUPLICATE_KEY' ? '; each field may appear once per definition' : '';
      doc.report(e.pos[0], '', 'BWD_YAML', `invalid YAML: ${e.message} (${e.code})${hint}`);
    }
    for (const w of yamlDoc.warnings) doc.report(w.pos[0], '', 'BWD_YAML', `YAML: ${w.message} (${w.code})`, { severity: 'warning' });
    if (yamlDoc.errors.length) continue;
    const contents = doc.resolve(yamlDoc.contents);
    if (contents === undefined || (isScalar(contents) && contents.value === null)) continue; // an empty document, e.g. after a trailing `---`
    if (!isMap(contents)) {
      doc.report(contents.range[0], '', 'BWD_NOT_A_MAPPING', `expected a definition (a mapping with \`kind\`, \`name\` and its fields), found ${describe(contents)}`);
      continue;
    }
    const fields = new Fields(doc, contents, '', contents.range[0]);
    const kind = readKind(fields);
    if (kind === undefined) continue;
    const line = doc.line(fields.keyAt('kind'));
    const name = readName(fields, kind, base);
    raws.push({ doc, fields, kind, name, nameAt: fields.where('name'), line, duplicate: false });
  }
}

function readKind(f: Fields): DefinitionKind | undefined {
  const expected = `one of ${DEFINITION_KINDS.map((k) => `\`${k}\``).join(', ')}`;
  const kind = f.string('kind', expected, true);
  if (kind === undefined) return undefined;
  if ((DEFINITION_KINDS as readonly string[]).includes(kind)) return kind as DefinitionKind;
  const suggestion = closest(kind, DEFINITION_KINDS) ?? (kind.endsWith('s') ? closest(kind.slice(0, -1), DEFINITION_KINDS) : undefined);
  f.bad('kind', 'BWD_UNKNOWN_KIND', `unknown kind ${JSON.stringify(kind)}: expected ${expected}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
  return undefined;
}

function readName(f: Fields, kind: DefinitionKind, base: Catalogue): string | undefined {
  const name = f.string('name', `a name: ${describeNameRule(kind)}`, true);
  if (name === undefined) return undefined;
  if (!nameRule(kind).test(name)) {
    const suggestion = fixName(kind, name);
    f.bad('name', 'BWD_BAD_NAME', `expected ${withArticle(kind)} name: ${describeNameRule(kind)}; found ${JSON.stringify(name)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
    return undefined;
  }
  if (kind === 'action' || kind === 'metric') {
    const taken = reservedNames(base, kind).get(name);
    if (taken) {
      f.bad('name', 'BWD_RESERVED_NAME', `${withArticle(kind)} cannot be named \`${name}\`: that is ${taken}, so statements could not tell them apart`);
      return undefined;
    }
  }
  return name;
}

function markDuplicates(raws: Raw[]): void {
  const seen = new Map<string, Raw>();
  for (const r of raws) {
    if (r.name === undefined) continue;
    const key = `${r.kind}/${r.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      continue;
    }
    r.duplicate = true;
    const there = `${first.doc.file}:${first.doc.line(first.nameAt)}`;
    const here = `${r.doc.file}:${r.doc.line(r.nameAt)}`;
    r.doc.report(r.nameAt, 'name', 'BWD_DUPLICATE', `${r.kind} \`${r.name}\` is defined twice: at ${there} and at ${here}; names are unique per kind`);
  }
}
