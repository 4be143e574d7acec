import { describe, expect, it } from 'vitest';

import type { ControlStep } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { JsonValue, ResultRow } from '../../protocol/index.js';
import type { RowContext } from './reduce.js';
import { reduceRows } from './reduce.js';

/*
 * reduceRows is what a person sees after the agents' rows are merged: counts, groups, orderings.
 * Rows are built by hand; the inventory (tags and attributes of hosts) is a small fake behind the
 * RowContext interface.
 */

interface FakeHost {
  readonly tags: Record<string, string>;
  readonly attrs: Record<string, string | number>;
}

const HOSTS: Record<string, FakeHost> = {
  'web-1': { tags: { role: 'web', zone: 'a' }, attrs: { name: 'web-1', kernel: '6.1' } },
  'web-2': { tags: { role: 'web', zone: 'b' }, attrs: { name: 'web-2', kernel: '6.1' } },
  'web-10': { tags: { role: 'web', zone: 'a' }, attrs: { name: 'web-10', kernel: '6.8' } },
  'db-1': { tags: { role: 'db', zone: 'a' }, attrs: { name: 'db-1', kernel: '6.8' } },
  'cache-1': { tags: {}, attrs: { name: 'cache-1', kernel: '6.1' } },
};

const inventory: RowContext = (row) => {
  const h = row.resource?.host ? HOSTS[row.resource.host] : undefined;
  return { attr: (n) => h?.attrs[n], tag: (n) => h?.tags[n], field: () => undefined };
};

function host(name: string, values: Record<string, JsonValue> = {}): ResultRow {
  return { resource: { type: 'host', id: name, name, host: name }, status: 'ok', values };
}

const names = (rows: readonly ResultRow[]) => rows.map((r) => r.resource?.name);

