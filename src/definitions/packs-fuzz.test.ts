import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PackManifest } from './index.js';
import { DEFINITION_DIAGNOSTIC_CODES, readPackManifest, renderPack, resolvePackValues } from './index.js';

/*
 * Hostile values, manifests and pack files: never a throw, every problem a catalogued diagnostic,
 * and an accepted value lands in its own scalar only (no second document, no other field).
 */

const pack = (pattern: string): PackManifest => {
  const r = readPackManifest({ path: 'p/pack.yaml', text: `kind: pack\nname: p\nversion: 1.0.0\ndescription: d\nreplaces: r\nparameters:\n  - name: v\n    type: string\n    default: x\n    description: d\n${pattern ? `    pattern: '${pattern}'\n` : ''}  - name: n\n    type: integer\n    default: 1\n    description: d\n` }, 'p');
  return r.manifest as PackManifest;
};

const FILE = `kind: action
name: act
description: '{{ params.v }}'
command: |
  echo "$x" {{ params.v }}
params:
  x: { type: string, default: '-{{ params.v }}-' }
timeout: '{{ params.n }}s'
`;

/** Strings heavy in what breaks YAML and shells. */
const hostile = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...'\'"`$(){}[]|&;<>#:*&!%@,?-\n\r\t\\ \u0000 {{params.v}}---...'.split('')), maxLength: 60 }),
  fc.constantFrom('$(rm -rf /)', "x'\n---\nkind: action", '{{ params.n }}', ': a', '- b', '&a', '*a', '!!js/function', '"', "'", '|\n  x', '\u2028', '\ufeff'),
);

const codes = new Set(Object.keys(DEFINITION_DIAGNOSTIC_CODES));

describe('packs under hostile input', () => {
  it('a value is refused or lands only in its own scalars', () => {
    const strict = pack('');
    const loose = pack('^.*$');
    fc.assert(
      fc.property(hostile, fc.boolean(), (value, permissive) => {
        const manifest = permissive ? loose : strict;
        const resolved = resolvePackValues(manifest, { sets: [`v=${value}`] });
        for (const d of resolved.diagnostics) expect(codes.has(d.code)).toBe(true);
        if (!resolved.values) {
          expect(resolved.diagnostics.length).toBeGreaterThan(0);
          return;
        }
        // The default pattern lets nothing through that a shell or YAML would read specially.
        if (!permissive) expect(value).toMatch(/^(?:[A-Za-z0-9_./:@%+=,][A-Za-z0-9_./:@%+=,-]*)?$/);
        expect(value).not.toMatch(/[\u0000-\u001f\u007f]/);
        const r = renderPack(manifest, [{ path: 'p/a.yaml', text: FILE }], resolved.values);
        expect(r.diagnostics).toEqual([]);
        const docs = parseAllDocuments(r.rendered?.files[0]?.text ?? '');
        expect(docs).toHaveLength(1);
        expect(docs[0]?.errors).toEqual([]);
        const js = docs[0]?.toJS() as Record<string, unknown>;
        expect(Object.keys(js).sort()).toEqual(['command', 'description', 'kind', 'name', 'pack', 'params', 'timeout']);
        expect(js).toEqual({ kind: 'action', name: 'act', description: value, command: `echo "$x" ${value}\n`, params: { x: { type: 'string', default: `-${value}-` } }, timeout: '1s', pack: 'p@1.0.0' });
      }),
      { seed: 1616, numRuns: 400 },
    );
  });

  it('hostile manifests never throw and fail with catalogued diagnostics', () => {
    const valid = 'kind: pack\nname: p\nversion: 1.0.0\ndescription: d\nreplaces: r\nparameters:\n  - name: v\n    type: string\n    default: x\n    description: d\n    pattern: "^[a-z]*$"\n';
    const mutated = fc.tuple(fc.nat(valid.length), fc.nat(12), hostile).map(([at, cut, insert]) => valid.slice(0, at) + insert + valid.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(mutated, hostile, fc.string({ maxLength: 400 })), (text) => {
        const r = readPackManifest({ path: 'p/pack.yaml', text }, 'p');
        for (const d of r.diagnostics) expect(codes.has(d.code), d.code).toBe(true);
        if (!r.manifest) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      }),
      { seed: 1617, numRuns: 400 },
    );
  });

  it('hostile pack files never throw: rendered, or refused with diagnostics', () => {
    const manifest = pack('');
    const values = resolvePackValues(manifest, {}).values ?? {};
    const mutated = fc.tuple(fc.nat(FILE.length), fc.nat(12), hostile).map(([at, cut, insert]) => FILE.slice(0, at) + insert + FILE.slice(at + cut));
    fc.assert(
      fc.property(fc.array(fc.oneof(mutated, hostile), { minLength: 1, maxLength: 3 }), (texts) => {
        const r = renderPack(manifest, texts.map((text, i) => ({ path: `p/${i}.yaml`, text })), values);
        for (const d of r.diagnostics) expect(codes.has(d.code), d.code).toBe(true);
        if (!r.rendered) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      }),
      { seed: 1618, numRuns: 300 },
    );
  });
});
