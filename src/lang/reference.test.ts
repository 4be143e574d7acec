/**
 * Keeps docs/language.md, the language reference operators read, complete and true.
 *
 * The conventions it checks are written at the top of docs/language.md (an HTML comment), in short:
 *   - every catalogue entry (resource type; attribute, metric, traversal and environment variable
 *     per type; function; reduction; rollout parameter; unit; event field; event type; diagnostic
 *     code) has an entry in its own section: a table row whose first cell is exactly the
 *     backticked name, or a heading whose text is exactly the backticked name (resource types and
 *     diagnostic codes: a heading); and an example statement in that section that uses it;
 *   - every table row of those sections names something that exists (no stale entries);
 *   - every line of a ```breakwater block analyses with no error against the built-in catalogue
 *     plus the actions below; every line of a ```breakwater-error block has at least one error;
 *   - under each `### `BW_CODE`` heading of the Diagnostics section, every example produces that code;
 *   - a ```json block right after an ```sh block `breakwater check --json '<statement>'` is
 *     exactly what that command prints.
 * Failures name what is missing or wrong and the line of the doc, so the fix is obvious.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Catalogue, DiagnosticCode, ResourceTypeName } from './index.js';
import { BUILTIN_CATALOGUE, DIAGNOSTIC_CODES, EXAMPLE_ACTIONS, EXAMPLE_FLEET, RESOURCE_TYPES, ROLLING_PARAMS, UNITS, analyze, extendCatalogue } from './index.js';

const DOC = 'docs/language.md';
const source = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8').replace(/\r\n/g, '\n');

/** The catalogue examples are checked against: the built-in one plus the two actions the doc assumes. */
const CATALOGUE: Catalogue = extendCatalogue(BUILTIN_CATALOGUE, { actions: EXAMPLE_ACTIONS });

// ---- reading the markdown ----

interface Heading {
  readonly level: number;
  readonly text: string;
  /** 1-based line of the heading. */
  readonly line: number;
  /** 1-based line where its section ends (exclusive): the next heading of the same or a higher level. */
  readonly end: number;
}

interface Block {
  readonly info: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** 1-based line of the closing fence. */
  readonly endLine: number;
  readonly lines: readonly { readonly text: string; readonly line: number }[];
}

interface Row {
  readonly line: number;
  /** The first cell, trimmed. */
  readonly first: string;
}

interface Doc {
  readonly headings: readonly Heading[];
  readonly blocks: readonly Block[];
  readonly rows: readonly Row[];
  readonly problems: readonly string[];
}

/** Blanks out HTML comments, keeping their line breaks so line numbers stay right. */
function withoutComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
}

