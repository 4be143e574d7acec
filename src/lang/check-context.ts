import type { Expr, Identifier, Selector } from './ast.js';
import type { AttributeSpec, Catalogue, EventFieldSpec, MetricSpec, ResourceTypeName } from './catalogue.js';
import { RESOURCE_TYPES, findAttribute, findMetric } from './catalogue.js';
import type { DiagnosticBag } from './diagnostics.js';
import { formatExpr } from './format.js';
import { closest } from './suggest.js';
import type { ValueType } from './types.js';
import { T } from './types.js';
import type { Dimension } from './units.js';

/*
 * What the checker's parts share: where the rows stand after the stages so
 * far (scope and columns), what each name was bound to, and looking names up
 * in that scope. The stage, expression and call checkers read and move it.
 */

/** What a name in the statement refers to, decided by the checker. */
export type Binding =
  | { readonly kind: 'metric'; readonly resource: ResourceTypeName; readonly spec: MetricSpec }
  | { readonly kind: 'attribute'; readonly resource: ResourceTypeName; readonly spec: AttributeSpec }
  | { readonly kind: 'tag' }
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'field'; readonly spec: EventFieldSpec };

/**
 * Where rows stand after a stage: resources of a type, events, groups waiting
 * for an aggregation, or plain rows after one. `unknown` follows a broken
 * first stage, so later stages are checked without cascading errors.
 */
export type Scope =
  | { readonly kind: 'resource'; readonly resource: ResourceTypeName }
  | { readonly kind: 'events' }
  /** After group_by: `inner` is the scope of the grouped rows, where the aggregation's argument is read. */
  | { readonly kind: 'groups'; readonly keys: readonly string[]; readonly inner: Scope; readonly innerColumns: readonly Column[] }
  | { readonly kind: 'rows' }
  | { readonly kind: 'unknown' };

export interface Column {
  readonly name: string;
  readonly type: ValueType;
}

export const isNumber = (t: ValueType) => t.t === 'number' || t.t === 'any';
export const isString = (t: ValueType) => t.t === 'string' || t.t === 'any';
export const isBool = (t: ValueType) => t.t === 'bool' || t.t === 'any';
export const isRange = (t: ValueType) => (t.t === 'number' || t.t === 'bool') && t.range === true;
export const dimOf = (t: ValueType): Dimension => (t.t === 'number' ? t.dim : 'none');

/** The checker's shared state and name lookups; one per checked statement. */
export class CheckContext {
  readonly bindings = new Map<Identifier | Selector, Binding>();
  scope: Scope = { kind: 'unknown' };
  columns: Column[] = [];
  /** Tags that look like misspelt names; warned about at the end unless reported as errors meanwhile. */
  private readonly misspelt = new Map<Identifier, { suggestion: string; resource: ResourceTypeName }>();

  constructor(
    readonly catalogue: Catalogue,
    readonly diagnostics: DiagnosticBag,
  ) {}

  /** Warns about the tags that look like misspelt names and were not reported as errors meanwhile. */
  reportMisspelt(): void {
    for (const [n, { suggestion, resource }] of this.misspelt) {
      this.diagnostics.warning('BW_MAYBE_MISSPELT', n.span, `\`${n.name}\` is not a metric or attribute of ${resource}, so it is read as a tag; did you mean \`${suggestion}\`?`, suggestion);
    }
  }

