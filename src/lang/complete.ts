/**
 * Completion of a statement being typed: from the text and the cursor, what is being typed there
 * and the candidates for it, from the catalogue and what the fleet's agents report. Pure, so the
 * web Console's editor and the shell completion of the CLI (`breakwater __complete`) offer the
 * same; read from the tokens rather than the parse tree, since the text is unfinished while it is
 * typed. Where it completes:
 *
 * - a stage after `|`: resource types to traverse to, reductions, actions, `rolling`, then the
 *   type's metrics, attributes, the fleet's tag keys and functions; the first stage: a source;
 * - a name in an expression: metrics, attributes, tag keys and functions (event fields on events);
 * - `disk_usage{|`: the metric's labels, and nothing else inside the braces;
 * - `restart_service(|`: `param = ` for each parameter not given yet (also `rolling(`; for
 *   functions and reductions, whose arguments may be named, after the names);
 * - `role = "|`, `role != "|`, `role in ["|`: the values the fleet's hosts have for the tag (or a
 *   host attribute such as `name`; an event's `type`), inserted inside the quotes; after
 *   `container |` and `pod |` their own tags and attributes (FleetValues.resources) instead;
 * - nowhere inside a command in backticks, a comment or a number.
 */
import type { ActionParamSpec, Catalogue, ParamSpec, ResourceTypeName } from './catalogue.js';
import { RESOURCE_TYPES, ROLLING_PARAMS } from './catalogue.js';
import { DiagnosticBag } from './diagnostics.js';
import { lex } from './lexer.js';
import type { Token } from './tokens.js';

export interface Candidate {
  /** What the list shows. */
  readonly label: string;
  /** What replaces the span when it is accepted. */
  readonly insert: string;
  readonly kind: string;
  readonly detail: string;
}

export interface Completion {
  /** The text `[from, to)` an accepted candidate replaces. */
  readonly from: number;
  readonly to: number;
  /** What is typed of it before the cursor; every candidate starts with it. */
  readonly typed: string;
  readonly candidates: readonly Candidate[];
  /** Offer the list before anything is typed: only these can go here (a label, an argument's name, a value). */
  readonly eager: boolean;
}

/** What the agents list says the fleet has, by name: values seen, sorted. */
export interface FleetValues {
  readonly tags: Readonly<Record<string, readonly string[]>>;
  readonly hostAttributes: Readonly<Record<string, readonly string[]>>;
  /** What the fleet's containers and pods have (from `container | distinct(tags, …)`), once asked. */
  readonly resources?: Readonly<Partial<Record<'container' | 'pod', ResourceValues>>>;
}