function readDoc(text: string): Doc {
  const lines = withoutComments(text).split('\n');
  const open: { level: number; text: string; line: number }[] = [];
  const blocks: Block[] = [];
  const rows: Row[] = [];
  const problems: string[] = [];
  let fence: { info: string; line: number; lines: { text: string; line: number }[] } | null = null;
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    const fenceMatch = /^```(.*)$/.exec(text);
    if (fence) {
      if (fenceMatch && fenceMatch[1]?.trim() === '') {
        blocks.push({ info: fence.info, line: fence.line, endLine: line, lines: fence.lines });
        fence = null;
      } else {
        fence.lines.push({ text, line });
      }
    } else if (fenceMatch) {
      fence = { info: (fenceMatch[1] ?? '').trim(), line, lines: [] };
    } else if (/^#{1,6}\s/.test(text)) {
      const [, hashes = '', title = ''] = /^(#{1,6})\s+(.*?)\s*$/.exec(text) ?? [];
      open.push({ level: hashes.length, text: title, line });
    } else if (text.startsWith('|')) {
      // Cells split on pipes that are not escaped (`\|` inside a cell is a literal pipe).
      const cells = text.split(/(?<!\\)\|/);
      rows.push({ line, first: (cells[1] ?? '').trim() });
    }
  }
  if (fence) problems.push(`${DOC}:${fence.line}: code block is never closed`);
  const headings = open.map((h, i) => {
    const next = open.slice(i + 1).find((o) => o.level <= h.level);
    return { ...h, end: next ? next.line : lines.length + 1 };
  });
  return { headings, blocks, rows, problems };
}

const doc = readDoc(source);

/** The section reached by following headings by their text, each one level deeper: `['Resource types', '`host`', 'Metrics']`. */
function section(path: readonly string[]): Heading | undefined {
  let found: Heading | undefined;
  for (const [depth, text] of path.entries()) {
    const [from, to] = found ? [found.line, found.end] : [0, Infinity];
    found = doc.headings.find((h) => h.level === depth + 2 && h.text === text && h.line > from && h.line < to);
    if (!found) return undefined;
  }
  return found;
}

const tick = (name: string) => `\`${name}\``;
const inside = (s: Heading, line: number) => line > s.line && line < s.end;
const unticked = (text: string) => /^`([^`]+)`$/.exec(text)?.[1];

/** Names entered in a section: first cells of table rows, and headings, that are exactly a backticked name. */
function entries(s: Heading, kinds: { rows: boolean; headingLevel?: number } = { rows: true }): Map<string, number> {
  const names = new Map<string, number>();
  for (const r of doc.rows) {
    const name = unticked(r.first);
    if (kinds.rows && inside(s, r.line) && name !== undefined && !names.has(name)) names.set(name, r.line);
  }
  for (const h of doc.headings) {
    const name = unticked(h.text);
    if (inside(s, h.line) && name !== undefined && (kinds.headingLevel === undefined || h.level === kinds.headingLevel) && !names.has(name)) names.set(name, h.line);
  }
  return names;
}

interface Example {
  readonly statement: string;
  readonly line: number;
  readonly expectError: boolean;
}

const EXAMPLE_INFO = new Set(['breakwater', 'breakwater-error']);

/** Example statements: every non-blank line of a `breakwater` or `breakwater-error` block. */
const examples: readonly Example[] = doc.blocks
  .filter((b) => EXAMPLE_INFO.has(b.info))
  .flatMap((b) => b.lines.filter((l) => l.text.trim() !== '').map((l) => ({ statement: l.text, line: l.line, expectError: b.info === 'breakwater-error' })));

const examplesIn = (s: Heading) => examples.filter((e) => inside(s, e.line));

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordRegex = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${escapeRegex(name)}(?![A-Za-z0-9_])`);
/** A number written with the unit: `5m`, `1.5GiB`, `80%`. */
const unitRegex = (unit: string) => new RegExp(`(?<![A-Za-z0-9_.])\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?${escapeRegex(unit)}(?![A-Za-z0-9_])`);

// ---- what the catalogue says must be there ----

type Kind = 'resource type' | 'attribute' | 'metric' | 'traversal' | 'environment variable' | 'unit' | 'function' | 'reduction' | 'rollout parameter' | 'event field' | 'event type' | 'diagnostic code';
const KINDS: readonly Kind[] = ['resource type', 'attribute', 'metric', 'traversal', 'environment variable', 'unit', 'function', 'reduction', 'rollout parameter', 'event field', 'event type', 'diagnostic code'];

interface Expectation {
  readonly kind: Kind;
  /** How it reads in a failure: `metric \`cpu_usage\` of process`. */
  readonly what: string;
  readonly name: string;
  /** Heading texts, from a `##` heading down, of the section that must have the entry. */
  readonly section: readonly string[];
  /** The section whose examples must use it (defaults to `section`). */
  readonly exampleSection?: readonly string[];
  readonly usedBy?: (statement: string) => boolean;
  /** Resource types and diagnostic codes are entered as headings, not table rows. */
  readonly headingLevel?: number;
}

const RESOURCES = 'Resource types';
const typeSection = (type: ResourceTypeName) => [RESOURCES, tick(type)];

