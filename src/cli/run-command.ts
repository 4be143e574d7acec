import type { Diagnostic, Plan } from '../lang/index.js';
import type { ErrorLine, ResultRow, SummaryLine } from '../protocol/index.js';
import { BY_NAME, BreakwaterError, label } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { queryLines, request } from './api.js';
import type { Io } from './io.js';
import type { OutputFormat } from './output-format.js';
import { forPeople, yamlDocuments } from './output-format.js';
import { explanationText } from './dry-run-output.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { renderRows } from './render-rows.js';
import { RunProgress, hostLine, rolloutSummary } from './run-progress.js';
import { styleFor } from './style.js';

export interface RunOptions {
  /** table (default), wide, json (NDJSON lines), yaml (one document a line), name. */
  readonly format?: OutputFormat;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly timeoutMs?: number;
}

/**
 * `breakwater run '<pipeline>'`: runs across the fleet. People see each host's result of a
 * command or action as it arrives, a live status line on a terminal, then the outputs grouped
 * and aligned; `-o json` gets the answer's lines as they come (NDJSON), `-o yaml` the same lines
 * as YAML documents, `-o name` the `kind/name` of each resource that answered.
 * Exit 1 when any target failed (error, timeout, offline, non-zero exit). Warnings (a filter on a
 * value no host has, near one that some have) are printed first, on stderr; a command or action
 * that reaches no one because of one runs nothing and exits 1, its dry run too.
 */
