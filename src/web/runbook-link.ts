/**
 * Alarm -> runbook. An alarm's `runbook` field is a URL (opened in a new tab) or the name of a
 * runbook kept by the control plane, opened on the Runbooks page with its parameters filled from
 * where the alarm fired: `/runbooks?runbook=<name>&host=web-1&alarm=…&mount=/data`. The page takes
 * the values of the parameters the runbook declares and ignores the rest.
 */
import type { AlarmDefinition } from '../definitions/index.js';
import type { Expr } from '../lang/index.js';
import { DiagnosticBag, exprTree, parse } from '../lang/index.js';

/** Query-string keys of the Runbooks page that select the runbook: never parameter values. */
export const RUNBOOK_URL_KEYS: ReadonlySet<string> = new Set(['id', 'runbook']);

/** Where an alarm fired, as its state row or one of its events tells it. */
export interface AlarmSite {
  readonly alarm: string;
  readonly host: string | null;
  readonly resource: string | null;
  readonly severity: string | null;
  readonly value: number | null;
}

export type RunbookTarget = { readonly external: true; readonly href: string } | { readonly external: false; readonly href: string };

/** The link for an alarm's `runbook` field: an http(s) URL as it is, a name to the Runbooks page with `context` as parameter values. */
export function runbookTarget(runbook: string, context: Readonly<Record<string, string>>): RunbookTarget {
  if (/^https?:\/\//i.test(runbook)) return { external: true, href: runbook };
  const q = new URLSearchParams({ runbook });
  for (const [k, v] of Object.entries(context)) if (!RUNBOOK_URL_KEYS.has(k)) q.set(k, v);
  return { external: false, href: `/runbooks?${q.toString()}` };
}

/**
 * What is known where an alarm fired, by field name, for the runbook's parameters. From the event:
 * `host`, `alarm`, `resource`, `severity`, `value`, and `pid` on a process. From the definition
 * (`query | fire`): equality filters joined by `and` (`role = "web"` -> role; a process's
 * `name = "nginx"` -> name, process and service) and metric labels (`disk_usage{mount="/data"}` ->
 * mount). The event wins over the definition.
 */
export function alarmContext(site: AlarmSite, def: Pick<AlarmDefinition, 'query' | 'fire'>): Record<string, string> {
  let known = factsOf.get(def);
  if (!known) factsOf.set(def, (known = definitionFacts(def)));
  const { type, facts } = known;
  const ctx: Record<string, string> = { ...facts, alarm: site.alarm };
  if (site.severity) ctx.severity = site.severity;
  if (site.value !== null) ctx.value = String(Math.round(site.value * 100) / 100);
  if (site.resource) {
    ctx.resource = site.resource;
    // A process is `<host>/<pid>`.
    const pid = type === 'process' ? /\/(\d+)$/.exec(site.resource)?.[1] : undefined;
    if (pid) ctx.pid = pid;
  }
  if (site.host) ctx.host = site.host;
  return ctx;
}

/**
 * Per definition object, what its text states: the Alarms & events page asks on every render for
 * each alarm row and each fired event in its timeline, and parsing is the costly part.
 */
const factsOf = new WeakMap<object, ReturnType<typeof definitionFacts>>();

/** The type of the resources the alarm fires on (its query's last resource stage), and the facts its text states. */
function definitionFacts(def: Pick<AlarmDefinition, 'query' | 'fire'>): { type: string | undefined; facts: Record<string, string> } {
  const statement = `${def.query} | ${def.fire}`;
  const ast = parse(statement, new DiagnosticBag(statement));
  const facts: Record<string, string> = {};
  let resource: string | undefined;
  const walk = (e: Expr, definite: boolean): void => {
    const pair = e.kind === 'Binary' && e.op === '=' && definite ? equality(e.left, e.right) : undefined;
    if (pair) {
      facts[pair[0]] = pair[1];
      if (pair[0] === 'name' && resource === 'process') facts.process = facts.service = pair[1];
    }
    if (e.kind === 'Selector' && definite) for (const l of e.labels) if (l.op === '=') facts[l.name] = l.value;
    for (const child of exprTree.children(e)) walk(child, definite && holdsForEvery(e));
  };
  for (const stage of ast.stages) {
    if (stage.kind === 'ResourceStage') resource = stage.resource;
    else if (stage.kind === 'FilterStage') walk(stage.condition, true);
  }
  return { type: resource, facts };
}

/**
 * Whether what holds inside `e` holds for every resource `e` is true for: not the sides of an `or`,
 * nor what is negated by `not`, nor the items of a list.
 */
function holdsForEvery(e: Expr): boolean {
  if (e.kind === 'Binary') return e.op !== 'or';
  if (e.kind === 'Unary') return e.op !== 'not';
  return e.kind !== 'List';
}

/** `attr = "value"` (either way round) as [attr, value]. */
function equality(a: Expr, b: Expr): [string, string] | undefined {
  if (a.kind === 'Ident' && b.kind === 'String') return [a.name, b.value];
  if (b.kind === 'Ident' && a.kind === 'String') return [b.name, a.value];
  return undefined;
}