function expectations(): Expectation[] {
  const out: Expectation[] = [];
  for (const type of RESOURCE_TYPES) {
    const spec = BUILTIN_CATALOGUE.resources[type];
    const here = typeSection(type);
    out.push({ kind: 'resource type', what: `resource type \`${type}\``, name: type, section: [RESOURCES], headingLevel: 3, exampleSection: here });
    for (const a of spec.attributes) out.push({ kind: 'attribute', what: `attribute \`${a.name}\` of ${type}`, name: a.name, section: [...here, 'Attributes'], exampleSection: here });
    for (const m of spec.metrics) out.push({ kind: 'metric', what: `metric \`${m.name}\` of ${type}`, name: m.name, section: [...here, 'Metrics'], exampleSection: here });
    for (const r of spec.related) out.push({ kind: 'traversal', what: `traversal from ${type} to \`${r}\``, name: r, section: [...here, 'Traversals'], exampleSection: here });
    for (const v of spec.env) out.push({ kind: 'environment variable', what: `environment variable \`${v}\` of ${type}`, name: v, section: [...here, 'Environment variables'], exampleSection: here });
  }
  for (const unit of Object.keys(UNITS)) {
    const pattern = unitRegex(unit);
    out.push({ kind: 'unit', what: `unit \`${unit}\``, name: unit, section: ['Units'], usedBy: (s) => pattern.test(s) });
  }
  for (const name of Object.keys(BUILTIN_CATALOGUE.functions)) out.push({ kind: 'function', what: `function \`${name}\``, name, section: ['Functions'] });
  for (const name of Object.keys(BUILTIN_CATALOGUE.reductions)) out.push({ kind: 'reduction', what: `reduction \`${name}\``, name, section: ['Reductions'] });
  for (const p of ROLLING_PARAMS) out.push({ kind: 'rollout parameter', what: `rollout parameter \`${p.name}\``, name: p.name, section: ['Rollouts'] });
  for (const f of BUILTIN_CATALOGUE.eventFields) out.push({ kind: 'event field', what: `event field \`${f.name}\``, name: f.name, section: ['Events', 'Fields'] });
  for (const t of BUILTIN_CATALOGUE.eventTypes) out.push({ kind: 'event type', what: `event type \`${t}\``, name: t, section: ['Events', 'Event types'] });
  for (const code of Object.keys(DIAGNOSTIC_CODES)) {
    out.push({ kind: 'diagnostic code', what: `diagnostic code \`${code}\``, name: code, section: ['Diagnostics'], headingLevel: 3, usedBy: () => true, exampleSection: ['Diagnostics', tick(code)] });
  }
  return out;
}

const ALL = expectations();
const sectionName = (path: readonly string[]) => path.map((p, i) => `${'#'.repeat(i + 2)} ${p}`).join(' > ');

/** Entries of the catalogue of one kind that are missing from their section, as readable lines. */
function missingEntries(kind: Kind): string[] {
  const missing: string[] = [];
  for (const e of ALL.filter((x) => x.kind === kind)) {
    const s = section(e.section);
    if (!s) {
      missing.push(`${e.what}: section "${sectionName(e.section)}" not found in ${DOC}`);
      continue;
    }
    const kinds = e.headingLevel === undefined ? { rows: true } : { rows: false, headingLevel: e.headingLevel };
    if (!entries(s, kinds).has(e.name)) {
      missing.push(`${e.what}: no ${e.headingLevel === undefined ? 'table row or heading' : `level-${e.headingLevel} heading`} \`${e.name}\` in "${sectionName(e.section)}" (${DOC}:${s.line})`);
      continue;
    }
    const exampleSection = section(e.exampleSection ?? e.section);
    const used = e.usedBy ?? ((stmt: string) => wordRegex(e.name).test(stmt));
    if (!exampleSection || !examplesIn(exampleSection).some((x) => used(x.statement))) {
      missing.push(`${e.what}: no example statement uses it in "${sectionName(e.exampleSection ?? e.section)}"`);
    }
  }
  return missing;
}

/** Table rows (or headings) of a section that name nothing the catalogue has. */
function staleEntries(path: readonly string[], known: Iterable<string>, kinds: { rows: boolean; headingLevel?: number } = { rows: true }): string[] {
  const s = section(path);
  if (!s) return [];
  const names = new Set(known);
  return [...entries(s, kinds)].filter(([name]) => !names.has(name)).map(([name, line]) => `${DOC}:${line}: \`${name}\` in "${sectionName(path)}" is not in the catalogue`);
}

// ---- the tests ----

describe(`${DOC}: the markdown is well formed`, () => {
  it('has closed code blocks and only known breakwater info strings', () => {
    const odd = doc.blocks.filter((b) => b.info.startsWith('breakwater') && !EXAMPLE_INFO.has(b.info)).map((b) => `${DOC}:${b.line}: unknown info string "${b.info}" (use breakwater or breakwater-error)`);
    expect([...doc.problems, ...odd]).toEqual([]);
  });

  it('has examples of both kinds', () => {
    expect(examples.filter((e) => !e.expectError).length).toBeGreaterThan(0);
    expect(examples.filter((e) => e.expectError).length).toBeGreaterThan(0);
  });
});

describe(`${DOC}: every catalogue entry is documented, with an example`, () => {
  it.each(KINDS)('every %s', (kind) => {
    expect(missingEntries(kind)).toEqual([]);
  });
});

