import { Cron, CronPattern } from 'croner';
import type { Scalar } from 'yaml';
import { LineCounter, isMap, isScalar, parseAllDocuments } from 'yaml';
import type { Analysis, Catalogue, Dimension, ResourceTypeName, StageRole } from '../lang/index.js';
import { RESOURCE_TYPES, UNITS, analyze, closest, extendCatalogue, formatSeconds } from '../lang/index.js';
import type { DefinitionDiagnosticCode } from './diagnostics.js';
import type { Pending, YNode } from './fields.js';
import { Doc, EXPECT, Fields, describe, readDuration } from './fields.js';
import {
  COMMON_FIELDS,
  DEFAULTS,
  DIMENSIONS,
  KIND_FIELDS,
  PARAM_FIELDS,
  PARAM_TYPES,
  SEVERITIES,
  TRIGGER_EVENTS,
  TRIGGER_FIELDS,
  describeNameRule,
  fixName,
  kindsWithField,
  nameRule,
  paramNameProblem,
  parseMode,
  pathProblem,
  reservedNames,
  withArticle,
} from './rules.js';
import { actionRefusal, botRefusal, readAllowed } from './permissions.js';
import { checkSecretRefs, readActionSecrets, readSecret } from './secrets.js';
import { sha256Hex } from './sha256.js';
import { TEMPLATE_VARIABLES, parseTemplate } from './templates.js';
import type {
  ActionDefinition,
  ActionParam,
  AlarmDefinition,
  BotDefinition,
  BotTrigger,
  Definition,
  DefinitionDiagnostic,
  DefinitionKind,
  FileDefinition,
  MetricDefinition,
  ScheduleDefinition,
} from './types.js';
import { DEFINITION_KINDS } from './types.js';

export interface DefinitionFile {
  /** Where it came from, as diagnostics should name it: `defs/alarms/disk.yaml`. */
  readonly path: string;
  readonly text: string;
}

export interface ParseResult {
  /**
   * The checked definitions, in file and document order. Empty whenever there
   * is an error diagnostic: a set is applied whole or not at all.
   */
  readonly definitions: Definition[];
  /** The base catalogue extended with the set's actions and custom metrics (also when there are errors, for editors). */
  readonly catalogue: Catalogue;
  /** Every problem found, errors and warnings, in file order then position. */
  readonly diagnostics: DefinitionDiagnostic[];
}

/** One document that names a known kind. */
interface Raw {
  readonly doc: Doc;
  readonly fields: Fields;
  readonly kind: DefinitionKind;
  /** Undefined when missing or invalid (reported); the rest is still checked. */
  readonly name: string | undefined;
  readonly nameAt: number;
  /** The line of `kind:`. */
  readonly line: number;
  duplicate: boolean;
}

/**
 * Parses and checks a set of definition files (YAML, several documents per
 * file allowed) against the language catalogue `base`, usually
 * BUILTIN_CATALOGUE. Never throws on bad input: every problem is a diagnostic
 * with file, line, column, field and a stable `BWD_*` code.
 *
 * The set's actions and custom metrics are added to the catalogue first, so
 * alarms, schedules and files may use them. `definitions` is only returned
 * when there are no errors: nothing partial.
 *
 * @example
 * const { definitions, diagnostics } = parseDefinitions([{ path: 'defs/disk.yaml', text }], BUILTIN_CATALOGUE);
 */
export function parseDefinitions(files: readonly DefinitionFile[], base: Catalogue): ParseResult {
  const pending: Pending[] = [];
  const raws: Raw[] = [];
  files.forEach((file, index) => readFile(file, index, base, pending, raws));
  markDuplicates(raws);
  const set = new SetChecker(base);
  const definitions = set.run(raws.filter((r) => !r.duplicate));
  const diagnostics = pending
    .sort((a, b) => a.fileIndex - b.fileIndex || a.offset - b.offset)
    .map((p) => p.diagnostic);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { definitions: failed ? [] : definitions, catalogue: set.catalogue, diagnostics };
}

function readFile(file: DefinitionFile, fileIndex: number, base: Catalogue, out: Pending[], raws: Raw[]): void {
  const lines = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
  for (const yamlDoc of docs) {
    const doc = new Doc(file.path, fileIndex, file.text, lines, yamlDoc, out);
    for (const e of yamlDoc.errors) {
      const hint = e.code === 'BAD_SCALAR_START' ? '; put the value in quotes' : e.code === 'DUPLICATE_KEY' ? '; each field may appear once per definition' : '';
      doc.report(e.pos[0], '', 'BWD_YAML', `invalid YAML: ${e.message} (${e.code})${hint}`);
    }
    for (const w of yamlDoc.warnings) doc.report(w.pos[0], '', 'BWD_YAML', `YAML: ${w.message} (${w.code})`, { severity: 'warning' });
    if (yamlDoc.errors.length) continue;
    const contents = doc.resolve(yamlDoc.contents);
    if (contents === undefined || (isScalar(contents) && contents.value === null)) continue; // an empty document, e.g. after a trailing `---`
    if (!isMap(contents)) {
      doc.report(contents.range[0], '', 'BWD_NOT_A_MAPPING', `expected a definition (a mapping with \`kind\`, \`name\` and its fields), found ${describe(contents)}`);
      continue;
    }
    const fields = new Fields(doc, contents, '', contents.range[0]);
    const kind = readKind(fields);
    if (kind === undefined) continue;
    const line = doc.line(fields.keyAt('kind'));
    const name = readName(fields, kind, base);
    raws.push({ doc, fields, kind, name, nameAt: fields.where('name'), line, duplicate: false });
  }
}

