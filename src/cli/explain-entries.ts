/**
 * The entries `breakwater explain` knows: every resource type, stage, metric, attribute, function
 * and event field of a catalogue, as one flat list of pages (name, kind, synopsis, arguments,
 * unit, examples, related names). Read from the catalogue, the one table the checker and the
 * language reference use too, so a new metric or function explains itself.
 *
 * @example
 * const cpu = explainEntries(BUILTIN_CATALOGUE).filter((e) => e.name === 'cpu_usage');
 */
import type { Catalogue, Dimension, EventFieldSpec, FunctionSpec, ParamSpec, ResourceSpec } from '../lang/index.js';
import { DIMENSION_NAMES, RESOURCE_TYPES, ROLLING_PARAMS, UNITS, editDistance } from '../lang/index.js';

export const ENTRY_KINDS = ['resource', 'stage', 'metric', 'attribute', 'function', 'event field'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface EntryArgument {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: string | number | boolean;
  readonly description: string;
}

export interface ExplainEntry {
  readonly name: string;
  readonly kind: EntryKind;
  /** How it is written: `quantile(q, x)`, `disk_usage{mount, device, fstype}`. */
  readonly synopsis: string;
  /** One line each; a metric on several resource types says what it measures on each. */
  readonly description: readonly string[];
  /** Short labelled facts: what kind of stage, what a function returns, on which resource types. */
  readonly facts: readonly { readonly label: string; readonly value: string }[];
  readonly arguments: readonly EntryArgument[];
  readonly unit?: string;
  readonly examples: readonly string[];
  readonly related: readonly string[];
}

/** Every entry of the catalogue, grouped by kind in ENTRY_KINDS order, names sorted within a kind. */
export function explainEntries(cat: Catalogue): ExplainEntry[] {
  const resources = RESOURCE_TYPES.map((r) => cat.resources[r]);
  const entries = [
    ...resources.map((r) => resourceEntry(r)),
    ...stageEntries(cat),
    ...perResource(resources, 'metric', (r) => r.metrics),
    ...perResource(resources, 'attribute', (r) => r.attributes),
    ...Object.values(cat.functions).map((f) => functionEntry(f, cat)),
    ...cat.eventFields.map((f) => entry({ name: f.name, kind: 'event field', description: [f.description], examples: [eventFieldExample(f, cat)], related: ['events'], ...(f.dim ? { unit: unitOf(f.dim) } : {}) })),
  ];
  return entries.sort((a, b) => ENTRY_KINDS.indexOf(a.kind) - ENTRY_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name));
}

/** Names close to a misspelt one, nearest first: `cpu_usge` → cpu_usage. */
export function nearNames(name: string, entries: readonly ExplainEntry[], most = 5): string[] {
  const lower = name.toLowerCase();
  const max = Math.max(1, Math.floor(name.length / 3));
  const scored = new Map<string, number>();
  for (const e of entries) {
    const candidate = e.name.toLowerCase();
    // A name that contains what was typed (or is contained in it) is near whatever the distance: `cpu` → cpu_usage.
    const contains = lower.length >= 3 && (candidate.includes(lower) || lower.includes(candidate));
    const d = contains ? 0.5 : editDistance(lower, candidate, max);
    if (d <= max && d < (scored.get(e.name) ?? Infinity)) scored.set(e.name, d);
  }
  return [...scored].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, most).map(([n]) => n);
}

function eventFieldExample(f: EventFieldSpec, cat: Catalogue): string {
  if (f.type === 'number') return `events | ${f.name} > 0`;
  if (f.name === 'type') return `events | type = "${cat.eventTypes[0] ?? 'alarm_fired'}"`;
  return `events | group_by(${f.name}) | count`;
}

const entry = (e: Partial<ExplainEntry> & Pick<ExplainEntry, 'name' | 'kind' | 'description'>): ExplainEntry => ({ synopsis: e.name, facts: [], arguments: [], examples: [], related: [], ...e });

function resourceEntry(r: ResourceSpec): ExplainEntry {
  return entry({
    name: r.name,
    kind: 'resource',
    description: [r.description],
    facts: [
      { label: 'Attributes', value: r.attributes.map((a) => a.name).join(', ') },
      { label: 'Metrics', value: r.metrics.map((m) => m.name).join(', ') },
      { label: 'Command env', value: r.env.join(', ') },
      { label: 'Inventory', value: r.inventory ? 'known to the control plane: filters on attributes and tags need no agent' : 'asked of the agents' },
    ],
    examples: [r.example],
    related: r.related,
  });
}

const argumentsOf = (params: readonly ParamSpec[]): EntryArgument[] =>
  params.map((p) => ({ name: p.variadic ? `${p.name}…` : p.name, type: p.type, required: p.required, ...(p.default !== undefined ? { default: p.default } : {}), description: p.description }));

const callSynopsis = (name: string, params: readonly { name: string; required: boolean; variadic?: boolean }[]) =>
  params.length ? `${name}(${params.map((p) => `${p.required ? '' : '['}${p.name}${p.variadic ? ', …' : ''}${p.required ? '' : ']'}`).join(', ')})` : name;

const STAGE_KINDS: Readonly<Record<string, string>> = {
  aggregate: 'reduction: folds the rows into one per group',
  select: 'reduction: keeps some of the rows, in an order',
  group: 'grouping: the next reduction runs per group',
};

