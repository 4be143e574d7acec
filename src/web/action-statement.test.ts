import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, analyze, extendCatalogue } from '../lang/index.js';
import type { ActionParamSpec } from '../lang/index.js';
import { actionStatement, argLiteral } from './action-statement.js';

const CLEAN = {
  name: 'clean_logs',
  description: '',
  resources: ['host' as const],
  params: [
    { name: 'dir', type: 'string', required: true },
    { name: 'days', type: 'number', required: false, default: 7 },
    { name: 'older', type: 'duration', required: false },
    { name: 'dry', type: 'bool', required: false, default: false },
  ] satisfies ActionParamSpec[],
};
const catalogue = extendCatalogue(BUILTIN_CATALOGUE, { actions: [CLEAN] });

describe('actionStatement', () => {
  it('writes each filled parameter as its literal and leaves empty ones to their default', () => {
    const s = actionStatement('host | role = "web"', CLEAN, { dir: 'data/logs', days: '3', older: '2h', dry: 'true' });
    expect(s).toBe('host | role = "web" | clean_logs(dir = "data/logs", days = 3, older = 2h, dry = true)');
    expect(analyze(s, catalogue).ok).toBe(true);
    expect(actionStatement('  host |  ', CLEAN, { dir: 'a "quoted" \\ dir', days: ' ' })).toBe('host | clean_logs(dir = "a \\"quoted\\" \\\\ dir")');
    expect(actionStatement('', CLEAN, { dir: 'x' })).toBe('host | clean_logs(dir = "x")');
  });

  it("quotes a value that is not its parameter's literal, so the checker refuses it with its message", () => {
    const days = CLEAN.params[1] as ActionParamSpec;
    expect(argLiteral(days, 'three')).toBe('"three"');
    expect(argLiteral(days, '1e3')).toBe('"1e3"');
    expect(argLiteral(CLEAN.params[2] as ActionParamSpec, '2 hours')).toBe('"2 hours"');
    const analysis = analyze(actionStatement('host', CLEAN, { dir: 'x', days: 'three' }), catalogue);
    expect(analysis.ok).toBe(false);
    expect(analysis.diagnostics.find((d) => d.severity === 'error')?.message).toMatch(/days/);
    // A required parameter left empty is the checker's to name.
    const missing = analyze(actionStatement('host', CLEAN, {}), catalogue);
    expect(missing.ok).toBe(false);
    expect(missing.diagnostics.find((d) => d.severity === 'error')?.message).toMatch(/dir/);
  });
});
