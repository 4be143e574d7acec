import type { Document, Scalar, YAMLMap } from 'yaml';
import { LineCounter, isMap, isScalar, parseAllDocuments, visit } from 'yaml';
import { closest } from '../lang/index.js';
import type { Pending } from './fields.js';
import { Doc } from './fields.js';
import type { PackManifest } from './pack-manifest.js';
import { packRef } from './pack-manifest.js';
import type { PackValue } from './pack-values.js';
import { PACK_LIMITS } from './pack-values.js';
import type { DefinitionFile } from './parse.js';
import type { DefinitionDiagnostic } from './types.js';

/*
 * Rendering a pack: its files parsed as YAML first, then `{{ params.NAME }}` placeholders replaced
 * inside string scalars of the parsed documents, never in the text. A value therefore cannot end
 * a string, start a second document or set another field, whatever it holds: the YAML writer
 * quotes it as the value of the one scalar it replaces (docs/design-decisions.md, "Packs").
 */

/** A rendered pack: its definition files (each definition tagged `pack: name@version`) and its runbooks, one file each. */
export interface RenderedPack {
  readonly files: DefinitionFile[];
  readonly runbooks: DefinitionFile[];
}

/** `{{ params.NAME }}`, spaces inside the braces optional. */
const PLACEHOLDER = /\{\{\s*params\.([A-Za-z0-9_]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*params\.([A-Za-z0-9_]+)\s*\}\}$/;
/** Anything that starts like a placeholder: counted against PLACEHOLDER to find malformed ones. */
const OPENER = /\{\{\s*params\b/g;

/**
 * Substitutes `values` into the pack's files (everything but pack.yaml) and tags each definition
 * with the pack's name and version. Never throws: problems (an unknown or malformed placeholder, a
 * placeholder in a key or left unquoted, a definition setting `pack` itself) are diagnostics with
 * file, line and column, and then nothing is rendered.
 *
 * @example
 * const { rendered, diagnostics } = renderPack(manifest, [{ path: 'disk-full-logs/disk.yaml', text }], values);
 */
export function renderPack(manifest: PackManifest, files: readonly DefinitionFile[], values: Readonly<Record<string, PackValue>>): { rendered?: RenderedPack; diagnostics: DefinitionDiagnostic[] } {
  const out: Pending[] = [];
  const rendered: RenderedPack = { files: [], runbooks: [] };
  if (files.length > PACK_LIMITS.files) {
    return { diagnostics: [{ file: files[0]?.path ?? manifest.name, line: 1, column: 1, field: '', code: 'BWD_PACK_TOO_LARGE', severity: 'error', message: `expected at most ${PACK_LIMITS.files} files in pack ${manifest.name}, found ${files.length}` }] };
  }
  files.forEach((file, fileIndex) => {
    if (file.text.length > PACK_LIMITS.fileBytes) {
      out.push({ fileIndex, offset: 0, diagnostic: { file: file.path, line: 1, column: 1, field: '', code: 'BWD_PACK_TOO_LARGE', severity: 'error', message: `expected a pack file of at most ${PACK_LIMITS.fileBytes} bytes, found ${file.text.length}` } });
      return;
    }
    const lines = new LineCounter();
    const definitions: string[] = [];
    for (const yamlDoc of parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false })) {
      const doc = new Doc(file.path, fileIndex, file.text, lines, yamlDoc, out);
      for (const e of yamlDoc.errors) doc.report(e.pos[0], '', 'BWD_YAML', `invalid YAML: ${e.message} (${e.code})`);
      if (yamlDoc.errors.length) continue;
      substitute(yamlDoc, doc, manifest, values);
      const text = tag(yamlDoc, doc, manifest);
      if (text === undefined) continue;
      if (text.runbook) rendered.runbooks.push({ path: file.path, text: text.yaml });
      else definitions.push(text.yaml.startsWith('---') ? text.yaml : `---\n${text.yaml}`);
    }
    if (definitions.length) rendered.files.push({ path: file.path, text: definitions.join('') });
  });
  const diagnostics = out.sort((a, b) => a.fileIndex - b.fileIndex || a.offset - b.offset).map((p) => p.diagnostic);
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { rendered, diagnostics };
}

/** Replaces the placeholders of every string scalar in the document, in place. */
function substitute(yamlDoc: Document.Parsed, doc: Doc, manifest: PackManifest, values: Readonly<Record<string, PackValue>>): void {
  const known = manifest.parameters.map((p) => p.name);
  visit(yamlDoc, {
    Map(_, node) {
      const name = unquotedPlaceholder(node);
      if (name !== undefined) doc.report(node.range?.[0] ?? 0, '', 'BWD_PACK_PLACEHOLDER', `\`{{ params.${name} }}\` unquoted is a YAML mapping, not a placeholder: put it in quotes, '{{ params.${name} }}'`);
    },
    Scalar(key, node) {
      if (typeof node.value !== 'string') return;
      const text = node.value;
      const at = node.range?.[0] ?? 0;
      const openers = text.match(OPENER)?.length ?? 0;
      if (openers === 0) return;
      const found = [...text.matchAll(PLACEHOLDER)];
      if (key === 'key') {
        doc.report(at, '', 'BWD_PACK_PLACEHOLDER', `placeholders go in values, not in keys: found ${JSON.stringify(text.slice(0, 80))}`);
        return;
      }
      if (found.length !== openers) {
        doc.report(at, '', 'BWD_PACK_PLACEHOLDER', `expected placeholders written \`{{ params.NAME }}\` (NAME a parameter of the pack), found ${JSON.stringify(text.slice(0, 80))}`);
        return;
      }
      let missing = false;
      for (const m of found) {
        const name = m[1] as string;
        if (values[name] !== undefined && known.includes(name)) continue;
        missing = true;
        const suggestion = closest(name, known);
        doc.report(doc.offsetIn(node as Scalar.Parsed, m.index), '', 'BWD_PACK_UNKNOWN_PARAM', `\`{{ params.${name} }}\` names no parameter of pack ${manifest.name}: ${known.length ? `expected one of ${known.map((k) => `\`${k}\``).join(', ')}` : 'it declares none'}${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, { suggestion });
      }
      if (missing) return;
      const whole = WHOLE.exec(text);
      if (whole) {
        const typed = (values[whole[1] as string] as PackValue).typed;
        // A number or boolean is written plain; a string keeps its quoting style where the writer can.
        if (typeof typed !== 'string') node.type = 'PLAIN';
        node.value = typed;
      } else node.value = text.replace(PLACEHOLDER, (_, name: string) => (values[name] as PackValue).text);
    },
  });
}

/** `key: {{ params.x }}` reads as the mapping `{ { params.x: null }: null }`: the name, when a mapping is that. */
function unquotedPlaceholder(node: YAMLMap): string | undefined {
  if (!node.flow || node.items.length !== 1) return undefined;
  const inner = node.items[0]?.key;
  if (!isMap(inner) || inner.items.length !== 1) return undefined;
  const k = inner.items[0]?.key;
  return isScalar(k) && typeof k.value === 'string' && /^params\.[A-Za-z0-9_]*$/.test(k.value) ? k.value.slice('params.'.length) : undefined;
}

/** The document as text, a definition tagged with the pack; undefined for an empty document or a problem. */
function tag(yamlDoc: Document.Parsed, doc: Doc, manifest: PackManifest): { yaml: string; runbook: boolean } | undefined {
  const contents = yamlDoc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return undefined;
  const kindNode: unknown = isMap(contents) ? contents.get('kind', true) : undefined;
  const kind = isScalar(kindNode) ? kindNode.value : undefined;
  if (kind === 'pack') {
    doc.report(contents.range[0], 'kind', 'BWD_PACK_MANIFEST', 'only pack.yaml is `kind: pack`; the other files of a pack hold definitions and runbooks');
    return undefined;
  }
  if (isMap(contents) && kind !== 'runbook') {
    if (contents.has('pack')) {
      doc.report(contents.range[0], 'pack', 'BWD_PACK_MANIFEST', `a pack's definitions do not set \`pack\`: \`breakwater pack install\` writes it (${packRef(manifest)})`);
      return undefined;
    }
    yamlDoc.set('pack', packRef(manifest));
  }
  try {
    return { yaml: yamlDoc.toString({ lineWidth: 0 }), runbook: kind === 'runbook' };
  } catch (err) {
    doc.report(contents.range[0], '', 'BWD_YAML', `cannot write the rendered document: ${(err as Error).message}`);
    return undefined;
  }
}
