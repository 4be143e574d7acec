import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FleetInventory, InventoryHostValues } from './index.js';
import { BUILTIN_CATALOGUE, analyze, nearValues, summarizeFleet } from './index.js';
import { editDistance } from './suggest.js';

const host = (name: string, tags: Record<string, string>): InventoryHostValues => ({ tags, attributes: { name, status: 'connected', os: 'linux' } });
/** 12 web hosts, 3 db hosts, one `Web` (case), two in prod. */
const HOSTS: InventoryHostValues[] = [
  ...Array.from({ length: 12 }, (_, i) => host(`web-${i + 1}`, { role: 'web', env: i < 2 ? 'prod' : 'staging' })),
  ...Array.from({ length: 3 }, (_, i) => host(`db-${i + 1}`, { role: 'db', env: 'staging' })),
  host('odd-1', { role: 'Wbe', team: 'core' }),
];
const FLEET = summarizeFleet(HOSTS);
const fleet = () => FLEET;

const warnings = (src: string, inventory: FleetInventory = FLEET) => analyze(src, BUILTIN_CATALOGUE, () => inventory).diagnostics.filter((d) => d.severity === 'warning');

describe('the fleet check', () => {
  it('names the near value and how many hosts have it, pointing at the value', () => {
    const src = 'host | role = "wep" | `uptime`';
    const [w, ...rest] = warnings(src);
    expect(rest).toEqual([]);
    expect(w?.code).toBe('BW_NO_MATCH');
    expect(w?.message).toBe('no host has role = "wep"; did you mean "web" (12 hosts)?');
    expect(src.slice(w?.location.start, w?.location.end)).toBe('"wep"');
    expect(w?.found).toBe('wep');
    expect(w?.near).toEqual([{ value: 'web', hosts: 12 }]);
    expect(w?.suggestion).toBe('web');
  });

  it('counts a case-only difference as nearest, and lists a few, most hosts first at the same distance', () => {
    const [w] = warnings('host | role = "WEB"');
    expect(w?.near?.[0]).toEqual({ value: 'web', hosts: 12 });
    expect(warnings('host | role = "wbe"')[0]?.message).toBe('no host has role = "wbe"; did you mean "Wbe" (1 host) or "web" (12 hosts)?');
  });

  it('says nothing when a host has the value, when nothing is near, or without a fleet', () => {
    expect(warnings('host | role = "web" and env = "prod"')).toEqual([]);
    expect(warnings('host | role = "cache"')).toEqual([]);
    expect(analyze('host | role = "wbr"', BUILTIN_CATALOGUE).diagnostics).toEqual([]);
    expect(warnings('host | role = ""')).toEqual([]);
  });

  it('allows one edit up to 4 characters, two beyond, and only case for one character', () => {
    expect(nearValues('dbb', new Map([['db', 3]]))).toEqual([{ value: 'db', hosts: 3 }]);
    expect(nearValues('dxx', new Map([['db', 3]]))).toEqual([]);
    expect(nearValues('stagign', new Map([['staging', 5]]))).toEqual([{ value: 'staging', hosts: 5 }]);
    expect(nearValues('sxaxixg', new Map([['staging', 5]]))).toEqual([]);
    expect(nearValues('a', new Map([['b', 1], ['A', 2]]))).toEqual([{ value: 'A', hosts: 2 }]);
  });

  it('warns on host attributes too, and on each value of a list', () => {
    expect(warnings('host | name = "web-01"')[0]?.message).toBe('no host has name = "web-01"; did you mean "web-1" (1 host) or "web-10" (1 host) or "web-11" (1 host)?');
    expect(warnings('host | role in ["web", "dbb"]').map((w) => [w.code, w.found])).toEqual([['BW_NO_MATCH', 'dbb']]);
  });

  it('says a negated filter on a typo keeps every host', () => {
    expect(warnings('host | role != "dbb" | `uptime`').map((w) => [w.code, w.message])).toEqual([['BW_MATCHES_ALL', 'no host has role = "dbb", so this filter keeps every host; did you mean "db" (3 hosts)?']]);
    expect(warnings('host | not (role = "dbb")')[0]?.code).toBe('BW_MATCHES_ALL');
    expect(warnings('host | not (role not in ["dbb"])')[0]?.code).toBe('BW_NO_MATCH');
  });

  it('names a tag key no host has when a near one exists', () => {
    const src = 'host | rloe = "web" | `uptime`';
    const [w] = warnings(src);
    expect(w?.code).toBe('BW_NO_MATCH');
    expect(w?.message).toBe('no host has a tag `rloe`; did you mean `role` (16 hosts)?');
    expect(src.slice(w?.location.start, w?.location.end)).toBe('rloe');
    expect(warnings('host | zzz = "web"')).toEqual([]);
  });

  it('checks filters on resources only, where the fleet is asked for at most once', () => {
    let asked = 0;
    const counted = () => {
      asked++;
      return FLEET;
    };
    analyze('host | cpu_usage > 5 | count', BUILTIN_CATALOGUE, counted);
    expect(asked).toBe(0);
    analyze('host | role = "wbr" | env = "prd" | process | name = "nginx"', BUILTIN_CATALOGUE, counted);
    expect(asked).toBe(1);
    expect(warnings('host | count | role = "x"')).toEqual([]);
    // Processes carry their host's tags; containers and pods their own labels, which the inventory does not know.
    expect(warnings('host | process | role = "wbe"').map((w) => w.code)).toEqual(['BW_NO_MATCH']);
    expect(warnings('pod | role = "wbe"')).toEqual([]);
    expect(warnings('host | container | role = "wbe"')).toEqual([]);
  });

  it('summarizes only non-empty string values, whatever the keys are called', () => {
    const s = summarizeFleet([{ tags: JSON.parse('{"__proto__": "x", "constructor": "y", "n": 1, "e": ""}') as Record<string, unknown>, attributes: {} }]);
    expect([...s.tagKeys().keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(s.values('tag', '__proto__')).toEqual(new Map([['x', 1]]));
    expect(s.values('tag', 'toString')).toBeUndefined();
    expect(s.values('tag', 'n')).toBeUndefined();
    expect(fleet().values('tag', 'role')?.get('web')).toBe(12);
    expect(fleet().values('attribute', 'status')).toEqual(new Map([['connected', 16]]));
  });
});

/** The textbook dynamic programme (optimal string alignment), to check the banded one against. */
function naiveDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

describe('the fleet check on hostile input', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'é', '😀'), maxLength: 12 });

  it('computes the same bounded distance as the full table', () => {
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 3 }), (a, b, max) => {
        expect(editDistance(a, b, max)).toBe(Math.min(naiveDistance(a, b), max + 1));
      }),
      { seed: 12, numRuns: 2000 },
    );
  });

  it('never throws and says little, whatever the statement and the inventory (10,000 values, long strings)', () => {
    const long = 'w'.repeat(50_000);
    const values = new Map<string, number>(Array.from({ length: 10_000 }, (_, i) => [`${long.slice(0, 100 + (i % 60))}${i}`, i]));
    values.set(long, 1);
    const huge: FleetInventory = { values: (_kind, key) => (key === 'env' ? undefined : values), tagKeys: () => values };
    const value = fc.oneof(word, fc.constant(long.slice(0, 127)), fc.constant(`${long}x`), fc.string({ maxLength: 200 }));
    const statement = fc.tuple(fc.constantFrom('role', 'rloe', 'name', 'env'), fc.constantFrom('=', '!=', 'in', 'not in'), fc.array(value, { minLength: 1, maxLength: 40 })).map(([k, op, vs]) => {
      const lit = (v: string) => JSON.stringify(v);
      return op.endsWith('in') ? `host | ${k} ${op} [${vs.map(lit).join(', ')}] | \`uptime\`` : `host | ${vs.map((v) => `${k} ${op} ${lit(v)}`).join(' or ')}`;
    });
    fc.assert(
      fc.property(statement, (src) => {
        const found = warnings(src, huge);
        expect(found.length).toBeLessThanOrEqual(16);
        for (const w of found) {
          expect(w.near?.length).toBeGreaterThan(0);
          expect(w.near?.length).toBeLessThanOrEqual(3);
          expect(w.message.length).toBeLessThan(2_000);
        }
      }),
      { seed: 12, numRuns: 60 },
    );
  });
});