function stageEntries(cat: Catalogue): ExplainEntry[] {
  const reductions = Object.values(cat.reductions);
  return [
    ...reductions.map((r) =>
      entry({
        name: r.name,
        kind: 'stage',
        synopsis: callSynopsis(r.name, r.params),
        description: [r.description],
        facts: [{ label: 'Kind', value: STAGE_KINDS[r.kind] ?? r.kind }],
        arguments: argumentsOf(r.params),
        examples: [r.example],
        related: [...reductions.filter((x) => x.kind === r.kind && x.name !== r.name).map((x) => x.name), ...(cat.functions[r.name] ? [r.name] : [])],
      }),
    ),
    entry({
      name: 'rolling',
      kind: 'stage',
      synopsis: callSynopsis('rolling', ROLLING_PARAMS),
      description: ['Runs the next stage (a command or an action) in batches, checking health between them.'],
      facts: [{ label: 'Kind', value: 'rollout' }],
      arguments: argumentsOf(ROLLING_PARAMS),
      examples: ['host | role = "web" | rolling(batch = 2, pause = 30s, until = cpu_usage < 80) | `systemctl restart nginx`'],
      related: ['sample', ...Object.keys(cat.actions)],
    }),
    entry({
      name: 'events',
      kind: 'stage',
      description: ["A source: the fleet's events (alarms, runs, agents joining and leaving), filtered and reduced like hosts."],
      facts: [{ label: 'Kind', value: 'source' }, { label: 'Fields', value: cat.eventFields.map((f) => f.name).join(', ') }],
      examples: ['events | type = "alarm_fired" | age < 1h | count'],
      related: [...RESOURCE_TYPES],
    }),
    ...Object.values(cat.actions).map((a) =>
      entry({
        name: a.name,
        kind: 'stage',
        synopsis: callSynopsis(a.name, a.params),
        description: [a.description],
        facts: [{ label: 'Kind', value: 'action (from the fleet\'s definitions)' }, { label: 'Runs on', value: a.resources.join(', ') }],
        arguments: a.params.map((p) => ({ name: p.name, type: p.type, required: p.required, ...(p.default !== undefined ? { default: p.default } : {}), description: p.description ?? '' })),
        examples: [`${a.resources[0] ?? 'host'} | ${a.name}(${a.params.filter((p) => p.required).map((p) => `${p.name} = …`).join(', ')})`],
        related: ['rolling'],
      }),
    ),
  ];
}

/** Metrics and attributes: one entry per name, saying what it is on each resource type that has it. */
function perResource(resources: readonly ResourceSpec[], kind: 'metric' | 'attribute', items: (r: ResourceSpec) => readonly { name: string; description: string; type?: string; dim?: Dimension; labels?: readonly string[]; example?: string }[]): ExplainEntry[] {
  const byName = new Map<string, { resource: ResourceSpec; item: ReturnType<typeof items>[number] }[]>();
  for (const resource of resources) for (const item of items(resource)) byName.set(item.name, [...(byName.get(item.name) ?? []), { resource, item }]);
  return [...byName].map(([name, on]) => {
    const first = on[0]?.item;
    const labels = first?.labels ?? [];
    const dims = new Set(on.map((o) => o.item.dim).filter((d): d is Dimension => d !== undefined));
    const siblings = on.flatMap((o) => items(o.resource).filter((x) => x.name !== name && (x.dim ?? 'none') === (first?.dim ?? 'none')).map((x) => x.name));
    return entry({
      name,
      kind,
      synopsis: labels.length ? `${name}{${labels.join(', ')}}` : name,
      description: on.length === 1 ? [first?.description ?? ''] : on.map((o) => `on ${o.resource.name}: ${o.item.description}`),
      facts: [{ label: 'On', value: on.map((o) => o.resource.name).join(', ') }, ...(kind === 'attribute' ? [{ label: 'Type', value: first?.type ?? 'string' }] : [])],
      ...(dims.size ? { unit: [...dims].map(unitOf).join('; ') } : {}),
      examples: kind === 'metric' ? on.map((o) => o.item.example ?? '').filter(Boolean) : on.map((o) => `${o.resource.name} | distinct(${name})`).slice(0, 2),
      related: [...new Set(siblings)].slice(0, 6),
    });
  });
}

const RETURNS: Readonly<Record<FunctionSpec['returns'], string>> = {
  number: 'a number',
  bool: 'true or false',
  same: "the range's own unit",
  rate: "the range's unit per second",
  seconds: 'seconds',
};

function functionEntry(f: FunctionSpec, cat: Catalogue): ExplainEntry {
  return entry({
    name: f.name,
    kind: 'function',
    synopsis: callSynopsis(f.name, f.params),
    description: [f.description],
    facts: [
      { label: 'Kind', value: f.kind === 'range' ? 'range function: over a metric window, e.g. cpu_usage[5m]' : f.kind === 'check' ? 'check: runs on the host of each resource' : 'window function: counts seconds a condition held' },
      { label: 'Returns', value: RETURNS[f.returns] },
    ],
    arguments: argumentsOf(f.params),
    examples: [f.example],
    related: [...Object.values(cat.functions).filter((x) => x.kind === f.kind && x.name !== f.name).map((x) => x.name), ...(cat.reductions[f.name] ? [f.name] : [])],
  });
}

/** `a percentage (write 80 or 80%)`, `a size in bytes (write B, KB, …, KiB, …)`. */
function unitOf(dim: Dimension): string {
  const suffixes = Object.entries(UNITS)
    .filter(([, u]) => u.dimension === dim)
    .map(([s]) => s);
  return suffixes.length ? `${DIMENSION_NAMES[dim]} (literals: ${suffixes.join(', ')})` : DIMENSION_NAMES[dim];
}
