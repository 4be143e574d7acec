import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Pending } from './fields.js';
import { Doc, Fields, describe } from './fields.js';
import type { DefinitionFile } from './parse.js';
import type { PackParameter, PackParamType } from './pack-values.js';
import { PACK_LIMITS, PACK_PARAM_TYPES, checkPackValue, patternProblem } from './pack-values.js';
import type { DefinitionDiagnostic } from './types.js';

/*
 * A pack's manifest, `packs/<name>/pack.yaml` (the layout: docs/packs.md): its name, version,
 * what it fixes and replaces, and its parameters, each checked with the same diagnostics as a
 * definition (file, line, column, field, code, expected vs found).
 */

/** A pack's manifest, checked. */
export interface PackManifest {
  readonly name: string;
  /** Semver: `1.0.0`, `1.2.0-rc.1`. */
  readonly version: string;
  readonly description: string;
  /** The band-aid it replaces (the cron job, the hand-run loop). */
  readonly replaces: string;
  readonly parameters: readonly PackParameter[];
}

/** The file name of a pack's manifest; the definitions of a pack are its other `*.yaml` files. */
export const PACK_MANIFEST_FILE = 'pack.yaml';
/** A pack's name: lowercase letters, digits and dashes. */
export const PACK_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const SEMVER = /^(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})\.(?:0|[1-9]\d{0,8})(?:-[0-9A-Za-z.-]{1,64})?$/;
const PARAM_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const MANIFEST_FIELDS = ['kind', 'name', 'version', 'description', 'replaces', 'parameters'];
const PARAMETER_FIELDS = ['name', 'type', 'default', 'description', 'pattern', 'min', 'max'];

/** `disk-full-logs@1.0.0`: how definitions name the pack they came from. */
export const packRef = (m: Pick<PackManifest, 'name' | 'version'>): string => `${m.name}@${m.version}`;

/**
 * Reads and checks a pack's manifest. `folder`, when given, is the pack's folder name, which the
 * manifest's `name` must equal (so `pack install NAME` finds what it names). Never throws: the
 * manifest is undefined whenever there is an error diagnostic.
 *
 * @example
 * const { manifest, diagnostics } = readPackManifest({ path: 'packs/disk-full-logs/pack.yaml', text }, 'disk-full-logs');
 */
export function readPackManifest(file: DefinitionFile, folder?: string): { manifest?: PackManifest; diagnostics: DefinitionDiagnostic[] } {
  const out: Pending[] = [];
  const diagnostics = () => out.map((p) => p.diagnostic);
  const lines = new LineCounter();
  if (file.text.length > PACK_LIMITS.fileBytes) {
    return { diagnostics: [{ file: file.path, line: 1, column: 1, field: '', code: 'BWD_PACK_TOO_LARGE', severity: 'error', message: `expected a manifest of at most ${PACK_LIMITS.fileBytes} bytes, found ${file.text.length}` }] };
  }
  const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
  const yamlDoc = docs[0];
  if (!yamlDoc || docs.length !== 1) {
    return { diagnostics: [{ file: file.path, line: 1, column: 1, field: '', code: 'BWD_PACK_MANIFEST', severity: 'error', message: `expected one YAML document (\`kind: pack\`, name, version, ...), found ${docs.length}` }] };
  }
  const doc = new Doc(file.path, 0, file.text, lines, yamlDoc, out);
  for (const e of yamlDoc.errors) doc.report(e.pos[0], '', 'BWD_YAML', `invalid YAML: ${e.message} (${e.code})`);
  if (yamlDoc.errors.length) return { diagnostics: diagnostics() };
  const contents = doc.resolve(yamlDoc.contents);
  if (!contents || !isMap(contents)) {
    doc.report(contents?.range[0] ?? 0, '', 'BWD_PACK_MANIFEST', `expected a manifest (a mapping with \`kind: pack\`, name, version, description, replaces, parameters), found ${describe(contents)}`);
    return { diagnostics: diagnostics() };
  }
  const f = new Fields(doc, contents, '', contents.range[0]);
  f.allow(MANIFEST_FIELDS, 'a pack manifest');
  const kind = f.string('kind', '`pack`', true);
  if (kind !== undefined && kind !== 'pack') f.bad('kind', 'BWD_PACK_MANIFEST', `expected \`kind: pack\` in ${file.path}, found ${JSON.stringify(kind)}`);
  const name = f.string('name', 'the pack\'s name (lowercase letters, digits and dashes)', true);
  if (name !== undefined && !PACK_NAME.test(name)) f.bad('name', 'BWD_BAD_NAME', `expected a pack name: a lowercase letter, then up to 62 lowercase letters, digits or \`-\`; found ${JSON.stringify(name.slice(0, 80))}`);
  else if (name !== undefined && folder !== undefined && name !== folder) f.bad('name', 'BWD_PACK_MANIFEST', `expected the pack's name to be its folder's, ${JSON.stringify(folder)}, found ${JSON.stringify(name)}`);
  const version = versionOf(f);
  const description = f.string('description', 'one line: what the pack fixes', true, { nonEmpty: true });
  const replaces = f.string('replaces', 'one line: the band-aid it replaces (the cron job, the hand-run loop)', true, { nonEmpty: true });
  const parameters = readParameters(f);
  if (doc.errors || name === undefined || version === undefined || description === undefined || replaces === undefined) return { diagnostics: diagnostics() };
  return { manifest: { name, version, description, replaces, parameters }, diagnostics: diagnostics() };
}