function readKind(f: Fields): DefinitionKind | undefined {
  const expected = `one of ${DEFINITION_KINDS.map((k) => `\`${k}\``).join(', ')}`;
  const kind = f.string('kind', expected, true);
  if (kind === undefined) return undefined;
  if ((DEFINITION_KINDS as readonly string[]).includes(kind)) return kind as DefinitionKind;
  const suggestion = closest(kind, DEFINITION_KINDS) ?? (kind.endsWith('s') ? closest(kind.slice(0, -1), DEFINITION_KINDS) : undefined);
  f.bad('kind', 'BWD_UNKNOWN_KIND', `unknown kind ${JSON.stringify(kind)}: expected ${expected}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
  return undefined;
}

function readName(f: Fields, kind: DefinitionKind, base: Catalogue): string | undefined {
  const name = f.string('name', `a name: ${describeNameRule(kind)}`, true);
  if (name === undefined) return undefined;
  if (!nameRule(kind).test(name)) {
    const suggestion = fixName(kind, name);
    f.bad('name', 'BWD_BAD_NAME', `expected ${withArticle(kind)} name: ${describeNameRule(kind)}; found ${JSON.stringify(name)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
    return undefined;
  }
  if (kind === 'action' || kind === 'metric') {
    const taken = reservedNames(base, kind).get(name);
    if (taken) {
      f.bad('name', 'BWD_RESERVED_NAME', `${withArticle(kind)} cannot be named \`${name}\`: that is ${taken}, so statements could not tell them apart`);
      return undefined;
    }
  }
  return name;
}

function markDuplicates(raws: Raw[]): void {
  const seen = new Map<string, Raw>();
  for (const r of raws) {
    if (r.name === undefined) continue;
    const key = `${r.kind}/${r.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      continue;
    }
    r.duplicate = true;
    const there = `${first.doc.file}:${first.doc.line(first.nameAt)}`;
    const here = `${r.doc.file}:${r.doc.line(r.nameAt)}`;
    r.doc.report(r.nameAt, 'name', 'BWD_DUPLICATE', `${r.kind} \`${r.name}\` is defined twice: at ${there} and at ${here}; names are unique per kind`);
  }
}

const ROLE_TEXT: Partial<Record<StageRole, string>> = {
  command: 'a command',
  action: 'an action call',
  reduction: 'a reduction',
  rollout: 'a rollout',
  column: 'a column (a value, not a condition)',
  traverse: 'a traversal',
  source: 'a source',
};

/** A piece of a statement for a message, on one line, in backticks unless it is a command. */
const clip = (s: string, n = 50) => {
  const one = s.replace(/\s+/g, ' ').trim();
  const short = one.length > n ? `${one.slice(0, n - 1)}…` : one;
  return short.includes('`') ? short : `\`${short}\``;
};

interface Statement {
  readonly value: string;
  readonly node: Scalar.Parsed;
  readonly analysis: Analysis;
  /** Whether the statement's own part has an error. */
  readonly failed: boolean;
}

/** What a bot's trigger provides: the resource its action runs on and the template variables. */
interface TriggerInfo {
  readonly trigger: BotTrigger;
  readonly resource: ResourceTypeName | undefined;
  readonly describe: string;
}

/** Checks each document of a set, actions and metrics first so the rest can use them. */
class SetChecker {
  catalogue: Catalogue;
  private readonly actions = new Map<string, ActionDefinition>();
  private readonly alarms = new Map<string, { def: AlarmDefinition; resource: ResourceTypeName | undefined }>();
  private readonly filePaths = new Map<string, Raw>();

  constructor(private readonly base: Catalogue) {
    this.catalogue = base;
  }

  run(raws: readonly Raw[]): Definition[] {
    const results = new Map<Raw, Definition>();
    const secretRefs = new Map<Raw, { value: string; node: Scalar.Parsed }[]>();
    const allowed = new Map<Raw, { value: string; node: Scalar.Parsed }>();
    const metrics: MetricDefinition[] = [];
    for (const r of raws) {
      this.common(r);
      if (r.kind === 'action') {
        const refs = readActionSecrets(r.fields);
        const { def: plain, allowedStatement } = this.action(r);
        const def = refs.length ? { ...plain, secrets: refs.map((s) => s.value) } : plain;
        secretRefs.set(r, refs);
        results.set(r, def);
        if (allowedStatement) allowed.set(r, allowedStatement);
        if (r.name !== undefined) this.actions.set(r.name, def);
      } else if (r.kind === 'metric') {
        const def = this.metric(r);
        results.set(r, def);
        if (r.name !== undefined) metrics.push(def);
      }
    }
    this.catalogue = extendCatalogue(this.base, {
      actions: [...this.actions.values()].map((a) => ({ name: a.name, description: a.description, params: a.params, resources: a.resources })),
      metrics: metrics.map((m) => ({ name: m.name, dim: m.unit, labels: m.labels, description: m.description, resource: m.resource })),
    });
    for (const [r, statement] of allowed) this.actionAllowed(r, statement, results.get(r) as ActionDefinition);
    for (const r of raws) if (r.kind === 'alarm') results.set(r, this.alarm(r));
    for (const r of raws) if (r.kind === 'file') results.set(r, this.file(r));
    for (const r of raws) if (r.kind === 'schedule') results.set(r, this.schedule(r));
    for (const r of raws) if (r.kind === 'bot') results.set(r, this.bot(r));
    for (const r of raws) if (r.kind === 'secret') results.set(r, readSecret(r.fields, this.basics(r), (q) => this.hostSelection(r.doc, 'hosts', q, 'a secret\'s `hosts`')));
    const secrets = raws.filter((r) => r.kind === 'secret' && r.name !== undefined).map((r) => r.name as string);
    for (const [r, refs] of secretRefs) checkSecretRefs(r.fields, refs, secrets);
    return raws.map((r) => results.get(r)).filter((d): d is Definition => d !== undefined);
  }