/** The tag and attribute values seen on resources of one type, each key's values sorted. */
export interface ResourceValues {
  readonly tags: Readonly<Record<string, readonly string[]>>;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export const NO_FLEET: FleetValues = { tags: {}, hostAttributes: {} };

/** What one entry of the agents list (GET /api/v1/agents) says about its host; or one container or pod. */
export interface AgentValues {
  readonly tags: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * The values of these resources' tags and attributes, each key's values sorted by `compare` (the
 * callers pass protocol's BY_NAME.compare, web-2 before web-10, which this pure module may not
 * import). Empty strings and values that are not strings are left out.
 *
 * @example
 * resourceValues([{ tags: { app: 'shop' }, attributes: { image: 'nginx' } }], BY_NAME.compare);
 * // { tags: { app: ['shop'] }, attributes: { image: ['nginx'] } }
 */
export function resourceValues(items: readonly AgentValues[], compare: (a: string, b: string) => number): ResourceValues {
  const collect = (records: readonly Readonly<Record<string, unknown>>[]) => {
    const seen = new Map<string, Set<string>>();
    for (const r of records) {
      for (const [k, v] of Object.entries(r)) {
        if (typeof v !== 'string' || v === '') continue;
        if (!seen.has(k)) seen.set(k, new Set());
        seen.get(k)?.add(v);
      }
    }
    return Object.fromEntries([...seen].map(([k, vs]) => [k, [...vs].sort(compare)]));
  };
  return { tags: collect(items.map((a) => a.tags)), attributes: collect(items.map((a) => a.attributes)) };
}

/**
 * The fleet's values from the agents list (see {@link resourceValues}).
 *
 * @example
 * const fleet = fleetValues(await getJson(ep, '/api/v1/agents'), BY_NAME.compare);
 */
export function fleetValues(agents: readonly AgentValues[], compare: (a: string, b: string) => number): FleetValues {
  const hosts = resourceValues(agents, compare);
  return { tags: hosts.tags, hostAttributes: hosts.attributes };
}

/**
 * The container and pod types a statement being typed names: completion needs their values there,
 * and only there (listing them is a query of the whole fleet, so callers ask for them then).
 *
 * @example
 * resourcesNamed('host | container | app = "'); // ['container']
 */
export function resourcesNamed(source: string): ('container' | 'pod')[] {
  return (['container', 'pod'] as const).filter((type) => new RegExp(`(^|\\|)\\s*${type}\\s*(\\||$)`).test(source));
}

/** Every name the catalogue knows (the editor marks them as known). */
export function knownNames(cat: Catalogue): Set<string> {
  const names = new Set<string>([...RESOURCE_TYPES, ...Object.keys(cat.functions), ...Object.keys(cat.reductions), ...Object.keys(cat.actions), ...cat.eventFields.map((f) => f.name)]);
  for (const r of Object.values(cat.resources)) for (const x of [...r.metrics, ...r.attributes]) names.add(x.name);
  return names;
}

export interface CompleteOptions {
  /** The rows the text continues from when its first stage names none (the Fleet filter is a pipeline on hosts). */
  readonly source?: ResourceTypeName;
}

/**
 * What to offer at `cursor` in `source`, or undefined where nothing is completed.
 *
 * @example
 * complete('host | role = "w', 16, BUILTIN_CATALOGUE, fleet)?.candidates; // [{ label: 'web', insert: 'web"', … }]
 */
export function complete(source: string, cursor: number, cat: Catalogue, fleet: FleetValues = NO_FLEET, options: CompleteOptions = {}): Completion | undefined {
  const bag = new DiagnosticBag(source);
  const tokens = lex(source, bag).filter((t) => t.kind !== 'eof');
  const unterminated = new Set(bag.toArray().filter((d) => d.code === 'BW_UNTERMINATED_STRING' || d.code === 'BW_UNTERMINATED_COMMAND').map((d) => d.location.start));
  // A quoted token holds the cursor up to its closing quote, or to its end when it has none yet.
  const quoted = tokens.find((t) => (t.kind === 'string' || t.kind === 'command') && t.span.start < cursor && (cursor < t.span.end || (cursor === t.span.end && unterminated.has(t.span.start))));
  if (quoted?.kind === 'command') return undefined;
  if (quoted) return valueCompletion(source, cursor, tokens, quoted, !unterminated.has(quoted.span.start), cat, fleet, options);

  const word = tokens.find((t) => (t.kind === 'ident' || WORD_KEYWORDS.has(t.kind)) && t.span.start < cursor && cursor <= t.span.end);
  if (tokens.some((t) => t.kind === 'number' && t.span.start < cursor && cursor <= t.span.end)) return undefined;
  const from = word?.span.start ?? cursor;
  const before = tokens.filter((t) => t.span.end <= from);
  const gap = source.slice(before.at(-1)?.span.end ?? 0, from);
  if (gap.slice(gap.lastIndexOf('\n') + 1).includes('#')) return undefined; // in a comment

  const found = namesAt(before, cat, fleet, options);
  if (!found) return undefined;
  const to = word?.span.end ?? cursor;
  const typed = source.slice(from, cursor);
  return finish(from, to, typed, source.slice(from, to), found.candidates, found.eager);
}

/** Keywords are words being typed too (`in` on the way to `inode_usage`). */
const WORD_KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

/** A record's own entry: names typed by the user (`constructor`) must not find Object's. */
const own = <V>(record: Readonly<Record<string, V>>, key: string): V | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

type Rows = ResourceTypeName | 'events' | undefined;

/** Where the tokens before the cursor leave it: the current stage, the innermost open bracket, the rows' type. */
interface Place {
  readonly rows: Rows;
  readonly firstStage: boolean;
  readonly stageStart: number;
  /** Index of the innermost unclosed `(`, `[` or `{` of this stage, or -1. */
  readonly open: number;
}

function place(before: readonly Token[], options: CompleteOptions): Place {
  let rows: Rows = options.source;
  let stageStart = 0;
  const open: number[] = [];
  for (const [i, t] of before.entries()) {
    if (t.kind === '|') {
      // A stage that is one resource type word selects or traverses to that type.
      const stage = before.slice(stageStart, i);
      const only = stage.length === 1 ? stage[0]?.text : undefined;
      if (only && (RESOURCE_TYPES as readonly string[]).includes(only)) rows = only as ResourceTypeName;
      else if (only === 'events' && stageStart === 0) rows = 'events';
      stageStart = i + 1;
      open.length = 0; // a bracket left open does not outlive its stage
    } else if (t.kind === '(' || t.kind === '[' || t.kind === '{') open.push(i);
    else if (t.kind === ')' || t.kind === ']' || t.kind === '}') open.pop();
  }
  return { rows, firstStage: stageStart === 0 && !options.source, stageStart, open: open.at(-1) ?? -1 };
}

const OPERAND: ReadonlySet<string> = new Set(['ident', 'number', 'string', 'command', 'true', 'false', ')', ']', '}']);

function namesAt(before: readonly Token[], cat: Catalogue, fleet: FleetValues, options: CompleteOptions): { candidates: readonly Candidate[]; eager: boolean } | undefined {
  const at = place(before, options);
  const prev = before.at(-1);
  const opener = before[at.open];
  const ahead = before[at.open - 1];
  const afterOpenerOrComma = prev !== undefined && (prev === opener || prev.kind === ',');

  if (opener?.kind === '{') {
    if (!afterOpenerOrComma || ahead?.kind !== 'ident') return undefined;
    return { candidates: labels(ahead.text, usedNames(before, at.open), at.rows, cat), eager: true };
  }
  if (opener?.kind === '[' && (ahead?.kind === 'ident' || ahead?.kind === '}')) return undefined; // a range window: a duration
  // `rolling(ramp = ‸`: the parameter's words, not columns.
  const words = opener?.kind === '(' && ahead?.text === 'rolling' && prev?.kind === '=' ? ROLLING_PARAMS.find((p) => p.name === before.at(-2)?.text)?.words : undefined;
  if (words) return { candidates: words.map((w) => named(w, 'value', `\`${before.at(-2)?.text ?? ''} = ${w}\``)), eager: true };
  if (opener?.kind === '(' && ahead?.kind === 'ident' && afterOpenerOrComma) {
    const used = usedNames(before, at.open);
    const params = (list: readonly (ParamSpec | ActionParamSpec)[]) => list.filter((p) => !used.has(p.name) && !('variadic' in p && p.variadic)).map(argument);
    const action = own(cat.actions, ahead.text);
    if (action) return { candidates: params(action.params), eager: true };
    if (ahead.text === 'rolling') return { candidates: params(ROLLING_PARAMS), eager: true };
    const callee = own(cat.reductions, ahead.text) ?? own(cat.functions, ahead.text);
    if (callee) return { candidates: [...expressionNames(at.rows, cat, fleet), ...params(callee.params)], eager: false };
  }
  if (before.length === at.stageStart) {
    return { candidates: at.firstStage ? sources(cat) : stageNames(at.rows, cat, fleet), eager: false };
  }
  // After a value the next word is an operator: `cpu_usage > 80 an|`.
  if (prev && OPERAND.has(prev.kind)) {
    return { candidates: KEYWORD_CANDIDATES, eager: false };
  }
  return { candidates: expressionNames(at.rows, cat, fleet), eager: false };
}

/** A candidate inserted as it reads. */
const named = (label: string, kind: string, detail: string): Candidate => ({ label, insert: label, kind, detail });

const KEYWORD_CANDIDATES: readonly Candidate[] = [
  named('and', 'operator', 'both conditions hold'),
  named('or', 'operator', 'at least one holds'),
  named('in', 'operator', 'the value is one of a list: `in ["a", "b"]`'),
  named('not in', 'operator', 'the value is none of a list'),
];

/** Names given in the bracket opened at `open`: `name =` arguments, or a selector's labels. */
function usedNames(before: readonly Token[], open: number): Set<string> {
  const used = new Set<string>();
  for (let i = open + 1; i + 1 < before.length; i++) {
    const t = before[i];
    const p = before[i - 1];
    if (t?.kind === 'ident' && (p?.kind === ',' || i === open + 1) && /^(=|==|!=|=~|!~)$/.test(before[i + 1]?.kind ?? '')) used.add(t.text);
  }
  return used;
}

function labels(metric: string, used: ReadonlySet<string>, rows: Rows, cat: Catalogue): Candidate[] {
  const spec = resourcesOf(rows, cat)
    .flatMap((r) => r.metrics)
    .find((m) => m.name === metric);
  return (spec?.labels ?? []).filter((l) => !used.has(l)).map((l) => named(l, 'label', `label of ${metric}: {${l}="…"}`));
}

function argument(p: ParamSpec | ActionParamSpec): Candidate {
  const need = p.required ? 'required' : p.default !== undefined ? `default ${String(p.default)}` : 'optional';
  return { label: p.name, insert: `${p.name} = `, kind: 'argument', detail: `${p.type}, ${need}${p.description ? ` · ${p.description}` : ''}` };
}

const resourcesOf = (rows: Rows, cat: Catalogue) => (rows === 'events' ? [] : rows ? [cat.resources[rows]] : Object.values(cat.resources));

function sources(cat: Catalogue): Candidate[] {
  return [...Object.values(cat.resources).map((r) => named(r.name, 'source', r.description)), named('events', 'source', "The fleet's events: alarms, runs, agents joining and leaving.")];
}

/** What a stage after `|` may be, stages first: traversals, reductions, actions, rollouts; then any column or filter. */
function stageNames(rows: Rows, cat: Catalogue, fleet: FleetValues): Candidate[] {
  const related = rows === 'events' ? [] : rows ? cat.resources[rows].related : RESOURCE_TYPES;
  return [
    ...related.map((r) => named(r, 'resource', cat.resources[r].description)),
    ...sorted(Object.values(cat.reductions)).map((f) => named(f.name, 'reduction', f.description)),
    ...(rows === 'events' ? [] : sorted(Object.values(cat.actions).filter((a) => !rows || a.resources.includes(rows)))).map((a) => named(a.name, 'action', a.description)),
    ...(rows === 'events' ? [] : [named('rolling', 'rollout', 'Runs the next stage in batches: rolling(batch = 2, pause = 30s)')]),
    ...expressionNames(rows, cat, fleet),
  ];
}

/** Names that make a value on these rows: metrics, attributes, tags, functions; event fields on events. */
function expressionNames(rows: Rows, cat: Catalogue, fleet: FleetValues): Candidate[] {
  if (rows === 'events') return sorted(cat.eventFields).map((f) => named(f.name, 'event field', f.description));
  const resources = resourcesOf(rows, cat);
  const taken = new Set(resources.flatMap((r) => [...r.metrics, ...r.attributes]).map((x) => x.name));
  const tags = tagsOf(rows, fleet);
  return [
    ...resources.flatMap((r) => sorted(r.metrics).map((m) => named(m.name, 'metric', `${r.name}: ${m.description}`))),
    ...resources.flatMap((r) => sorted(r.attributes).map((a) => named(a.name, 'attribute', `${r.name}: ${a.description}`))),
    ...Object.keys(tags)
      .sort()
      .filter((k) => !taken.has(k))
      .map((k) => named(k, 'tag', sample(tags[k] ?? []))),
    ...sorted(Object.values(cat.functions)).map((f) => named(f.name, 'function', f.description)),
  ];
}

/**
 * The tags rows of this type carry: the hosts' on hosts and processes (which carry their host's);
 * containers and pods have labels of their own.
 */
function tagsOf(rows: Rows, fleet: FleetValues): Readonly<Record<string, readonly string[]>> {
  if (rows === 'container' || rows === 'pod') return fleet.resources?.[rows]?.tags ?? {};
  return rows === 'events' ? {} : fleet.tags;
}

/** A few of a tag's values, for the list: `web, db, cache +4`. */
function sample(values: readonly string[]): string {
  const shown = values.slice(0, 3).join(', ');
  return values.length > 3 ? `${shown} +${values.length - 3}` : shown;
}

const sorted = <V extends { readonly name: string }>(items: readonly V[]): V[] => [...items].sort((a, b) => a.name.localeCompare(b.name));

/** Inside a string: the values seen for the tag or attribute it is compared with (`role = "|`, `zone in ["a", "|`). */
function valueCompletion(source: string, cursor: number, tokens: readonly Token[], str: Token, closed: boolean, cat: Catalogue, fleet: FleetValues, options: CompleteOptions): Completion | undefined {
  const before = tokens.slice(0, tokens.indexOf(str));
  const at = place(before, options);
  const opener = before[at.open];
  if (opener?.kind === '{') return undefined; // a label's values are not known
  const n = before.length;
  const prev = before[n - 1];
  let key: Token | undefined;
  if (prev && /^(=|==|!=)$/.test(prev.kind)) {
    key = before[n - 2];
    // `name = "…"` right inside a call's parentheses is a named argument, not a comparison.
    const lead = before[n - 3];
    if (prev.kind === '=' && opener?.kind === '(' && before[at.open - 1]?.kind === 'ident' && (lead === opener || lead?.kind === ',')) return undefined;
  } else if (opener?.kind === '[' && (prev === opener || prev?.kind === ',')) {
    let i = at.open - 1;
    if (before[i]?.kind !== 'in') return undefined;
    if (before[i - 1]?.kind === 'not') i--;
    key = before[i - 1];
  }
  if (key?.kind !== 'ident') return undefined;
  const values = valuesOf(key.text, at.rows, cat, fleet);
  if (!values) return undefined;
  const quote = str.text[0] ?? '"';
  const from = str.span.start + 1;
  // The closing quote is part of what is replaced (or added, while it is not typed yet), so the cursor lands after it.
  const to = closed ? str.span.end : cursor;
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replaceAll(quote, `\\${quote}`);
  const candidates = values.list.map((v) => ({ label: v, insert: `${escape(v)}${quote}`, kind: 'value', detail: values.what }));
  return finish(from, to, source.slice(from, cursor), source.slice(from, to), candidates, true);
}

function valuesOf(key: string, rows: Rows, cat: Catalogue, fleet: FleetValues): { list: readonly string[]; what: string } | undefined {
  if (rows === 'events') return key === 'type' ? { list: cat.eventTypes, what: 'event type' } : undefined;
  const attributes = rows === 'host' ? fleet.hostAttributes : rows === 'container' || rows === 'pod' ? (fleet.resources?.[rows]?.attributes ?? {}) : {};
  const attribute = own(attributes, key);
  if (attribute) return { list: attribute, what: `${rows} ${key}` };
  // A metric or an attribute of these rows is not a tag.
  if (resourcesOf(rows, cat).some((r) => [...r.metrics, ...r.attributes].some((x) => x.name === key))) return undefined;
  const list = own(tagsOf(rows, fleet), key);
  return list ? { list, what: `${key} tag` } : undefined;
}

/** The candidates that start with what is typed (any case), once each, not the one already written in full. */
function finish(from: number, to: number, typed: string, written: string, all: readonly Candidate[], eager: boolean): Completion {
  const seen = new Set<string>();
  const prefix = typed.toLowerCase();
  const candidates = all.filter((c) => {
    if (seen.has(c.label) || !c.label.toLowerCase().startsWith(prefix) || c.insert === written) return false;
    seen.add(c.label);
    return true;
  });
  return { from, to, typed, candidates, eager };
}
