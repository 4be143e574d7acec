import type { ControlStep, EvalContext, Value } from '../../lang/index.js';
import { EvalError, evaluateSync, truthy } from '../../lang/index.js';
import type { JsonValue, ResultRow } from '../../protocol/index.js';

/** How control steps see a row's host: its inventory tags and attributes. */
export type RowContext = (row: ResultRow) => Pick<EvalContext, 'attr' | 'tag' | 'field'>;

interface GroupState {
  /** Keys of the pending group_by, if one was given. */
  keys: readonly string[] | undefined;
}

/**
 * Runs control-plane steps over the merged rows of all agents: filters and
 * columns on rows, grouping and aggregation, ordering and selection. Rows
 * that carry an error never reach here: they are reported beside the result.
 */
export function reduceRows(rows: readonly ResultRow[], steps: readonly ControlStep[], rowContext: RowContext, random: () => number = Math.random): ResultRow[] {
  let out = [...rows];
  const state: GroupState = { keys: undefined };
  for (const step of steps) out = applyStep(out, step, rowContext, state, random);
  if (state.keys) out = aggregate(out, state.keys, (members) => ({ count: members.length, members: members.map((m) => m.resource?.name ?? '') }));
  return out;
}

function applyStep(rows: ResultRow[], step: ControlStep, ctx: RowContext, state: GroupState, random: () => number): ResultRow[] {
  const value = (row: ResultRow, column: string): JsonValue | undefined => {
    if (column in row.values) return row.values[column];
    const c = ctx(row);
    return (c.attr(column) ?? c.tag(column) ?? c.field(column)) as JsonValue | undefined;
  };
  switch (step.op) {
    case 'filter':
      return rows.filter((r) => truthy(evalOn(r, step.expr, ctx)));
    case 'column':
      return rows.map((r) => ({ ...r, values: { ...r.values, [step.name]: toJson(evalOn(r, step.expr, ctx)) } }));
    case 'group_by':
      state.keys = step.keys.map((k) => k);
      for (const r of rows) for (const k of step.keys) if (!(k in r.values)) r.values[k] = value(r, k) ?? '';
      return rows;
    case 'count':
      return finish(rows, state, () => ({ count: rows.length }), (members) => ({ count: members.length }));
    case 'aggregate': {
      const fold = (members: readonly ResultRow[]) => ({ [step.name]: aggregateNumbers(step.fn, members.map((m) => value(m, step.column))) });
      return finish(rows, state, () => fold(rows), fold);
    }
    case 'distinct': {
      const columns = step.columns.length ? step.columns : [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
      for (const r of rows) for (const c of columns) if (!(c in r.values)) r.values[c] = value(r, c) ?? '';
      return aggregate(rows, columns, (members) => ({ count: members.length }));
    }
    case 'top':
      return sortRows(rows, [{ column: step.column, desc: true }], value).slice(0, step.n);
    case 'sort':
      return sortRows(rows, step.keys, value);
    case 'limit':
      return rows.slice(0, step.n);
    case 'sample':
      return shuffle(rows, random).slice(0, step.n);
  }
}

/** An aggregation: per group when a group_by is pending, else one row for all. */
function finish(rows: ResultRow[], state: GroupState, whole: () => Record<string, JsonValue>, perGroup: (members: readonly ResultRow[]) => Record<string, JsonValue>): ResultRow[] {
  if (state.keys) {
    const keys = state.keys;
    state.keys = undefined;
    return aggregate(rows, keys, perGroup);
  }
  return [{ status: 'ok', values: whole() }];
}

function aggregate(rows: readonly ResultRow[], keys: readonly string[], fold: (members: readonly ResultRow[]) => Record<string, JsonValue>): ResultRow[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const id = JSON.stringify(keys.map((k) => r.values[k] ?? null));
    (groups.get(id) ?? groups.set(id, []).get(id))?.push(r);
  }
  return [...groups.values()].map((members) => {
    const first = members[0] as ResultRow;
    const keyValues = Object.fromEntries(keys.map((k) => [k, first.values[k] ?? null]));
    return { status: 'ok' as const, values: { ...keyValues, ...fold(members) } };
  });
}

function aggregateNumbers(fn: 'sum' | 'avg' | 'min' | 'max', values: readonly (JsonValue | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!xs.length) return null;
  switch (fn) {
    case 'sum':
      return xs.reduce((a, b) => a + b, 0);
    case 'avg':
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
  }
}

function sortRows(rows: readonly ResultRow[], keys: readonly { column: string; desc: boolean }[], value: (r: ResultRow, c: string) => JsonValue | undefined): ResultRow[] {
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const c = compare(value(a, k.column), value(b, k.column));
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}

/** One collator for every comparison: `localeCompare` with options builds a new one each call. */
const NUMERIC_TEXT = new Intl.Collator('en', { numeric: true });

/** Missing values sort as the smallest, then numbers, then strings (numeric-aware: web-2 before web-10). */
function compare(a: JsonValue | undefined, b: JsonValue | undefined): number {
  const rank = (v: JsonValue | undefined) => (v === null || v === undefined ? 0 : typeof v === 'number' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return NUMERIC_TEXT.compare(String(a ?? ''), String(b ?? ''));
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function evalOn(row: ResultRow, expr: Parameters<typeof evaluateSync>[0], ctx: RowContext): Value {
  const c = ctx(row);
  try {
    return evaluateSync(expr, {
      ...c,
      metric: () => undefined,
      range: () => [],
      col: (name) => row.values[name] as Value | undefined,
      check: () => Promise.reject(new EvalError('checks run on agents')),
    });
  } catch {
    return null;
  }
}

function toJson(v: Value): JsonValue {
  if (v !== null && typeof v === 'object' && 'series' in v) return v.series.map((p) => [p.time, p.value]);
  if (Array.isArray(v)) return v.map(toJson);
  return v as JsonValue;
}