describe(`${DOC}: documents nothing that does not exist`, () => {
  it('in the catalogue sections', () => {
    const stale: string[] = [];
    stale.push(...staleEntries([RESOURCES], RESOURCE_TYPES, { rows: false, headingLevel: 3 }));
    for (const type of RESOURCE_TYPES) {
      const spec = BUILTIN_CATALOGUE.resources[type];
      stale.push(...staleEntries([...typeSection(type), 'Attributes'], spec.attributes.map((a) => a.name)));
      stale.push(...staleEntries([...typeSection(type), 'Metrics'], spec.metrics.map((m) => m.name)));
      stale.push(...staleEntries([...typeSection(type), 'Traversals'], spec.related));
      stale.push(...staleEntries([...typeSection(type), 'Environment variables'], spec.env));
    }
    stale.push(...staleEntries(['Units'], Object.keys(UNITS)));
    stale.push(...staleEntries(['Functions'], Object.keys(BUILTIN_CATALOGUE.functions)));
    stale.push(...staleEntries(['Reductions'], Object.keys(BUILTIN_CATALOGUE.reductions)));
    stale.push(...staleEntries(['Rollouts'], ROLLING_PARAMS.map((p) => p.name)));
    stale.push(...staleEntries(['Events', 'Fields'], BUILTIN_CATALOGUE.eventFields.map((f) => f.name)));
    stale.push(...staleEntries(['Events', 'Event types'], BUILTIN_CATALOGUE.eventTypes));
    stale.push(...staleEntries(['Diagnostics'], Object.keys(DIAGNOSTIC_CODES), { rows: false, headingLevel: 3 }));
    expect(stale).toEqual([]);
  });
});

describe(`${DOC}: examples say what the implementation does`, () => {
  it('every ```breakwater statement checks with no error', () => {
    const wrong = examples
      .filter((e) => !e.expectError)
      .flatMap((e) => {
        const errors = analyze(e.statement, CATALOGUE).diagnostics.filter((d) => d.severity === 'error');
        return errors.length ? [`${DOC}:${e.line}: ${e.statement}\n    ${errors.map((d) => `${d.code}: ${d.message}`).join('\n    ')}`] : [];
      });
    expect(wrong).toEqual([]);
  });

  it('every ```breakwater-error statement has at least one error', () => {
    const wrong = examples.filter((e) => e.expectError && analyze(e.statement, CATALOGUE).ok).map((e) => `${DOC}:${e.line}: expected an error, but it checks: ${e.statement}`);
    expect(wrong).toEqual([]);
  });

  it('every example under a diagnostic code\'s heading produces that code', () => {
    const wrong: string[] = [];
    for (const code of Object.keys(DIAGNOSTIC_CODES)) {
      const s = section(['Diagnostics', tick(code)]);
      if (!s) continue; // reported by the completeness test
      const own = examplesIn(s);
      if (own.length === 0) wrong.push(`${DOC}:${s.line}: \`${code}\` has no example`);
      for (const e of own) {
        const codes = analyze(e.statement, CATALOGUE, () => EXAMPLE_FLEET).diagnostics.map((d) => d.code);
        if (!codes.includes(code as DiagnosticCode)) wrong.push(`${DOC}:${e.line}: expected ${code}, found ${codes.join(', ') || 'no diagnostic'}: ${e.statement}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('shows `breakwater check --json` output exactly as the CLI prints it', () => {
    const pairs: { statement: string; json: Block }[] = [];
    doc.blocks.forEach((b, i) => {
      const next = doc.blocks[i + 1];
      const commands = b.lines.filter((l) => l.text.trim() !== '');
      const command = commands.length === 1 ? /^breakwater check --json '(.*)'$/.exec(commands[0]?.text.trim() ?? '') : null;
      if (b.info !== 'sh' || !command || next?.info !== 'json') return;
      const between = source.split('\n').slice(b.endLine, next.line - 1);
      if (between.every((l) => l.trim() === '')) pairs.push({ statement: (command[1] ?? '').replace(/'\\''/g, "'"), json: next });
    });
    expect(pairs.length, 'an ```sh block `breakwater check --json \'...\'` followed by a ```json block with its output').toBeGreaterThan(0);
    for (const { statement, json } of pairs) {
      const result = analyze(statement, BUILTIN_CATALOGUE);
      const printed: unknown = JSON.parse(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, plan: result.plan ?? null }));
      expect(JSON.parse(json.lines.map((l) => l.text).join('\n')), `${DOC}:${json.line}: output of breakwater check --json '${statement}'`).toEqual(printed);
    }
  });
});
