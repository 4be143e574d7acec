import { describe, expect, it } from 'vitest';
import { DiagnosticBag, lex } from '../lang/index.js';
import { paramRefs, quoteString, runbookFromYaml, runbookToYaml, substituteParams } from './runbooks.js';

describe('runbook parameters', () => {
  it('replaces $name by a string literal outside strings and commands', () => {
    const r = substituteParams('host | name = $host | `echo $host $BW_HOST` | "$host"', ['host'], { host: 'web-1' });
    expect(r).toEqual({ ok: true, statement: 'host | name = "web-1" | `echo $host $BW_HOST` | "$host"' });
  });

  it('finds every $name outside strings and commands, with its place, declared or not', () => {
    const text = 'host | name = $host | svc = $service_2 | "$a" | \'$b\' | `echo $c` | $ | $1';
    expect(paramRefs(text)).toEqual([
      { name: 'host', start: 14, end: 19 },
      { name: 'service_2', start: 28, end: 38 },
    ]);
    // An unclosed string ends at the line break; what follows is a pipeline again.
    expect(paramRefs('"open\n$host').map((r) => r.name)).toEqual(['host']);
  });

  it('a value can never break out of the string literal', () => {
    for (const v of ['a"b', 'a\\', '\\"', '" | `rm -rf /` | "', "it's", 'x\\n']) {
      const source = `name = ${quoteString(v)}`;
      const bag = new DiagnosticBag(source);
      const tokens = lex(source, bag).filter((t) => t.kind !== 'eof');
      expect(bag.hasErrors).toBe(false);
      expect(tokens).toHaveLength(3);
      expect(tokens[2]?.value).toBe(v);
      expect(tokens[2]?.kind).toBe('string');
    }
  });

  it('refuses values with line breaks and missing values', () => {
    expect(substituteParams('name = $host', ['host'], { host: 'a\nb' })).toMatchObject({ ok: false, error: expect.stringContaining('line break') });
    expect(substituteParams('name = $host', ['host'], {})).toMatchObject({ ok: false, error: 'parameter $host has no value' });
    expect(() => quoteString('a\rb')).toThrow(/line break/);
    expect(substituteParams('name = $other', ['host'], {})).toEqual({ ok: true, statement: 'name = $other' });
  });

  it('YAML round trip with kind: runbook', () => {
    const rb = { name: 'disk-full', description: 'When /data fills up', params: ['host'], cells: [{ kind: 'markdown' as const, text: '# Disk\n\nCheck it.\n' }, { kind: 'pipeline' as const, text: 'host | name = $host | disk_usage' }] };
    const text = runbookToYaml(rb);
    expect(text).toMatch(/^kind: runbook\n/);
    expect(runbookFromYaml(text)).toEqual(rb);
    expect(() => runbookFromYaml('kind: alarm\nname: x\n')).toThrow('expected `kind: runbook`, found `kind: alarm`');
    expect(() => runbookFromYaml('- a')).toThrow(/mapping/);
  });
});
