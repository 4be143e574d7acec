import type { Diagnostic } from '../lang/index.js';
import type { Style } from './style.js';

/**
 * Renders diagnostics for people: the code and message, the source line, and
 * a caret line under the span, the way compilers show errors.
 *
 * @example
 * error[BW_UNKNOWN_METRIC]: unknown metric `disk_usge` for host; did you mean `disk_usage`?
 *  --> 1:8
 *   |
 * 1 | host | disk_usge > 90
 *   |        ^^^^^^^^^
 */
export function renderDiagnostics(source: string, diagnostics: readonly Diagnostic[], style: Style): string {
  const lines = source.split('\n');
  return diagnostics.map((d) => `${renderOne(lines, d, style)}\n`).join('');
}

function renderOne(lines: readonly string[], d: Diagnostic, style: Style): string {
  const { line, column, endLine, endColumn } = d.location;
  const text = (lines[line - 1] ?? '').replace(/\t/g, ' ');
  const colour = d.severity === 'error' ? style.red : style.yellow;
  const gutter = ' '.repeat(String(line).length);
  const width = endLine === line ? Math.max(1, endColumn - column) : Math.max(1, text.length - column + 1);
  const out = [
    `${style.bold(colour(`${d.severity}[${d.code}]`))}${style.bold(`: ${d.message}`)}`,
    `${gutter}${style.cyan('-->')} ${line}:${column}`,
    `${gutter} ${style.cyan('|')}`,
    `${style.cyan(`${line} |`)} ${text}`,
    `${gutter} ${style.cyan('|')} ${' '.repeat(column - 1)}${colour('^'.repeat(width))}`,
  ];
  if (d.suggestion !== undefined) out.push(`${gutter} ${style.cyan('=')} help: replace with ${style.bold(d.suggestion)}`);
  return `${out.join('\n')}\n`;
}
