import type { Expr, Identifier, Pipeline } from './ast.js';
import type { CheckResult } from './checker.js';
import type { DiagnosticBag, NearValue } from './diagnostics.js';
import { editDistance } from './suggest.js';

/*
 * Typos caught before anything runs: a filter on a host tag or attribute value that no host has
 * while a near one exists (`role = "wbe"` in a fleet of `web` hosts) selects nothing, or, negated
 * (`role != "wbe"`), everything. Checked against what the fleet's hosts report, so it runs where
 * the fleet is known: the control plane, and the web Console with the agents list.
 */

/** What the fleet's hosts report: each tag's (or host attribute's) values, and how many hosts have each. */
export interface FleetInventory {
  /** The values of one tag or host attribute with their host counts; undefined when no host has it. */
  values(kind: 'tag' | 'attribute', key: string): ReadonlyMap<string, number> | undefined;
  /** Every tag key some host has, with how many hosts have it. */
  tagKeys(): ReadonlyMap<string, number>;
}

/** One host as the summary reads it: its tags and attributes (non-string values are left out). */
export interface InventoryHostValues {
  readonly tags: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * The fleet's values for `analyze`'s fleet check, counted per key when first asked for (a statement
 * names a few keys; counting every key of 10,000 hosts up front took ~100 ms).
 *
 * @example
 * const fleet = summarizeFleet(hosts.map((h) => ({ tags: h.tags, attributes: h.attrs })));
 * analyze('host | role = "wbe" | `uptime`', BUILTIN_CATALOGUE, () => fleet);
 */
export function summarizeFleet(hosts: Iterable<InventoryHostValues>): FleetInventory {
  const list = [...hosts];
  const counted = new Map<string, ReadonlyMap<string, number> | undefined>();
  let keys: Map<string, number> | undefined;
  const text = (record: Readonly<Record<string, unknown>>, key: string) => {
    const v = Object.hasOwn(record, key) ? record[key] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return {
    values(kind, key) {
      const id = `${kind}:${key}`;
      if (!counted.has(id)) {
        const values = new Map<string, number>();
        for (const h of list) {
          const v = text(kind === 'tag' ? h.tags : h.attributes, key);
          if (v !== undefined) values.set(v, (values.get(v) ?? 0) + 1);
        }
        counted.set(id, values.size ? values : undefined);
      }
      return counted.get(id);
    },
    tagKeys() {
      if (!keys) {
        keys = new Map();
        for (const h of list) for (const k of Object.keys(h.tags)) if (text(h.tags, k) !== undefined) keys.set(k, (keys.get(k) ?? 0) + 1);
      }
      return keys;
    },
  };
}

/** At most this many suggestions per warning, the nearest first. */
const MAX_SUGGESTIONS = 3;
/** Values longer than this are compared for case only: a typo suggestion for a long blob is noise, and costly. */
const MAX_NEAR_LENGTH = 128;
/** At most this many warnings per statement: each scans the fleet's values once. */
const MAX_WARNINGS = 16;

/** Resource types whose tags are their host's (containers and pods carry their own labels as tags). */
const HOST_TAGGED: ReadonlySet<string> = new Set(['host', 'process']);

/** Edits allowed for a value of this length: a one-character value is near any other, so only its case counts. */
function allowedEdits(length: number): number {
  return length <= 1 ? 0 : length <= 4 ? 1 : 2;
}

/**
 * The values near `found` (a case-only difference, or at most 1 or 2 edits), nearest and most
 * common first, with how many hosts have each.
 *
 * @example
 * nearValues('wbe', new Map([['web', 12], ['db', 3]])); // [{ value: 'web', hosts: 12 }]
 */
export function nearValues(found: string, values: ReadonlyMap<string, number>): NearValue[] {
  const max = allowedEdits(found.length);
  const lower = found.toLowerCase();
  const near: { value: string; hosts: number; distance: number }[] = [];
  for (const [value, hosts] of values) {
    if (value === found || Math.abs(value.length - found.length) > max) continue;
    const distance = value.toLowerCase() === lower ? 0 : found.length > MAX_NEAR_LENGTH || max === 0 ? max + 1 : editDistance(found, value, max);
    if (distance <= max) near.push({ value, hosts, distance });
  }
  near.sort((a, b) => a.distance - b.distance || b.hosts - a.hosts || (a.value < b.value ? -1 : 1));
  return near.slice(0, MAX_SUGGESTIONS).map(({ value, hosts }) => ({ value, hosts }));
}

const hostsText = (n: number) => `${n} host${n === 1 ? '' : 's'}`;
const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
const didYouMean = (near: readonly NearValue[], show: (v: string) => string) => `did you mean ${near.map((n) => `${show(n.value)} (${hostsText(n.hosts)})`).join(' or ')}?`;

type Comparison = { readonly name: Identifier; readonly values: readonly { value: string; span: Expr['span'] }[]; readonly keeps: boolean };

/** A comparison of a name with string literals: `role = "web"`, `"web" = role`, `role in ["a", "b"]`; negated when it keeps what does not match. */
function comparison(e: Expr, positive: boolean): Comparison | undefined {
  if (e.kind !== 'Binary') return undefined;
  const strings = (x: Expr) => (x.kind === 'String' ? [{ value: x.value, span: x.span }] : []);
  if (e.op === '=' || e.op === '!=') {
    const [name, literal] = e.left.kind === 'Ident' ? [e.left, e.right] : e.right.kind === 'Ident' ? [e.right, e.left] : [];
    if (!name || literal?.kind !== 'String') return undefined;
    return { name, values: strings(literal), keeps: positive === (e.op === '=') };
  }
  if ((e.op === 'in' || e.op === 'not in') && e.left.kind === 'Ident' && e.right.kind === 'List') {
    return { name: e.left, values: e.right.items.flatMap(strings), keeps: positive === (e.op === 'in') };
  }
  return undefined;
}

/** The comparisons in a filter's condition, each knowing whether `not`s around it flip it. */
function comparisons(condition: Expr): Comparison[] {
  const found: Comparison[] = [];
  const stack: { e: Expr; positive: boolean }[] = [{ e: condition, positive: true }];
  while (stack.length) {
    const { e, positive } = stack.pop() as { e: Expr; positive: boolean };
    const c = comparison(e, positive);
    if (c) found.push(c);
    else if (e.kind === 'Unary' && e.op === 'not') stack.push({ e: e.operand, positive: !positive });
    else if (e.kind === 'Binary' && (e.op === 'and' || e.op === 'or')) stack.push({ e: e.right, positive }, { e: e.left, positive });
  }
  return found;
}

/**
 * Warns about filters on tag keys and tag or host attribute values that no host has while a near
 * one exists: `BW_NO_MATCH` where the filter keeps no host because of it (`role = "wbe"`, `rol =
 * "web"`), `BW_MATCHES_ALL` where a negated one keeps every host (`role != "wbe"`). Each names the
 * near values with their host counts. `fleet` is asked for only when a filter needs it.
 */
export function checkAgainstFleet(pipeline: Pipeline, checked: CheckResult, fleet: () => FleetInventory, diagnostics: DiagnosticBag): void {
  let inventory: FleetInventory | undefined;
  let warned = 0;
  const warn = (keeps: boolean, at: Expr['span'], message: string, found: string, near: readonly NearValue[], show: (v: string) => string) => {
    warned++;
    const code = keeps ? 'BW_NO_MATCH' : 'BW_MATCHES_ALL';
    diagnostics.warning(code, at, `${message}; ${didYouMean(near, show)}`, (near[0] as NearValue).value, { found, near });
  };
  pipeline.stages.forEach((stage, index) => {
    const scope = checked.stages[index]?.scope;
    if (stage.kind !== 'FilterStage' || scope?.kind !== 'resource' || !HOST_TAGGED.has(scope.resource)) return;
    for (const c of comparisons(stage.condition)) {
      if (warned >= MAX_WARNINGS) return;
      const binding = checked.bindings.get(c.name);
      const isTag = binding?.kind === 'tag';
      if (!isTag && !(binding?.kind === 'attribute' && binding.resource === 'host')) continue;
      inventory ??= fleet();
      const values = inventory.values(isTag ? 'tag' : 'attribute', c.name.name);
      if (!values) {
        // A tag key no host has: every value reads as "", so only a near key is worth a word.
        if (!isTag) continue;
        const near = nearValues(c.name.name, inventory.tagKeys());
        const effect = c.keeps ? '' : `, so \`${c.name.name}\` is "" on every host and this filter keeps them all`;
        if (near.length) warn(c.keeps, c.name.span, `no host has a tag \`${c.name.name}\`${effect}`, c.name.name, near, (k) => `\`${k}\``);
        continue;
      }
      for (const v of c.values) {
        if (warned >= MAX_WARNINGS) return;
        if (v.value === '' || values.has(v.value)) continue;
        const near = nearValues(v.value, values);
        const effect = c.keeps ? '' : ', so this filter keeps every host';
        if (near.length) warn(c.keeps, v.span, `no host has ${c.name.name} = ${quote(v.value)}${effect}`, v.value, near, quote);
      }
    }
  });
}