export async function runCommand(ep: Endpoint, statement: string, options: RunOptions, io: Io): Promise<number> {
  const format = options.format ?? 'table';
  const style = styleFor(io.stdout, io.env);
  const errStyle = styleFor(io.stderr, io.env);
  let res: Response;
  try {
    res = await request(ep, 'POST', '/api/v1/query', { statement, ...(options.dryRun ? { dryRun: true } : {}), ...(options.yes ? { yes: true } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  } catch (err) {
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_INVALID_STATEMENT' && Array.isArray(err.details.diagnostics)) {
      io.stderr.write(renderDiagnostics(statement, err.details.diagnostics as never, errStyle));
      return 1;
    }
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_NO_TARGETS') {
      const warnings = Array.isArray(err.details.diagnostics) ? (err.details.diagnostics as Diagnostic[]) : [];
      if (format === 'table' || format === 'wide') io.stderr.write(renderDiagnostics(statement, warnings, errStyle));
      io.stderr.write(`${errStyle.red('stopped')}: ${err.message} [${err.code}]\n`);
      return 1;
    }
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') {
      const sample = (err.details.sample as string[] | undefined) ?? [];
      io.stderr.write(`${errStyle.red('stopped')}: ${err.message}
  targets: ${sample.join(', ')}${Number(err.details.targets) > sample.length ? ', ...' : ''}
`);
      return 1;
    }
    throw err;
  }
  const people = forPeople(format);
  const rows: ResultRow[] = [];
  let plan: Plan | undefined;
  let summary: SummaryLine | undefined;
  let failure: ErrorLine | undefined;
  let showHosts = false;
  let typo = false;
  const progress = people ? new RunProgress(io.stderr.isTTY === true ? io.stderr : undefined, errStyle) : undefined;
  // A terminal's width (a pseudo-terminal may say 0: unknown); lines for a pipe are never cut.
  const width = (io.stdout.isTTY === true && (io.stdout as { columns?: number }).columns) || undefined;
  try {
    for await (const line of queryLines(res)) {
      if (format === 'json') io.stdout.write(`${JSON.stringify(line)}\n`);
      else if (format === 'yaml') io.stdout.write(await yamlDocuments([line]));
      if (line.type === 'plan') {
        plan = line.plan;
        // Before anything else: a typo in a filter explains the rows (or their absence) that follow.
        if (people && line.warnings.length) io.stderr.write(renderDiagnostics(statement, line.warnings as Diagnostic[], errStyle));
        typo = line.warnings.some((w) => w.code === 'BW_NO_MATCH');
        // A command's or action's hosts are shown one by one as they finish; a table waits for all its rows to align them.
        showHosts = people && !options.dryRun && (plan.effects.commands.length > 0 || plan.effects.actions.length > 0);
      } else if (line.type === 'targets') progress?.targets(line.hosts);
      else if (line.type === 'row') {
        rows.push(line.row);
        progress?.row(line.row);
        if (showHosts) progress?.print(io.stdout, `${hostLine(line.row, style, width)}\n`);
      } else if (line.type === 'progress') {
        progress?.batch(line);
        progress?.print(io.stderr, `${errStyle.dim(`rollout: ${line.message}`)}\n`);
      } else if (line.type === 'summary') summary = line;
      else failure = line;
    }
  } finally {
    progress?.end();
  }
  if (failure) {
    if (people || format === 'name') io.stderr.write(`${errStyle.red('error')}: ${failure.message} [${failure.code}]\n`);
    return 1;
  }
  const failed = summary?.failed ?? 0;
  // The run itself would be refused (BW_ERR_NO_TARGETS): its dry run says so by its exit code too.
  const wouldRefuse = options.dryRun === true && typo && rows.length === 0 && plan !== undefined && plan.effects.commands.length + plan.effects.actions.length > 0;
  if (format === 'json' || format === 'yaml') return failed || wouldRefuse ? 1 : 0;
  if (format === 'name') return printNames(rows, plan?.ordered ?? false, io) || (failed ? 1 : 0);
  if (options.dryRun) {
    io.stdout.write(`${style.bold('dry run')}: nothing was run. ${rows.length} target${rows.length === 1 ? '' : 's'}:\n`);
    for (const r of rows) io.stdout.write(`  ${r.resource?.name ?? '-'}${r.status === 'ok' ? '' : style.red(` (${r.status}: ${r.error ?? ''})`)}\n`);
    // A server before explanations sends none; with no target there is nothing to explain.
    if (summary?.explanation && rows.length) io.stdout.write(`\n${explanationText(summary.explanation, style)}`);
    if (wouldRefuse) io.stderr.write(`${errStyle.red('stopped')}: a filter names a value no host has, so this would run on no resource; the run would be refused\n`);
    return wouldRefuse ? 1 : 0;
  }
  // With each host already shown, the grouped outputs follow under a rule of their own.
  if (showHosts && rows.length) io.stdout.write(`${style.dim('─'.repeat(Math.min(width ?? 40, 40)))}\n`);
  const text = renderRows(rows, plan?.columns ?? [], style, plan?.ordered ?? false, format === 'wide');
  if (text) io.stdout.write(`${text}\n`);
  const seconds = (summary?.durationMs ?? 0) / 1000;
  const okCount = rows.length - failed;
  if (summary?.rollout) io.stdout.write(rolloutSummary(summary.rollout, style));
  io.stdout.write(style.dim(`${rows.length} row${rows.length === 1 ? '' : 's'}, ${okCount} ok, ${failed} failed in ${seconds.toFixed(2)}s${summary?.runId ? ` (run ${summary.runId})` : ''}\n`));
  return failed ? 1 : 0;
}

/**
 * `-o name`: `host/web-1` for each resource that answered, one a line (by name unless the
 * statement ordered them), ready for `xargs`; those that did not are said on stderr. Returns 1
 * when some did not answer.
 */
function printNames(rows: readonly ResultRow[], ordered: boolean, io: Io): number {
  const answered = rows.filter((r) => r.status === 'ok' && r.resource);
  if (!ordered) answered.sort((a, b) => BY_NAME.compare(label(a), label(b)));
  for (const r of answered) io.stdout.write(`${r.resource?.type ?? 'row'}/${label(r)}\n`);
  const missing = rows.filter((r) => r.status !== 'ok');
  if (missing.length) io.stderr.write(`${renderRows(missing, [], styleFor(io.stderr, io.env))}\n`);
  return missing.length ? 1 : 0;
}