  /** Unknown fields, for every kind. */
  private common(r: Raw): void {
    r.fields.allow([...COMMON_FIELDS, ...KIND_FIELDS[r.kind]], withArticle(r.kind), kindsWithField);
  }

  private basics(r: Raw) {
    const description = r.fields.string('description', 'a description (text)', false) ?? '';
    return { name: r.name ?? '', description, origin: { file: r.doc.file, line: r.line } };
  }

  // ---------------------------------------------------------------- action

  private action(r: Raw): { def: ActionDefinition; allowedStatement: { value: string; node: Scalar.Parsed } | undefined } {
    const f = r.fields;
    const command = f.string('command', 'a shell command', true, { nonEmpty: true }) ?? '';
    const params = this.params(f);
    const timeoutSeconds = f.duration('timeout', DEFAULTS.actionTimeoutSeconds, 'positive') ?? DEFAULTS.actionTimeoutSeconds;
    const user = f.string('user', 'a user name', false, { nonEmpty: true });
    if (user !== undefined && !/^([a-z_][a-z0-9_.-]{0,31}|[0-9]+)$/.test(user)) {
      f.bad('user', 'BWD_BAD_VALUE', `expected a user name (lowercase letters, digits, \`_\`, \`-\`, \`.\`, starting with a letter or \`_\`) or a numeric uid, found ${JSON.stringify(user)}`);
    }
    const outputLimitBytes = f.size('output_limit', DEFAULTS.outputLimitBytes);
    const resources = this.resources(f);
    const { where: allowedStatement, runBy } = readAllowed(f);
    const def: ActionDefinition = {
      kind: 'action',
      ...this.basics(r),
      command,
      params,
      timeoutSeconds,
      ...(user !== undefined ? { user } : {}),
      outputLimitBytes,
      resources,
      ...(allowedStatement ? { allowed: allowedStatement.value.trim() } : {}),
      ...(runBy ? { runBy } : {}),
    };
    return { def, allowedStatement };
  }

  private params(f: Fields): ActionParam[] {
    const expected = 'a mapping of parameter names to a type (`dir: string`) or to settings (`days: { type: number, default: 7 }`)';
    const pf = f.map('params', expected, false);
    if (!pf) return [];
    const params: ActionParam[] = [];
    for (const name of pf.keys()) {
      const problem = paramNameProblem(name);
      if (problem) pf.badKey(name, 'BWD_BAD_PARAM', problem);
      const param = this.param(pf, name);
      if (param && !problem) params.push(param);
    }
    return params;
  }

  private param(pf: Fields, name: string): ActionParam | undefined {
    const types = PARAM_TYPES.map((t) => `\`${t}\``).join(', ');
    const node = pf.node(name);
    if (node === undefined) {
      pf.missing(name, `a type (${types}) or a mapping with \`type\`, \`required\`, \`default\`, \`description\``);
      return undefined;
    }
    if (isScalar(node)) {
      const type = pf.oneOf(name, PARAM_TYPES, undefined);
      return type ? { name, type, required: true } : undefined;
    }
    const sub = pf.map(name, `a type (${types}) or a mapping with \`type\`, \`required\`, \`default\`, \`description\``, true);
    if (!sub) return undefined;
    sub.allow(PARAM_FIELDS, `parameter \`${name}\``);
    const type = sub.oneOf('type', PARAM_TYPES, 'string') ?? 'string';
    const description = sub.string('description', 'a description (text)', false);
    const dn = sub.node('default');
    let value: string | number | boolean | undefined;
    if (dn !== undefined) {
      value = this.typedValue(dn, type, (message) => sub.bad('default', 'BWD_BAD_DEFAULT', `the default of a ${type} parameter: ${message}`));
    }
    const hasDefault = dn !== undefined;
    const required = sub.has('required') ? sub.bool('required', !hasDefault) : !hasDefault;
    if (hasDefault && required) sub.badKey('required', 'BWD_CONFLICT', 'a parameter with a `default` is not required: remove `required: true` or the default');
    return { name, type, required: required && !hasDefault, ...(value !== undefined ? { default: value } : {}), ...(description !== undefined ? { description } : {}) };
  }

  /** A YAML value of a parameter type; durations become seconds. */
  private typedValue(n: YNode, type: ActionParam['type'], fail: (message: string) => void): string | number | boolean | undefined {
    const v = isScalar(n) ? n.value : undefined;
    switch (type) {
      case 'string':
        if (typeof v === 'string') return v;
        fail(`expected a string, found ${describe(n)}` + (typeof v === 'number' || typeof v === 'boolean' ? '; put it in quotes' : ''));
        return undefined;
      case 'number':
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        fail(`expected a number, found ${describe(n)}`);
        return undefined;
      case 'bool':
        if (typeof v === 'boolean') return v;
        fail(`expected ${EXPECT.bool}, found ${describe(n)}`);
        return undefined;
      case 'duration':
        return readDuration(n, 'zero', fail);
    }
  }

