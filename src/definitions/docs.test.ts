import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { DefinitionKind } from './index.js';
import { DEFINITION_DIAGNOSTIC_CODES, DEFINITION_KINDS, KIND_FIELDS, formatDefinitionDiagnostic, parseDefinitions } from './index.js';
import { COMMON_FIELDS, PARAM_FIELDS } from './rules.js';

/*
 * docs/definitions.md is the reference for definition files; this keeps it
 * true to the implementation (the conventions are in its header comment).
 */

const DOC = readFileSync(fileURLToPath(new URL('../../docs/definitions.md', import.meta.url)), 'utf8');

/** The text from a `## ` heading to the next one. */
function section(heading: string): string {
  const start = DOC.indexOf(`\n## ${heading}\n`);
  expect(start, `section ## ${heading}`).toBeGreaterThan(0);
  const next = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, next < 0 ? undefined : next);
}

/** First cells of each table in the text, as backticked names. */
function tables(text: string): string[][] {
  const out: string[][] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) {
      current = [];
      out.push(current);
      continue; // the header row
    }
    const cell = /^\|\s*`([^`]+)`/.exec(line)?.[1];
    if (cell !== undefined) current.push(cell);
  }
  return out;
}

const blocks = (text: string, info: string) => [...text.matchAll(new RegExp('```' + info + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

describe('docs/definitions.md', () => {
  it('has examples that parse, all together, with no diagnostic', () => {
    const yaml = blocks(DOC, 'yaml');
    expect(yaml.length).toBeGreaterThanOrEqual(6);
    const r = parseDefinitions(yaml.map((text, i) => ({ path: `docs-example-${i + 1}.yaml`, text })), BUILTIN_CATALOGUE);
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    expect(new Set(r.definitions.map((d) => d.kind))).toEqual(new Set(DEFINITION_KINDS));
  });

  it('lists every field of every kind, in order, and nothing else', () => {
    expect(tables(section('Files and documents'))[0]).toEqual([...COMMON_FIELDS]);
    for (const kind of DEFINITION_KINDS as readonly DefinitionKind[]) {
      expect(tables(section(`\`${kind}\``))[0], kind).toEqual([...KIND_FIELDS[kind]]);
    }
    expect(tables(section('`action`'))[1]).toEqual([...PARAM_FIELDS]);
  });

  it('lists every diagnostic code, with an example of each', () => {
    const text = section('Diagnostic codes');
    expect(tables(text)[0]).toEqual(Object.keys(DEFINITION_DIAGNOSTIC_CODES));
    const examples = blocks(text, 'text').join('\n');
    for (const code of Object.keys(DEFINITION_DIAGNOSTIC_CODES)) expect(examples, code).toContain(`[${code}]`);
  });
});
