import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { checkCell } from './runbook-check.js';

const check = (text: string, params: readonly string[]) => checkCell(text, params, BUILTIN_CATALOGUE);

describe('a runbook pipeline cell with $parameters', () => {
  it('a declared $name is a string value: no diagnostic, and the statement plans', () => {
    const r = check('host | name = $host | `echo $host`', ['host', 'service']);
    expect(r.diagnostics).toEqual([]);
    expect(r.analysis.ok).toBe(true);
  });

  it('an undeclared $name is reported where it is written, with what is declared', () => {
    const text = 'host | name = $hots\n  | cpu_usage > 5';
    const r = check(text, ['host', 'service']);
    expect(r.diagnostics).toEqual([
      {
        code: 'BW_UNKNOWN_PARAMETER',
        severity: 'error',
        message: 'unknown parameter $hots; declared: host, service',
        suggestion: '$host',
        location: { start: 14, end: 19, line: 1, column: 15, endLine: 1, endColumn: 20 },
      },
    ]);
    expect(check('host | name = $host', [])).toMatchObject({ diagnostics: [{ message: 'unknown parameter $host; this runbook declares no parameters' }] });
  });

  it('the language\'s diagnostics keep their places after a parameter and quote it as written', () => {
    const r = check('host | name = $host | disk_usge > 90', ['host']);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'BW_UNKNOWN_METRIC', location: { start: 22, end: 31 } });
    const constant = check('host | $host', ['host']).diagnostics;
    expect(constant).toMatchObject([{ code: 'BW_CONSTANT_COLUMN', location: { start: 7, end: 12 } }]);
    expect(constant[0]?.message).toContain('`$host`');
    expect(constant[0]?.message).not.toContain('·');
    expect(check('host | name = $host + 1', ['host']).diagnostics[0]?.message).toBe('cannot add a string `$host` and a number `1`: `+` works on numbers');
    // About an unknown parameter, only that it is unknown.
    expect(check('host | $bogus', ['host']).diagnostics.map((d) => d.code)).toEqual(['BW_UNKNOWN_PARAMETER']);
  });
});