  private resources(f: Fields): ResourceTypeName[] {
    const n = f.node('resources');
    if (n === undefined) return [...DEFAULTS.actionResources];
    const list = isScalar(n) && typeof n.value === 'string' ? [{ value: n.value, node: n }] : f.strings('resources', 'a resource type');
    if (!list) return [...DEFAULTS.actionResources];
    if (list.length === 0) {
      f.bad('resources', 'BWD_BAD_VALUE', `expected at least one resource type (${RESOURCE_TYPES.join(', ')}), found an empty list`);
      return [...DEFAULTS.actionResources];
    }
    const out: ResourceTypeName[] = [];
    for (const { value, node } of list) {
      if (!(RESOURCE_TYPES as readonly string[]).includes(value)) {
        const suggestion = closest(value, RESOURCE_TYPES);
        f.doc.report(node.range[0], 'resources', 'BWD_BAD_VALUE', `expected a resource type (${RESOURCE_TYPES.join(', ')}), found ${JSON.stringify(value)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
      } else if (out.includes(value as ResourceTypeName)) {
        f.doc.report(node.range[0], 'resources', 'BWD_BAD_VALUE', `\`${value}\` is listed twice`);
      } else out.push(value as ResourceTypeName);
    }
    return out.length ? out : [...DEFAULTS.actionResources];
  }

  private actionAllowed(r: Raw, statement: { value: string; node: Scalar.Parsed }, def: ActionDefinition): void {
    const s = this.statement(r.doc, statement.node === r.fields.node('allowed') ? 'allowed' : 'allowed.where', statement);
    this.selection(r.doc, statement.node === r.fields.node('allowed') ? 'allowed' : 'allowed.where', s, def.resources, 'an action\'s `allowed` statement');
  }

  // ---------------------------------------------------------------- metric

  private metric(r: Raw): MetricDefinition {
    const f = r.fields;
    const resource = f.oneOf('resource', ['host'] as const, 'host') ?? 'host';
    const unit = this.unit(f);
    const labels = this.labels(f);
    const sampler = this.sampler(f);
    const intervalSeconds = f.duration('interval', DEFAULTS.metricIntervalSeconds, 'positive') ?? DEFAULTS.metricIntervalSeconds;
    const fallback = Math.min(DEFAULTS.metricTimeoutSeconds, intervalSeconds);
    const timeoutSeconds = f.duration('timeout', fallback, 'positive') ?? fallback;
    if (timeoutSeconds > intervalSeconds) {
      f.bad('timeout', 'BWD_BAD_DURATION', `expected a timeout no longer than the interval (${formatSeconds(intervalSeconds)}), found ${describe(f.node('timeout'))}: a sample must finish before the next one starts`);
    }
    return { kind: 'metric', ...this.basics(r), resource, unit, labels, sampler, intervalSeconds, timeoutSeconds };
  }

  private unit(f: Fields): Dimension {
    const n = f.node('unit');
    if (n === undefined) return DEFAULTS.metricUnit;
    const list = DIMENSIONS.map((d) => `\`${d}\``).join(', ');
    if (isScalar(n) && typeof n.value === 'string') {
      if ((DIMENSIONS as string[]).includes(n.value)) return n.value as Dimension;
      const byUnit = UNITS[n.value]?.dimension;
      const suggestion = byUnit ?? closest(n.value, DIMENSIONS);
      f.bad('unit', 'BWD_BAD_VALUE', `expected one of ${list}, found ${describe(n)}` + (suggestion ? `; did you mean \`${suggestion}\`?` : ''), { suggestion });
    } else f.bad('unit', 'BWD_BAD_TYPE', `expected one of ${list}, found ${describe(n)}`);
    return DEFAULTS.metricUnit;
  }