function versionOf(f: Fields): string | undefined {
  const n = f.node('version');
  // `version: 1.0` is a YAML number: take its text, and let the semver check say what is wrong.
  const text = n !== undefined && isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.source ?? n.value) : undefined;
  if (n === undefined) f.missing('version', 'a semantic version such as 1.0.0');
  else if (text === undefined || !SEMVER.test(text)) f.bad('version', 'BWD_BAD_VALUE', `expected a semantic version such as 1.0.0, found ${describe(n)}`);
  else return text;
  return undefined;
}

function readParameters(f: Fields): PackParameter[] {
  const n = f.node('parameters');
  if (n === undefined) return [];
  if (!isSeq(n)) {
    f.bad('parameters', 'BWD_BAD_TYPE', `expected a list of parameters (each \`- name: ...\`, type, default, description), found ${describe(n)}`);
    return [];
  }
  if (n.items.length > PACK_LIMITS.parameters) {
    f.bad('parameters', 'BWD_PACK_TOO_LARGE', `expected at most ${PACK_LIMITS.parameters} parameters, found ${n.items.length}`);
    return [];
  }
  const params: PackParameter[] = [];
  n.items.forEach((raw, i) => {
    const item = f.doc.resolve(raw);
    const path = `parameters.${i}`;
    if (!item || !isMap(item)) {
      f.doc.report(item?.range[0] ?? n.range[0], path, 'BWD_NOT_A_MAPPING', `expected a parameter (a mapping with name, type, description), found ${describe(item)}`);
      return;
    }
    const p = new Fields(f.doc, item, path, item.range[0]);
    const param = readParameter(p);
    if (!param) return;
    if (params.some((q) => q.name === param.name)) p.bad('name', 'BWD_DUPLICATE', `parameter \`${param.name}\` is declared twice; names are unique in a pack`);
    else params.push(param);
  });
  return params;
}

function readParameter(p: Fields): PackParameter | undefined {
  p.allow(PARAMETER_FIELDS, 'a pack parameter');
  const name = p.string('name', 'a parameter name: a lowercase letter, then lowercase letters, digits or `_`', true);
  if (name !== undefined && !PARAM_NAME.test(name)) p.bad('name', 'BWD_BAD_NAME', `expected a parameter name: a lowercase letter, then up to 62 lowercase letters, digits or \`_\`; found ${JSON.stringify(name.slice(0, 80))}`);
  const type = p.oneOf<PackParamType>('type', PACK_PARAM_TYPES, undefined);
  const description = p.string('description', 'what the parameter means (one line)', true, { nonEmpty: true });
  const pattern = p.string('pattern', 'an anchored regular expression such as `^/[a-z/]*$`', false);
  if (pattern !== undefined && type !== 'string') p.badKey('pattern', 'BWD_CONFLICT', `\`pattern\` applies to string parameters only; this one is ${type ?? 'not a string'}`);
  const problem = pattern === undefined ? undefined : patternProblem(pattern);
  if (problem) p.bad('pattern', 'BWD_BAD_VALUE', problem);
  const bounds = readBounds(p, type);
  if (name === undefined || !PARAM_NAME.test(name) || type === undefined || description === undefined || problem || !bounds) return undefined;
  const declared = { name, type, description, ...(pattern !== undefined && type === 'string' ? { pattern } : {}), ...bounds };
  const d = p.node('default');
  if (d === undefined) return declared;
  const checked = checkPackValue(declared, isScalar(d) ? d.value : isSeq(d) ? [] : {});
  if (checked.problem !== undefined) {
    p.bad('default', 'BWD_BAD_DEFAULT', `the default of \`${name}\`: ${checked.problem}`);
    return undefined;
  }
  return { ...declared, default: checked.value };
}

/** `min` and `max` of a number or integer parameter (each optional, min ≤ max); undefined when they are wrong. */
function readBounds(p: Fields, type: PackParamType | undefined): { min?: number; max?: number } | undefined {
  const bounds: { min?: number; max?: number } = {};
  let ok = true;
  for (const key of ['min', 'max'] as const) {
    const n = p.node(key);
    if (n === undefined) continue;
    if (type !== 'number' && type !== 'integer') {
      p.badKey(key, 'BWD_CONFLICT', `\`${key}\` applies to number and integer parameters only; this one is ${type ?? 'of no type'}`);
      ok = false;
    } else if (!isScalar(n) || typeof n.value !== 'number' || !Number.isFinite(n.value)) {
      p.bad(key, 'BWD_BAD_TYPE', `expected a number, found ${describe(n)}`);
      ok = false;
    } else bounds[key] = n.value;
  }
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    p.bad('max', 'BWD_BAD_VALUE', `expected \`max\` of at least \`min\` (${bounds.min}), found ${bounds.max}`);
    ok = false;
  }
  return ok ? bounds : undefined;
}
