/**
 * `breakwater explain [name]`: a page about a stage, metric, attribute, function, resource type or
 * event field of the language, from the built-in catalogue; with no name, every name grouped by
 * kind. A name that is nowhere fails with the near names (exit 2, like any wrong command line).
 *
 * @example
 * process.exitCode = await explainCommand('disk_usage', {}, processIo);
 */
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { ExplainEntry } from './explain-entries.js';
import { ENTRY_KINDS, explainEntries, nearNames } from './explain-entries.js';
import type { Io } from './io.js';
import type { Style } from './style.js';
import { styleFor } from './style.js';

export async function explainCommand(name: string | undefined, flags: { json?: boolean }, io: Io): Promise<number> {
  const entries = explainEntries(BUILTIN_CATALOGUE);
  const style = styleFor(io.stdout, io.env);
  if (name === undefined) {
    io.stdout.write(flags.json ? `${JSON.stringify(entries, null, 2)}\n` : index(entries, style));
    return 0;
  }
  const found = entries.filter((e) => e.name === name);
  if (!found.length) {
    const near = nearNames(name, entries);
    const hint = near.length ? `; did you mean ${near.join(', ')}?` : '; `breakwater explain` lists every name';
    throw new BreakwaterError('BW_ERR_CONFIG', `nothing in the catalogue is called ${JSON.stringify(name)}${hint}`, { near });
  }
  io.stdout.write(flags.json ? `${JSON.stringify(found, null, 2)}\n` : found.map((e) => page(e, style)).join('\n'));
  return 0;
}

const PLURAL: Readonly<Record<string, string>> = { resource: 'Resource types', stage: 'Stages', metric: 'Metrics', attribute: 'Attributes', function: 'Functions', 'event field': 'Event fields' };

/** Every name, one group per kind, wrapped under its heading. */
function index(entries: readonly ExplainEntry[], style: Style): string {
  const lines: string[] = [];
  for (const kind of ENTRY_KINDS) {
    const names = [...new Set(entries.filter((e) => e.kind === kind).map((e) => e.name))];
    lines.push(style.bold(PLURAL[kind] ?? kind), ...wrap(names, ' ', 2), '');
  }
  lines.push(style.dim('breakwater explain <name> for one of them'));
  return `${lines.join('\n')}\n`;
}

const WIDTH = 100;

/** `words` joined by `separator` into lines of at most WIDTH columns, each indented by `indent`. */
function wrap(words: readonly string[], separator: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent + line.length + separator.length + w.length > WIDTH) {
      lines.push(`${' '.repeat(indent)}${line}${separator.trimEnd()}`);
      line = w;
    } else line = line ? `${line}${separator}${w}` : w;
  }
  return [...lines, `${' '.repeat(indent)}${line}`];
}

/** One entry: name and kind, what it is, then labelled facts aligned in one column. */
function page(e: ExplainEntry, style: Style): string {
  const rows: [string, string][] = [];
  if (e.synopsis !== e.name) rows.push(['Synopsis', e.synopsis]);
  for (const f of e.facts) rows.push([f.label, f.value]);
  if (e.unit) rows.push(['Unit', e.unit]);
  if (e.related.length) rows.push(['Related', e.related.join(', ')]);
  const width = Math.max(9, ...rows.map(([label]) => label.length));
  const out = [`${style.bold(e.name)}  ${style.dim(e.kind)}`, ...e.description.map((d) => `  ${d}`), ''];
  for (const [label, value] of rows) {
    const [first = '', ...rest] = wrap(value.split(', '), ', ', width + 4);
    out.push(`  ${style.bold(label.padEnd(width))}  ${first.trimStart()}`, ...rest);
  }
  if (e.arguments.length) {
    const needs = e.arguments.map((a) => `${a.type}, ${a.required ? 'required' : a.default !== undefined ? `default ${String(a.default)}` : 'optional'}`);
    const nameWidth = Math.max(...e.arguments.map((a) => a.name.length));
    const needWidth = Math.max(...needs.map((n) => n.length));
    out.push(`  ${style.bold('Arguments')}`);
    e.arguments.forEach((a, i) => out.push(`    ${a.name.padEnd(nameWidth)}  ${style.dim((needs[i] ?? '').padEnd(needWidth))}  ${a.description}`.trimEnd()));
  }
  if (e.examples.length) out.push(`  ${style.bold('Example' + (e.examples.length > 1 ? 's' : ''))}`, ...e.examples.map((x) => `    ${style.cyan(x)}`));
  return `${out.join('\n')}\n`;
}
