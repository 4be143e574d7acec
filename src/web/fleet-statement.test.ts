import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { fleetStatement, filterStatement } from './fleet-statement.js';

describe("Fleet's filter statements", () => {
  it('a filter is a pipeline over hosts, `host |` optional', () => {
    expect(filterStatement('  ')).toBe('host');
    expect(filterStatement('role = "web"')).toBe('host | role = "web"');
    expect(filterStatement('host | role = "web"')).toBe('host | role = "web"');
  });

  it('a filter that does not order asks for the metrics after it (agents filter first)', () => {
    expect(fleetStatement('role = "web" | limit(2)', BUILTIN_CATALOGUE)).toEqual({ statement: 'host | role = "web" | limit(2) | cpu_usage | mem_usage | disk_usage', ordered: false });
  });

  it('a filter that orders goes after the metrics, so the answer keeps its order', () => {
    expect(fleetStatement('sort(-cpu_usage)', BUILTIN_CATALOGUE)).toEqual({ statement: 'host | cpu_usage | mem_usage | disk_usage | sort(-cpu_usage)', ordered: true });
    expect(fleetStatement('host | role = "web" | top(2, disk_usage)', BUILTIN_CATALOGUE)).toEqual({ statement: 'host | cpu_usage | mem_usage | disk_usage | role = "web" | top(2, disk_usage)', ordered: true });
  });

  it('without the catalogue yet, the metrics go after the filter', () => {
    expect(fleetStatement('sort(-cpu_usage)', undefined).ordered).toBe(false);
  });

  it('any text: a statement starting at host, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (filter) => {
        const s = fleetStatement(filter, BUILTIN_CATALOGUE);
        expect(s.statement.startsWith('host')).toBe(true);
        expect(s.statement).toContain('cpu_usage | mem_usage | disk_usage');
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});