  /** Reports a pattern that would not compile, as the agents would find it. */
  regex(pattern: string, at: { start: number; end: number }): void {
    try {
      new RegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(err);
      this.diagnostics.error('BW_BAD_REGEX', at, `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    }
  }

  /** Looks a bare name up without reporting: metric, attribute, column, or event field. */
  resolveName(n: Identifier): Binding | undefined {
    const scope = this.scope;
    const column = this.columns.find((c) => c.name === n.name);
    if (scope.kind === 'resource') {
      const metric = findMetric(this.catalogue, scope.resource, n.name);
      if (metric) return { kind: 'metric', resource: scope.resource, spec: metric };
      const attribute = findAttribute(this.catalogue, scope.resource, n.name);
      if (attribute) return { kind: 'attribute', resource: scope.resource, spec: attribute };
    }
    if (column) return { kind: 'column', name: column.name };
    if (scope.kind === 'events') {
      const field = this.catalogue.eventFields.find((f) => f.name === n.name);
      if (field) return { kind: 'field', spec: field };
    }
    return undefined;
  }

  /** Binds a bare name and returns its type; an unknown name reads as a tag on resources and is reported elsewhere. */
  identifier(n: Identifier, mustBeMetric = false): ValueType {
    const scope = this.scope;
    const found = this.resolveName(n);
    if (found && (!mustBeMetric || found.kind === 'metric')) {
      this.bindings.set(n, found);
      return bindingType(found, this.columns);
    }
    if (scope.kind === 'unknown') return T.any;
    if (mustBeMetric && scope.kind === 'resource') {
      this.unknownMetric(n);
      return T.any;
    }
    if (scope.kind === 'events') {
      const suggestion = closest(n.name, this.catalogue.eventFields.map((f) => f.name));
      this.diagnostics.error(
        'BW_UNKNOWN_FIELD',
        n.span,
        `events have no field \`${n.name}\`` + (suggestion ? `; did you mean \`${suggestion}\`?` : `: expected one of ${this.catalogue.eventFields.map((f) => f.name).join(', ')}`),
        suggestion,
      );
      return T.any;
    }
    if (scope.kind === 'rows' || scope.kind === 'groups') {
      const names = this.columns.map((c) => c.name);
      const suggestion = closest(n.name, names);
      this.diagnostics.error(
        'BW_UNKNOWN_COLUMN',
        n.span,
        `\`${n.name}\` is not a column here: after a reduction the rows have ${names.map((c) => `\`${c}\``).join(', ') || 'no columns'}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
        suggestion,
      );
      return T.any;
    }
    const suggestion = closest(n.name, this.knownNames(scope.resource));
    if (suggestion) this.misspelt.set(n, { suggestion, resource: scope.resource });
    this.bindings.set(n, { kind: 'tag' });
    return T.string;
  }

  /** Binds a metric with label matchers, checking each label and pattern. */
  selector(n: Selector): ValueType {
    const scope = this.scope;
    if (scope.kind !== 'resource') {
      if (scope.kind !== 'unknown') this.diagnostics.error('BW_UNKNOWN_METRIC', n.span, `metrics need resources, but the rows here are ${describeScope(scope)}`);
      return T.any;
    }
    const metric = findMetric(this.catalogue, scope.resource, n.name);
    if (!metric) {
      this.unknownMetric(n);
      return T.any;
    }
    this.bindings.set(n, { kind: 'metric', resource: scope.resource, spec: metric });
    for (const l of n.labels) {
      if (!metric.labels.includes(l.name)) {
        const suggestion = closest(l.name, metric.labels);
        this.diagnostics.error(
          'BW_UNKNOWN_LABEL',
          l.span,
          `metric \`${n.name}\` has no label \`${l.name}\`` + (metric.labels.length ? `: expected ${metric.labels.map((x) => `\`${x}\``).join(', ')}` : ': it has no labels') + (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
          suggestion,
        );
      } else if (l.op === '=~' || l.op === '!~') {
        this.regex(l.value, l.valueSpan);
      }
    }
    return T.number(metric.dim);
  }

  /** Reports a name that is no metric here, suggesting the closest one or the resource that has it. */
  unknownMetric(n: Identifier | Selector, why?: string): void {
    if (n.kind === 'Ident') this.misspelt.delete(n);
    const scope = this.scope;
    if (scope.kind !== 'resource') return;
    const names = this.catalogue.resources[scope.resource].metrics.map((x) => x.name);
    const suggestion = closest(n.name, names);
    const elsewhere = RESOURCE_TYPES.filter((r) => r !== scope.resource && findMetric(this.catalogue, r, n.name));
    this.diagnostics.error(
      'BW_UNKNOWN_METRIC',
      n.kind === 'Selector' ? { start: n.span.start, end: n.span.start + n.name.length } : n.span,
      `unknown metric \`${n.name}\` for ${scope.resource}` +
        (suggestion
          ? `; did you mean \`${suggestion}\`?`
          : elsewhere.length
            ? `; it is a metric of ${elsewhere.join(', ')}: traverse first, e.g. \`| ${elsewhere[0]} |\``
            : why
              ? ` (${why})`
              : ''),
      suggestion,
    );
  }

  /** The metric and attribute names of a resource type, for suggestions. */
  knownNames(resource: ResourceTypeName): string[] {
    const spec = this.catalogue.resources[resource];
    return [...spec.metrics.map((x) => x.name), ...spec.attributes.map((x) => x.name)];
  }


  /** Reports a command or action where the rows are no longer resources. */
  effect(at: { start: number; end: number }, what: string): void {
    const scope = this.scope;
    if (scope.kind === 'events' || scope.kind === 'rows' || scope.kind === 'groups') {
      const hint = scope.kind === 'events' ? '' : ': move it before the reduction';
      this.diagnostics.error('BW_NOT_ON_RESOURCES', at, `${what} runs on resources, but the rows here are ${describeScope(scope)}${hint}`);
    }
  }

  /** Reports a stage that cannot follow group_by; true when it did. */
  afterGroupBy(at: { start: number; end: number }, what: string): boolean {
    if (this.scope.kind !== 'groups') return false;
    this.diagnostics.error('BW_AFTER_GROUP_BY', at, `expected an aggregation (count, sum, avg, min, max, distinct) after group_by, found ${what}`);
    return true;
  }

  /** Reports a range of samples where one value is needed. */
  rangeAsInstant(e: Expr): void {
    const text = clip(formatExpr(e));
    this.diagnostics.error('BW_RANGE_AS_INSTANT', e.span, `\`${text}\` is a range of samples, but one value is needed here: reduce it first, e.g. \`avg(${text})\``);
  }

  /** Adds output columns, replacing any of the same name. */
  addColumns(cols: readonly Column[]): void {
    for (const c of cols) {
      const i = this.columns.findIndex((x) => x.name === c.name);
      if (i >= 0) this.columns[i] = c;
      else this.columns.push(c);
    }
  }
}

function bindingType(b: Binding, columns: readonly Column[]): ValueType {
  switch (b.kind) {
    case 'metric':
      return T.number(b.spec.dim);
    case 'attribute':
    case 'field':
      return b.spec.type === 'number' ? { ...T.number(b.spec.dim ?? 'none'), ...(b.spec.shownAs ? { shownAs: b.spec.shownAs } : {}) } : T.string;
    case 'column':
      return columns.find((c) => c.name === b.name)?.type ?? T.any;
    case 'tag':
      return T.string;
  }
}

export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'resource':
      return `${scope.resource} resources`;
    case 'events':
      return 'events';
    case 'groups':
      return `groups by ${scope.keys.join(', ')}`;
    case 'rows':
      return 'aggregated rows';
    case 'unknown':
      return 'unknown rows';
  }
}

/** Shortens quoted source in messages. */
export const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
