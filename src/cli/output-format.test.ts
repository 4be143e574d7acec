import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BreakwaterError } from '../protocol/index.js';
import { outputFormatOf, yamlDocuments } from './output-format.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

describe('outputFormatOf', () => {
  it('is table by default, and --json is -o json', () => {
    expect(outputFormatOf({})).toBe('table');
    expect(outputFormatOf({ json: true })).toBe('json');
    expect(outputFormatOf({ output: 'json', json: true })).toBe('json');
    expect(outputFormatOf({ output: 'name' })).toBe('name');
  });

  it('refuses --json with another format, and any unknown format, naming the valid ones', () => {
    expect(() => outputFormatOf({ output: 'yaml', json: true })).toThrow('--json is -o json: it cannot go with -o yaml');
    const err = (() => {
      try {
        outputFormatOf({ output: 'xml' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BreakwaterError);
    expect((err as BreakwaterError).code).toBe('BW_ERR_CONFIG');
    expect((err as BreakwaterError).message).toBe('-o: expected one of table, json, yaml, wide, name, found "xml"');
  });
});

describe('yamlDocuments', () => {
  const back = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);

  it('quotes the strings YAML would read as something else', async () => {
    const tricky = ['yes', 'no', 'null', '~', 'true', '123', '0x1F', '1e3', '- a', 'a: b', '#x', ' padded ', 'two\nlines', '', '---', '@at', '`tick`', "'q'", '"dq"', '%x', '*ref', '&anchor', '!tag', '{a}', '[1]', 'é ✓ 😀'];
    const text = await yamlDocuments([{ tricky }]);
    expect(back(text)).toEqual([{ tricky }]);
    expect(text).toContain('- "yes"');
  });

  it('reads back the same with a YAML 1.1 reader: yes, on, 1:20, 1_000, 0o17 stay strings, as keys too', async () => {
    const oneOne = ['yes', 'On', 'y', 'n', '1:20', '1_000', '0o17', '0b101', '2001-12-14', '+12', '.NaN', 'plain words'];
    const value = { list: oneOne, [oneOne[0] as string]: 'key', nested: { on: 'off' } };
    const text = await yamlDocuments([value]);
    for (const version of ['1.1', '1.2'] as const) expect(parseAllDocuments(text, { version }).map((d) => d.toJS() as unknown)).toEqual([value]);
    // Only where needed: a plain word stays plain.
    expect(text).toContain('  - plain words\n');
  });

  it('reads back as the JSON it came from, for any JSON value, one document each, in YAML 1.2 and 1.1', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }), async (values) => {
        // Through JSON first: what the CLI prints is JSON data (no -0, no undefined).
        const data = JSON.parse(JSON.stringify(values)) as unknown[];
        const text = await yamlDocuments(data);
        expect(JSON.stringify(back(text))).toBe(JSON.stringify(data));
        expect(JSON.stringify(parseAllDocuments(text, { version: '1.1', logLevel: 'silent' }).map((d) => d.toJS() as unknown))).toBe(JSON.stringify(data));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
