import { toDocument } from './export.js';
import type { ActionDefinition, Definition } from './types.js';
import { DEFINITION_KINDS } from './types.js';

/** One changed field, by its YAML path (`circuit_breaker.max`), with the values as written in YAML (`1m`). */
export interface FieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface DefinitionUpdate {
  readonly before: Definition;
  readonly after: Definition;
  readonly changes: FieldChange[];
}

export interface DefinitionDiff {
  readonly create: Definition[];
  readonly update: DefinitionUpdate[];
  readonly delete: Definition[];
  readonly unchanged: number;
}

const keyOf = (d: Definition) => `${d.kind}/${d.name}`;
const order = (a: Definition, b: Definition) => DEFINITION_KINDS.indexOf(a.kind) - DEFINITION_KINDS.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** A plain mapping (not null, not a list); shared with the plan presentation. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}

/** Leaf-level differences; lists and scalars are compared whole. */
function changes(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) changes(before[k], after[k], path ? `${path}.${k}` : k, out);
  } else if (!equal(before, after)) out.push({ field: path, before, after });
}

const withoutOrigin = (d: Definition): Record<string, unknown> => {
  const { origin: _origin, ...rest } = d;
  return rest;
};

/**
 * What applying `next` over `current` does, keyed by kind and name (a renamed
 * definition is a delete and a create). `origin` (file and line) is ignored:
 * moving a definition between files changes nothing.
 */
export function diffDefinitions(current: readonly Definition[], next: readonly Definition[]): DefinitionDiff {
  const actionsIn = (set: readonly Definition[]) => {
    const map = new Map(set.filter((d): d is ActionDefinition => d.kind === 'action').map((a) => [a.name, a]));
    return (name: string) => map.get(name);
  };
  const beforeAction = actionsIn(current);
  const afterAction = actionsIn(next);
  const old = new Map(current.map((d) => [keyOf(d), d]));
  const seen = new Set<string>();
  const create: Definition[] = [];
  const update: DefinitionUpdate[] = [];
  let unchanged = 0;
  for (const after of next) {
    const key = keyOf(after);
    seen.add(key);
    const before = old.get(key);
    if (!before) {
      create.push(after);
      continue;
    }
    if (equal(withoutOrigin(before), withoutOrigin(after))) {
      unchanged++;
      continue;
    }
    const found: FieldChange[] = [];
    changes(toDocument(before, beforeAction), toDocument(after, afterAction), '', found);
    if (found.length === 0) changes(withoutOrigin(before), withoutOrigin(after), '', found);
    update.push({ before, after, changes: found });
  }
  const removed = current.filter((d) => !seen.has(keyOf(d)));
  return {
    create: create.sort(order),
    update: update.sort((a, b) => order(a.after, b.after)),
    delete: removed.sort(order),
    unchanged,
  };
}