/** The control steps the real planner makes for a statement (so tests follow the language). */
function controlSteps(statement: string): ControlStep[] {
  const a = analyze(statement, BUILTIN_CATALOGUE);
  if (!a.ok || !a.plan) throw new Error(`statement has errors: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  return a.plan.phases.flatMap((p) => (p.where === 'control' ? [...p.steps] : []));
}

/** Rows as the agents return them for `host | cpu_usage`. */
const cpuRows = () => [host('web-1', { cpu_usage: 40 }), host('web-2', { cpu_usage: 90 }), host('web-10', { cpu_usage: 10 }), host('db-1', { cpu_usage: 70 }), host('cache-1', { cpu_usage: 5 })];

describe('reduceRows: aggregations', () => {
  it('count gives one row with the number of rows, and 0 for no rows', () => {
    expect(reduceRows(cpuRows(), [{ op: 'count' }], inventory)).toEqual([{ status: 'ok', values: { count: 5 } }]);
    expect(reduceRows([], [{ op: 'count' }], inventory)).toEqual([{ status: 'ok', values: { count: 0 } }]);
  });

  it('group_by(role) | count counts per tag value, reading tags from the inventory', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | group_by(role) | count'), inventory);
    const byRole = Object.fromEntries(out.map((r) => [r.values.role, r.values.count]));
    // cache-1 has no role tag: a missing tag reads as "", and forms its own group.
    expect(byRole).toEqual({ web: 3, db: 1, '': 1 });
    for (const r of out) expect(r.resource).toBeUndefined();
  });

  it('group_by + sum/avg/min/max fold each group of a numeric column', () => {
    const steps = (fn: 'sum' | 'avg' | 'min' | 'max'): ControlStep[] => [
      { op: 'group_by', keys: ['role'] },
      { op: 'aggregate', fn, column: 'cpu_usage', name: `${fn}(cpu_usage)` },
    ];
    const per = (fn: 'sum' | 'avg' | 'min' | 'max') => Object.fromEntries(reduceRows(cpuRows(), steps(fn), inventory).map((r) => [r.values.role, r.values[`${fn}(cpu_usage)`]]));
    expect(per('sum')).toEqual({ web: 140, db: 70, '': 5 });
    expect(per('avg')).toEqual({ web: 140 / 3, db: 70, '': 5 });
    expect(per('min')).toEqual({ web: 10, db: 70, '': 5 });
    expect(per('max')).toEqual({ web: 90, db: 70, '': 5 });
  });

  it('the planner\'s group_by + sum over a metric column works end to end', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | cpu_usage | group_by(role) | sum(cpu_usage)'), inventory);
    expect(out.find((r) => r.values.role === 'web')?.values['sum(cpu_usage)']).toBe(140);
  });

  it('group_by with two keys groups by the pair', () => {
    const out = reduceRows(cpuRows(), [{ op: 'group_by', keys: ['role', 'zone'] }, { op: 'count' }], inventory);
    const keyed = out.map((r) => `${String(r.values.role)}/${String(r.values.zone)}=${String(r.values.count)}`).sort();
    expect(keyed).toEqual(['/=1', 'db/a=1', 'web/a=2', 'web/b=1']);
  });

  it('aggregations without group_by give one row over all rows', () => {
    const one = (fn: 'sum' | 'avg' | 'min' | 'max') => reduceRows(cpuRows(), [{ op: 'aggregate', fn, column: 'cpu_usage', name: fn }], inventory);
    expect(one('sum')).toEqual([{ status: 'ok', values: { sum: 215 } }]);
    expect(one('avg')).toEqual([{ status: 'ok', values: { avg: 43 } }]);
    expect(one('min')).toEqual([{ status: 'ok', values: { min: 5 } }]);
    expect(one('max')).toEqual([{ status: 'ok', values: { max: 90 } }]);
  });

  it('group_by alone lists each group with its members and count', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | group_by(role)'), inventory);
    const web = out.find((r) => r.values.role === 'web');
    expect(web?.values.count).toBe(3);
    expect([...(web?.values.members as string[])].sort()).toEqual(['web-1', 'web-10', 'web-2']);
  });

  it('distinct gives one row per combination with how many rows had it', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | distinct(kernel)'), inventory);
    expect(out.map((r) => r.values).sort((a, b) => String(a.kernel).localeCompare(String(b.kernel)))).toEqual([
      { kernel: '6.1', count: 3 },
      { kernel: '6.8', count: 2 },
    ]);
  });

  it('distinct without columns compares every column the rows have', () => {
    const rows = [host('web-1', { kernel: '6.1', arch: 'x86_64' }), host('web-2', { kernel: '6.1', arch: 'x86_64' }), host('db-1', { kernel: '6.1', arch: 'arm64' })];
    const out = reduceRows(rows, [{ op: 'distinct', columns: [] }], inventory);
    expect(out.map((r) => `${String(r.values.arch)}:${String(r.values.count)}`).sort()).toEqual(['arm64:1', 'x86_64:2']);
  });
});

describe('reduceRows: ordering and selection', () => {
  it('top(n, x) keeps the n rows with the largest values, largest first', () => {
    expect(names(reduceRows(cpuRows(), controlSteps('host | top(2, cpu_usage)'), inventory))).toEqual(['web-2', 'db-1']);
  });

  it('top keeps resource rows, so commands can still follow', () => {
    const [first] = reduceRows(cpuRows(), [{ op: 'top', n: 1, column: 'cpu_usage' }], inventory);
    expect(first).toEqual(host('web-2', { cpu_usage: 90 }));
  });

  it('sort by name is numeric-aware: web-2 before web-10', () => {
    const steps = controlSteps('host | sort(name)');
    expect(names(reduceRows(cpuRows(), steps, inventory))).toEqual(['cache-1', 'db-1', 'web-1', 'web-2', 'web-10']);
  });

  it('sort(-name) orders descending, still numeric-aware', () => {
    expect(names(reduceRows(cpuRows(), controlSteps('host | sort(-name)'), inventory))).toEqual(['web-10', 'web-2', 'web-1', 'db-1', 'cache-1']);
  });

  it('sort by a numeric column compares numbers, not text (9 before 10)', () => {
    const rows = [host('web-1', { n: 10 }), host('web-2', { n: 9 }), host('db-1', { n: 100 })];
    expect(names(reduceRows(rows, [{ op: 'sort', keys: [{ column: 'n', desc: false }] }], inventory))).toEqual(['web-2', 'web-1', 'db-1']);
    expect(names(reduceRows(rows, [{ op: 'sort', keys: [{ column: 'n', desc: true }] }], inventory))).toEqual(['db-1', 'web-1', 'web-2']);
  });

  it('sort with two keys breaks ties on the second', () => {
    const rows = [host('web-10', { c: 1 }), host('web-2', { c: 1 }), host('db-1', { c: 2 })];
    const out = reduceRows(rows, [{ op: 'sort', keys: [{ column: 'c', desc: true }, { column: 'name', desc: false }] }], inventory);
    expect(names(out)).toEqual(['db-1', 'web-2', 'web-10']);
  });

  it('limit keeps the first n rows', () => {
    expect(names(reduceRows(cpuRows(), [{ op: 'limit', n: 2 }], inventory))).toEqual(['web-1', 'web-2']);
    expect(reduceRows(cpuRows(), [{ op: 'limit', n: 50 }], inventory)).toHaveLength(5);
  });

  it('sample(n) picks n distinct rows with the injected random source', () => {
    const low = reduceRows(cpuRows(), [{ op: 'sample', n: 2 }], inventory, () => 0);
    const high = reduceRows(cpuRows(), [{ op: 'sample', n: 2 }], inventory, () => 0.999);
    expect(low).toHaveLength(2);
    expect(new Set(names(low)).size).toBe(2);
    // The picks depend on the random source: a fixed source gives a fixed answer.
    expect(names(reduceRows(cpuRows(), [{ op: 'sample', n: 2 }], inventory, () => 0))).toEqual(names(low));
    expect(names(high)).not.toEqual(names(low));
    // Sampling more rows than there are returns each row once.
    expect(names(reduceRows(cpuRows(), [{ op: 'sample', n: 10 }], inventory, () => 0.5)).sort()).toEqual(names(cpuRows()).sort());
  });
});

describe('reduceRows: stages after an aggregation', () => {
  it('filters read the aggregated columns', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | group_by(role) | count | count > 1'), inventory);
    expect(out.map((r) => r.values)).toEqual([{ role: 'web', count: 3 }]);
  });

  it('columns compute from the aggregated columns', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | count | count * 2'), inventory);
    expect(out).toEqual([{ status: 'ok', values: { count: 5, 'count * 2': 10 } }]);
  });

  it('sort and limit on aggregated rows give the largest group', () => {
    const out = reduceRows(cpuRows(), controlSteps('host | group_by(role) | count | sort(-count) | limit(1)'), inventory);
    expect(out.map((r) => r.values)).toEqual([{ role: 'web', count: 3 }]);
  });
});

describe('reduceRows: missing values', () => {
  const rows = () => [host('web-1', { mem: 30 }), host('web-2', {}), host('web-10', { mem: null }), host('db-1', { mem: 'n/a' }), host('cache-1', { mem: 10 })];

  it('aggregations skip rows without a number, and give null when there is none', () => {
    const agg = (fn: 'sum' | 'avg' | 'min' | 'max') => reduceRows(rows(), [{ op: 'aggregate', fn, column: 'mem', name: fn }], inventory)[0]?.values[fn];
    expect(agg('sum')).toBe(40);
    expect(agg('avg')).toBe(20);
    expect(agg('min')).toBe(10);
    expect(agg('max')).toBe(30);
    expect(reduceRows(rows(), [{ op: 'aggregate', fn: 'avg', column: 'nothing', name: 'avg' }], inventory)).toEqual([{ status: 'ok', values: { avg: null } }]);
    expect(reduceRows([], [{ op: 'aggregate', fn: 'sum', column: 'mem', name: 'sum' }], inventory)).toEqual([{ status: 'ok', values: { sum: null } }]);
  });

  it('top puts rows without a value last, and top(1) never picks one', () => {
    const numeric = rows().filter((r) => typeof r.values.mem !== 'string');
    const out = reduceRows(numeric, [{ op: 'top', n: 4, column: 'mem' }], inventory);
    expect(names(out).slice(0, 2)).toEqual(['web-1', 'cache-1']);
    expect(new Set(names(out).slice(2))).toEqual(new Set(['web-2', 'web-10']));
    expect(names(reduceRows([host('web-2', {}), host('web-1', { mem: 0 })], [{ op: 'top', n: 1, column: 'mem' }], inventory))).toEqual(['web-1']);
  });

  it('ascending sort puts missing values first, then numbers, then strings', () => {
    const out = reduceRows(rows(), [{ op: 'sort', keys: [{ column: 'mem', desc: false }] }], inventory);
    expect(names(out).slice(2)).toEqual(['cache-1', 'web-1', 'db-1']);
    expect(new Set(names(out).slice(0, 2))).toEqual(new Set(['web-2', 'web-10']));
  });

  it('a filter whose column is missing drops the row instead of failing', () => {
    const out = reduceRows(rows(), [{ op: 'filter', expr: { k: 'bin', op: '>', l: { k: 'col', name: 'mem' }, r: { k: 'num', v: 5 } } }], inventory);
    expect(names(out)).toEqual(['web-1', 'cache-1']);
  });
});