  private labels(f: Fields): string[] {
    const list = f.strings('labels', 'a label name') ?? [];
    const out: string[] = [];
    for (const { value, node } of list) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) f.doc.report(node.range[0], 'labels', 'BWD_BAD_NAME', `expected a label name (lowercase letters, digits and \`_\`, not starting with a digit), found ${JSON.stringify(value)}`);
      else if (out.includes(value)) f.doc.report(node.range[0], 'labels', 'BWD_BAD_VALUE', `label \`${value}\` is listed twice`);
      else out.push(value);
    }
    return out;
  }

  private sampler(f: Fields): MetricDefinition['sampler'] {
    const hasCommand = f.has('command');
    const hasScrape = f.has('scrape');
    if (hasCommand && hasScrape) {
      f.badKey('scrape', 'BWD_CONFLICT', 'a metric is sampled by `command` or by `scrape`, not both');
    }
    if (!hasCommand && !hasScrape) {
      f.doc.report(f.anchor, 'command', 'BWD_MISSING_FIELD', 'missing how the metric is sampled: expected `command` (a shell command printing one number) or `scrape` (`{ url, metric }` of a Prometheus endpoint)');
      return { command: '' };
    }
    if (hasCommand) return { command: f.string('command', 'a shell command printing one number', true, { nonEmpty: true }) ?? '' };
    const s = f.map('scrape', 'a mapping with `url` (a Prometheus text endpoint) and `metric` (the metric to read there)', true);
    if (!s) return { scrape: '', metric: '' };
    s.allow(['url', 'metric'], '`scrape`');
    const url = s.string('url', 'an http:// or https:// URL', true);
    if (url !== undefined && !/^https?:\/\/[^\s/]+\S*$/.test(url)) s.bad('url', 'BWD_BAD_VALUE', `expected an http:// or https:// URL, found ${JSON.stringify(url)}`);
    const metric = s.string('metric', 'the Prometheus metric name to read, e.g. `app_busy_workers`', true);
    if (metric !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) s.bad('metric', 'BWD_BAD_VALUE', `expected a Prometheus metric name (letters, digits, \`_\`, \`:\`), found ${JSON.stringify(metric)}`);
    return { scrape: url ?? '', metric: metric ?? '' };
  }

  // ---------------------------------------------------------------- statements

  /**
   * Analyses `prefix + value` and reports the diagnostics that fall in `value`
   * at their place in the YAML (the prefix is already checked on its own).
   */
  private statement(doc: Doc, field: string, s: { value: string; node: Scalar.Parsed }, prefix = ''): Statement {
    const analysis = analyze(prefix + s.value, this.catalogue);
    let failed = false;
    for (const d of analysis.diagnostics) {
      if (d.location.start < prefix.length) continue;
      if (d.severity === 'error') failed = true;
      const at = doc.offsetIn(s.node, d.location.start - prefix.length);
      const code: DefinitionDiagnosticCode = d.severity === 'error' ? 'BWD_BAD_QUERY' : 'BWD_QUERY_WARNING';
      doc.report(at, field, code, `${d.message} (${d.code})`, { suggestion: d.suggestion, severity: d.severity });
    }
    return { ...s, analysis, failed };
  }

  /** A statement that must be a source of one of `sources` followed by filters only. Returns its source. */
  private selection(doc: Doc, field: string, s: Statement, sources: readonly ResourceTypeName[], what: string, hint = ''): ResourceTypeName | undefined {
    const stages = s.analysis.ast.stages;
    const first = stages[0];
    const wanted = sources.map((t) => `\`${t}\``).join(' or ');
    if (first?.kind === 'ResourceStage' && !(sources as readonly string[]).includes(first.resource)) {
      doc.report(doc.offsetIn(s.node, first.span.start), field, 'BWD_QUERY_SHAPE', `${what} starts with ${wanted}, found \`${first.resource}\``);
      return undefined;
    }
    if (first?.kind === 'EventsStage') {
      doc.report(doc.offsetIn(s.node, first.span.start), field, 'BWD_QUERY_SHAPE', `${what} starts with ${wanted}, found \`events\``);
      return undefined;
    }
    if (s.failed) return first?.kind === 'ResourceStage' ? (first.resource as ResourceTypeName) : undefined;
    let ok = true;
    stages.forEach((stage, i) => {
      const role = s.analysis.checked.stages[i]?.role;
      if (i === 0 || role === 'filter' || role === undefined) return;
      ok = false;
      const text = clip(s.value.slice(stage.span.start, stage.span.end));
      doc.report(doc.offsetIn(s.node, stage.span.start), field, 'BWD_QUERY_SHAPE', `${what} is a source and filters only; found ${ROLE_TEXT[role] ?? role} ${text}${hint}`);
    });
    return ok && first?.kind === 'ResourceStage' ? (first.resource as ResourceTypeName) : undefined;
  }

  /** A statement selecting hosts (a `host` source and filters): its analysis, or undefined when it has a problem (reported). */
  private hostSelection(doc: Doc, field: string, q: { value: string; node: Scalar.Parsed }, what: string): Analysis | undefined {
    const s = this.statement(doc, field, q);
    return this.selection(doc, field, s, ['host'], what) && !s.failed ? s.analysis : undefined;
  }

  /** A condition checked as one more stage after `prefix` (a query and `\n| `). */
  private condition(doc: Doc, field: string, s: { value: string; node: Scalar.Parsed }, prefix: string, prefixStages: number): void {
    const checked = this.statement(doc, field, s, prefix);
    if (checked.failed) return;
    const stages = checked.analysis.ast.stages.slice(prefixStages);
    const first = stages[0];
    const example = 'e.g. `disk_usage{mount="/data"} > 90`';
    if (stages.length !== 1 || first === undefined) {
      const second = stages[1];
      const at = second ? doc.offsetIn(s.node, second.span.start - prefix.length) : s.node.range[0];
      doc.report(at, field, 'BWD_QUERY_SHAPE', `expected one condition (${example}), found ${stages.length} stages: a condition has no \`|\``);
      return;
    }
    const role = checked.analysis.checked.stages[prefixStages]?.role;
    if (role !== 'filter') {
      const text = clip((prefix + s.value).slice(first.span.start, first.span.end));
      const hint = role === 'command' ? '; to test a command, write `ok(`...`)` or `not ok(`...`)`' : role === 'column' ? '; compare it with a value' : '';
      doc.report(doc.offsetIn(s.node, first.span.start - prefix.length), field, 'BWD_QUERY_SHAPE', `expected a condition (${example}), found ${ROLE_TEXT[role ?? 'column'] ?? role} ${text}${hint}`);
    }
  }

  // ---------------------------------------------------------------- alarm

  private alarm(r: Raw): AlarmDefinition {
    const f = r.fields;
    const what = 'an alarm query';
    const q = f.scalar('query', 'a statement selecting resources, e.g. `host | role = "web"`', true, { nonEmpty: true });
    let resource: ResourceTypeName | undefined;
    let prefix = 'host\n| ';
    let prefixStages = 1;
    if (q) {
      const s = this.statement(r.doc, 'query', q);
      resource = this.selection(r.doc, 'query', s, ['host', 'process'], what, '; conditions on metrics and checks belong in `fire`');
      if (!s.failed && resource) {
        prefix = `${q.value}\n| `;
        prefixStages = s.analysis.ast.stages.length;
      } else if (/^\s*process\b/.test(q.value)) prefix = 'process\n| ';
    }
    const condition = 'a condition on the query\'s resources, e.g. `disk_usage{mount="/data"} > 90`';
    const fire = f.scalar('fire', condition, true, { nonEmpty: true });
    if (fire) this.condition(r.doc, 'fire', fire, prefix, prefixStages);
    const clear = f.scalar('clear', condition, false, { nonEmpty: true });
    if (clear) this.condition(r.doc, 'clear', clear, prefix, prefixStages);
    const runbook = f.string('runbook', 'a runbook name or URL', false, { nonEmpty: true });
    const def: AlarmDefinition = {
      kind: 'alarm',
      ...this.basics(r),
      query: q?.value.trim() ?? '',
      fire: fire?.value.trim() ?? '',
      fireForSeconds: f.duration('fire_for', 0, 'zero') ?? 0,
      ...(clear ? { clear: clear.value.trim() } : {}),
      clearForSeconds: f.duration('clear_for', 0, 'zero') ?? 0,
      severity: f.oneOf('severity', SEVERITIES, DEFAULTS.severity) ?? DEFAULTS.severity,
      intervalSeconds: f.duration('interval', DEFAULTS.alarmIntervalSeconds, 'positive') ?? DEFAULTS.alarmIntervalSeconds,
      ...(runbook !== undefined ? { runbook } : {}),
    };
    if (r.name !== undefined) this.alarms.set(r.name, { def, resource });
    return def;
  }

  // ---------------------------------------------------------------- file

  private file(r: Raw): FileDefinition {
    const f = r.fields;
    const path = f.string('path', 'an absolute path, e.g. `/etc/app/app.conf`', true) ?? '';
    if (f.has('path') && path !== '') {
      const problem = pathProblem(path);
      if (problem) f.bad('path', 'BWD_BAD_PATH', `${problem}; found ${JSON.stringify(path)}`);
      else {
        const other = this.filePaths.get(path);
        if (other) {
          f.bad('path', 'BWD_DUPLICATE_PATH', `file \`${other.name}\` (${other.doc.file}:${other.line}) is also placed at ${path}: make sure their queries select different hosts`, { severity: 'warning' });
        } else this.filePaths.set(path, r);
      }
    } else if (f.has('path')) f.bad('path', 'BWD_BAD_PATH', 'expected an absolute path, found an empty string');
    const content = f.string('content', 'the file\'s content (text; use a `|` block for several lines)', true) ?? '';
    const q = f.scalar('query', 'a statement selecting hosts, e.g. `host | role = "api"`', true, { nonEmpty: true });
    if (q) this.hostSelection(r.doc, 'query', q, 'a file\'s query');
    return { kind: 'file', ...this.basics(r), path, mode: this.mode(f), content, sha256: sha256Hex(content), query: q?.value.trim() ?? '' };
  }

  private mode(f: Fields): number {
    const n = f.node('mode');
    if (n === undefined) return DEFAULTS.fileMode;
    if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) {
      // Read as written: YAML would take an unquoted 0644 for the decimal number 644.
      const text = typeof n.value === 'string' ? n.value : n.source;
      const mode = parseMode(text);
      if (mode !== undefined) return mode;
    }
    f.bad('mode', 'BWD_BAD_MODE', `expected an octal mode such as "0644" or "0755", found ${describe(n)}`);
    return DEFAULTS.fileMode;
  }

  // ---------------------------------------------------------------- schedule

  private schedule(r: Raw): ScheduleDefinition {
    const f = r.fields;
    const hasCron = f.has('cron');
    const hasEvery = f.has('every');
    if (hasCron && hasEvery) f.badKey('every', 'BWD_CONFLICT', 'a schedule runs on `cron` or `every`, not both');
    if (!hasCron && !hasEvery) {
      r.doc.report(f.anchor, 'cron', 'BWD_MISSING_FIELD', 'missing when the schedule runs: expected `cron` (five fields, e.g. "0 3 * * *") or `every` (a duration, e.g. 5m)');
    }
    const cron = hasCron ? this.cron(f) : null;
    const everySeconds = hasEvery && !hasCron ? (f.duration('every', undefined, 'positive') ?? null) : null;
    const run = f.scalar('run', 'the pipeline to run, e.g. `host | role = "api" | restart_service(name = "api")`', true, { nonEmpty: true });
    if (run) {
      const plan = this.statement(r.doc, 'run', run).analysis.plan;
      for (const name of new Set(plan?.effects.actions ?? [])) {
        const action = this.actions.get(name);
        const refusal = action && r.name !== undefined ? actionRefusal(action, { name: `schedule:${r.name}` }) : undefined;
        if (refusal) f.bad('run', 'BWD_NOT_PERMITTED', `${refusal}: add \`schedule:${r.name}\` to its \`allowed.principals\``);
      }
    }
    return { kind: 'schedule', ...this.basics(r), cron, everySeconds, run: run?.value.trim() ?? '', enabled: f.bool('enabled', true) };
  }

  private cron(f: Fields): string | null {
    const text = f.string('cron', 'a cron expression of five fields, e.g. "0 3 * * *"', true);
    if (text === undefined) return null;
    const expr = text.trim().replace(/\s+/g, ' ');
    const fields = expr === '' ? [] : expr.split(' ');
    const shape = 'minute hour day-of-month month day-of-week';
    if (fields.length !== 5) {
      const extra = fields.length === 6 ? ' (a seconds field is not supported)' : expr.startsWith('@') ? ' (nicknames such as @daily are not supported: write "0 0 * * *")' : '';
      f.bad('cron', 'BWD_BAD_CRON', `expected five fields (${shape}), found ${fields.length} in ${JSON.stringify(text)}${extra}`);
      return expr;
    }
    try {
      new CronPattern(expr, undefined, { mode: '5-part' });
    } catch (err) {
      const reason = String(err instanceof Error ? err.message : err).replace(/^CronPattern:\s*/, '');
      f.bad('cron', 'BWD_BAD_CRON', `expected a cron expression (${shape}), found ${JSON.stringify(text)}: ${reason}`);
      return expr;
    }
    const job = new Cron(expr, { mode: '5-part', paused: true });
    const next = job.nextRun();
    job.stop();
    if (next === null) f.bad('cron', 'BWD_BAD_CRON', `${JSON.stringify(text)} never runs (no date matches it)`);
    return expr;
  }

  // ---------------------------------------------------------------- bot

  private bot(r: Raw): BotDefinition {
    const f = r.fields;
    const info = this.trigger(f);
    const actionName = f.string('action', 'the name of an action of this set', true);
    let action: ActionDefinition | undefined;
    if (actionName !== undefined) {
      action = this.actions.get(actionName);
      if (!action) {
        const known = [...this.actions.keys()];
        const suggestion = closest(actionName, known);
        f.bad(
          'action',
          'BWD_UNKNOWN_ACTION',
          `unknown action \`${actionName}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the set defines ${known.map((k) => `\`${k}\``).join(', ')}` : 'the set defines no actions'),
          { suggestion },
        );
      } else if (r.name !== undefined && botRefusal(action, r.name)) {
        f.bad('action', 'BWD_NOT_PERMITTED', botRefusal(action, r.name) as string);
      } else if (info?.resource && !action.resources.includes(info.resource)) {
        f.bad('action', 'BWD_ACTION_RESOURCE', `action \`${action.name}\` runs on ${action.resources.join(', ')}, but the bot's trigger (${info.describe}) gives a ${info.resource}: add \`${info.resource}\` to the action's \`resources\`, or trigger on a ${action.resources.join(' or ')}`);
      }
    }
    const args = this.args(f, action, info);
    const cooldownSeconds = f.duration('cooldown', DEFAULTS.cooldownSeconds, 'zero') ?? DEFAULTS.cooldownSeconds;
    let circuitBreaker = { ...DEFAULTS.circuitBreaker };
    const cb = f.map('circuit_breaker', 'a mapping with `max` (runs) and `window` (a duration), e.g. `{ max: 5, window: 10m }`', false);
    if (cb) {
      cb.allow(['max', 'window'], '`circuit_breaker`');
      circuitBreaker = { max: cb.integer('max', DEFAULTS.circuitBreaker.max, 1), windowSeconds: cb.duration('window', DEFAULTS.circuitBreaker.windowSeconds, 'positive') ?? DEFAULTS.circuitBreaker.windowSeconds };
    }
    const offline = f.oneOf('offline', ['run', 'skip'] as const, DEFAULTS.offline) ?? DEFAULTS.offline;
    let approval: BotDefinition['approval'];
    const ap = f.map('approval', 'a mapping with `expires` (a duration), e.g. `{ expires: 30m }`', false);
    if (ap) {
      ap.allow(['expires'], '`approval`');
      approval = { expiresSeconds: ap.duration('expires', DEFAULTS.approvalExpiresSeconds, 'positive') ?? DEFAULTS.approvalExpiresSeconds };
    }
    let verify: BotDefinition['verify'];
    const vf = f.map('verify', 'a mapping with `within` (a duration), e.g. `{ within: 2m }`', false);
    if (vf) {
      vf.allow(['within'], '`verify`');
      const within = vf.duration('within', undefined, 'positive');
      if (within !== undefined) verify = { withinSeconds: within };
      if (info && !('alarm' in info.trigger && info.trigger.on === 'fired')) {
        f.badKey('verify', 'BWD_CONFLICT', `\`verify\` waits for the alarm to clear, so it needs a trigger \`{ alarm: ..., on: fired }\`; this bot's trigger is ${info.describe}`);
      }
    }
    return {
      kind: 'bot',
      ...this.basics(r),
      trigger: info?.trigger ?? { external: '' },
      action: actionName ?? '',
      args,
      cooldownSeconds,
      circuitBreaker,
      offline,
      ...(approval ? { approval } : {}),
      ...(verify ? { verify } : {}),
      enabled: f.bool('enabled', true),
    };
  }

  private trigger(f: Fields): TriggerInfo | undefined {
    const shapes = '`{ alarm: <name>, on: fired }`, `{ event: process_restarted, process: <name> }`, `{ event: host_joined }` or `{ external: <name> }`';
    const t = f.map('trigger', `what starts the bot: ${shapes}`, true);
    if (!t) return undefined;
    t.allow(TRIGGER_FIELDS, '`trigger`');
    const given = (['alarm', 'event', 'external'] as const).filter((k) => t.has(k));
    if (given.length === 0) {
      t.doc.report(t.anchor, t.path, 'BWD_MISSING_FIELD', `\`trigger\` needs one of \`alarm\`, \`event\` or \`external\`: ${shapes}`);
      return undefined;
    }
    if (given.length > 1) {
      t.badKey(given[1] as string, 'BWD_CONFLICT', `a trigger is one of \`alarm\`, \`event\` or \`external\`, found both \`${given[0]}\` and \`${given[1]}\``);
      return undefined;
    }
    const only = (field: string, owner: string) => {
      if (t.has(field)) t.badKey(field, 'BWD_CONFLICT', `\`${field}\` belongs to ${owner} triggers`);
    };
    if (given[0] === 'alarm') {
      only('process', '`event: process_restarted`');
      const name = t.string('alarm', 'the name of an alarm of this set', true);
      const on = t.oneOf('on', ['fired', 'cleared'] as const, 'fired') ?? 'fired';
      if (name === undefined) return undefined;
      const alarm = this.alarms.get(name);
      if (!alarm) {
        const known = [...this.alarms.keys()];
        const suggestion = closest(name, known);
        t.bad('alarm', 'BWD_UNKNOWN_ALARM', `unknown alarm \`${name}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `the set defines ${known.map((k) => `\`${k}\``).join(', ')}` : 'the set defines no alarms'), { suggestion });
      }
      return { trigger: { alarm: name, on }, resource: alarm?.resource, describe: `alarm \`${name}\`${alarm?.resource ? ` on ${alarm.resource}` : ''}` };
    }
    only('on', '`alarm`');
    if (given[0] === 'external') {
      only('process', '`event: process_restarted`');
      const name = t.string('external', 'the name of the external alert', true, { nonEmpty: true });
      return name === undefined ? undefined : { trigger: { external: name }, resource: undefined, describe: `external alert \`${name}\`` };
    }
    const event = t.oneOf('event', TRIGGER_EVENTS, undefined);
    if (event === 'host_joined') {
      only('process', '`event: process_restarted`');
      return { trigger: { event }, resource: 'host', describe: 'event `host_joined`' };
    }
    if (event === 'process_restarted') {
      const process = t.string('process', 'the process name (comm) to watch, e.g. `api`', true, { nonEmpty: true });
      return process === undefined ? undefined : { trigger: { event, process }, resource: 'process', describe: `event \`process_restarted\` of \`${process}\`` };
    }
    return undefined;
  }

  private args(f: Fields, action: ActionDefinition | undefined, info: TriggerInfo | undefined): Record<string, string | number | boolean> {
    const args: Record<string, string | number | boolean> = {};
    const af = f.map('args', 'a mapping of the action\'s parameters to values', false);
    if (af) {
      for (const key of af.keys()) {
        const param = action?.params.find((p) => p.name === key);
        if (action && !param) {
          const names = action.params.map((p) => p.name);
          const suggestion = closest(key, names);
          af.doc.report(af.keyAt(key), af.field(key), 'BWD_UNKNOWN_ARG', `action \`${action.name}\` has no parameter \`${key}\`: ` + (suggestion ? `did you mean \`${suggestion}\`?` : names.length ? `its parameters are ${names.map((n) => `\`${n}\``).join(', ')}` : 'it takes no parameters'), { suggestion });
          continue;
        }
        const n = af.node(key);
        if (n === undefined) {
          af.missing(key, param ? `a ${param.type}` : 'a value');
          continue;
        }
        const value = this.arg(af, key, n, param?.type, info);
        if (value !== undefined) args[key] = value;
      }
    }
    if (action) {
      for (const p of action.params) {
        if (p.required && !af?.has(p.name)) {
          const at = af ? af.anchor : f.keyAt('action');
          f.doc.report(at, af ? 'args' : 'action', 'BWD_MISSING_ARG', `action \`${action.name}\` needs \`${p.name}\` (a ${p.type}${p.description ? `: ${p.description}` : ''}); add it under \`args\``);
        }
      }
    }
    return args;
  }

  /** One argument: a value of the parameter's type, or a string with templates (a lone `${...}` for non-strings). */
  private arg(af: Fields, key: string, n: YNode, type: ActionParam['type'] | undefined, info: TriggerInfo | undefined): string | number | boolean | undefined {
    const fail = (message: string) => af.bad(key, 'BWD_BAD_ARG', `\`${key}\` is a ${type ?? 'value'} parameter: ${message}`);
    if (isScalar(n) && typeof n.value === 'string' && n.value.includes('${')) {
      const ok = this.templates(af, key, n as Scalar.Parsed, info);
      if (type !== undefined && type !== 'string' && !/^\$\{[^}]*\}$/.test(n.value.trim())) {
        fail(`expected a ${type} or a single template such as \`\${alarm.value}\`, found ${describe(n)}`);
        return undefined;
      }
      return ok ? n.value : undefined;
    }
    if (type === undefined) {
      if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number' || typeof n.value === 'boolean')) return n.value;
      fail(`expected a string, number or boolean, found ${describe(n)}`);
      return undefined;
    }
    return this.typedValue(n, type, fail);
  }

  /** Checks the `${...}` templates of a string against what the trigger provides. */
  private templates(af: Fields, key: string, n: Scalar.Parsed, info: TriggerInfo | undefined): boolean {
    const text = n.value as string;
    const { parts, errors } = parseTemplate(text);
    for (const e of errors) af.doc.report(af.doc.offsetIn(n, e.offset), af.field(key), 'BWD_BAD_TEMPLATE', e.message);
    let ok = errors.length === 0;
    const trigger = info?.trigger;
    const available = new Set<string>(['host', 'resource']);
    if (trigger && 'alarm' in trigger) for (const v of ['alarm.name', 'alarm.value', 'alarm.severity']) available.add(v);
    if (info?.resource === 'process') for (const v of ['process.pid', 'process.name']) available.add(v);
    for (const p of parts) {
      if (p.kind !== 'var' || available.has(p.name) || /^event\.[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) continue;
      const at = af.doc.offsetIn(n, p.start);
      const known = (TEMPLATE_VARIABLES as readonly string[]).includes(p.name);
      if (known && info === undefined) continue; // the trigger is broken and reported; do not guess
      ok = false;
      const list = `${[...available].map((v) => `\`\${${v}}\``).join(', ')}, \`\${event.<field>}\``;
      if (known) {
        const needs = p.name.startsWith('alarm.') ? 'an alarm trigger' : 'a trigger that gives a process (`event: process_restarted`, or an alarm whose query is on `process`)';
        af.doc.report(at, af.field(key), 'BWD_BAD_TEMPLATE', `\`\${${p.name}}\` needs ${needs}; this bot's trigger is ${info?.describe ?? 'unknown'}, which gives ${list}`);
      } else {
        const suggestion = closest(p.name, [...TEMPLATE_VARIABLES]);
        af.doc.report(at, af.field(key), 'BWD_BAD_TEMPLATE', `unknown template variable \`\${${p.name}}\`` + (suggestion ? `; did you mean \`\${${suggestion}}\`?` : `; expected one of ${list}`), suggestion ? { suggestion: `\${${suggestion}}` } : {});
      }
    }
    return ok;
  }
}
