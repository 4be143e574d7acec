import type { DefinitionDiff } from './diff.js';
import { isObject } from './diff.js';
import type { DefinitionKind } from './types.js';

/*
 * How a plan reads, in one place: the CLI prints it as text (renderPlan, with terminal colours)
 * and the web UI draws the same lines (planLines) with coloured values, so both say the same.
 */

/** Colours for renderPlan; the CLI's Style fits. Plain text by default. */
export interface PlanStyle {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  bold(s: string): string;
}

const PLAIN: PlanStyle = { green: (s) => s, yellow: (s) => s, red: (s) => s, bold: (s) => s };

/** A value as it reads in a plan line: bare when plain, quoted otherwise, long text shortened. */
export function formatPlanValue(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'string') {
    if (v.length <= 80 && /^[A-Za-z0-9_./:@%+-]+$/.test(v)) return v;
    const lines = v.split('\n').length - (v.endsWith('\n') ? 1 : 0);
    if (lines > 1) {
      const first = v.split('\n')[0] ?? '';
      return `${JSON.stringify(first.length > 40 ? `${first.slice(0, 39)}…` : `${first}…`)} (${lines} lines)`;
    }
    return JSON.stringify(v.length > 80 ? `${v.slice(0, 79)}…` : v);
  }
  if (Array.isArray(v)) return `[${v.map(formatPlanValue).join(', ')}]`;
  if (isObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatPlanValue(x)}`).join(', ')} }`;
  return String(v);
}

/** The marker of each kind of plan line, as terraform writes them. */
export const PLAN_MARKERS = { create: '+', update: '~', delete: '-' } as const;

/** One line of a plan: a created or deleted definition, or one changed field of an updated one (values as formatPlanValue reads them). */
export interface PlanLine {
  readonly op: keyof typeof PLAN_MARKERS;
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly change?: { readonly field: string; readonly before: string; readonly after: string };
}

/** The plan's lines in the order `breakwater plan` prints them: creates, then each changed field, then deletes. */
export function planLines(diff: Pick<DefinitionDiff, 'create' | 'update' | 'delete'>): PlanLine[] {
  const lines: PlanLine[] = [];
  for (const d of diff.create) lines.push({ op: 'create', kind: d.kind, name: d.name });
  for (const u of diff.update) {
    for (const c of u.changes) lines.push({ op: 'update', kind: u.after.kind, name: u.after.name, change: { field: c.field, before: formatPlanValue(c.before), after: formatPlanValue(c.after) } });
  }
  for (const d of diff.delete) lines.push({ op: 'delete', kind: d.kind, name: d.name });
  return lines;
}

/** The plan's last line: `Plan: 1 to create, 2 to change, 0 to delete.` */
export function planSummary(diff: Pick<DefinitionDiff, 'create' | 'update' | 'delete'>): string {
  return `Plan: ${diff.create.length} to create, ${diff.update.length} to change, ${diff.delete.length} to delete.`;
}

/**
 * The diff as a terraform-like plan, one line per created or deleted
 * definition and per changed field, then a summary; with a style, the markers
 * are coloured and a change's old value is red, its new value green:
 *
 * ```text
 * + alarm disk_full
 * ~ bot clean_disk: cooldown 1m -> 5m
 * - action old
 *
 * Plan: 1 to create, 1 to change, 1 to delete.
 * ```
 */
export function renderPlan(diff: DefinitionDiff, style: PlanStyle = PLAIN): string {
  const colour = { create: style.green, update: style.yellow, delete: style.red };
  const lines = planLines(diff).map((l) => {
    const head = `${colour[l.op](PLAN_MARKERS[l.op])} ${l.kind} ${style.bold(l.name)}`;
    return l.change ? `${head}: ${l.change.field} ${style.red(l.change.before)} -> ${style.green(l.change.after)}` : head;
  });
  if (lines.length === 0) return `No changes: ${diff.unchanged} definition${diff.unchanged === 1 ? '' : 's'} up to date.\n${planSummary(diff)}\n`;
  return `${lines.join('\n')}\n\n${planSummary(diff)}\n`;
}
