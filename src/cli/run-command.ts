import type { Diagnostic, Plan } from '../lang/index.js';
import type { ErrorLine, ResultRow, SummaryLine } from '../protocol/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { queryLines, request } from './api.js';
import type { Io } from './io.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { renderRows } from './render-rows.js';
import { styleFor } from './style.js';

export interface RunOptions {
  readonly json?: boolean;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly timeoutMs?: number;
}

/**
 * `breakwater run '<pipeline>'`: runs across the fleet. People get grouped,
 * aligned output; `--json` gets one JSON object per line (plan, rows, summary).
 * Exit 1 when any target failed (error, timeout, offline, non-zero exit). Warnings (a filter on a
 * value no host has, near one that some have) are printed first, on stderr; a command or action
 * that reaches no one because of one runs nothing and exits 1, its dry run too.
 */
export async function runCommand(ep: Endpoint, statement: string, options: RunOptions, io: Io): Promise<number> {
  const style = styleFor(io.stdout, io.env);
  let res: Response;
  try {
    res = await request(ep, 'POST', '/api/v1/query', { statement, ...(options.dryRun ? { dryRun: true } : {}), ...(options.yes ? { yes: true } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  } catch (err) {
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_INVALID_STATEMENT' && Array.isArray(err.details.diagnostics)) {
      io.stderr.write(renderDiagnostics(statement, err.details.diagnostics as never, styleFor(io.stderr, io.env)));
      return 1;
    }
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_NO_TARGETS') {
      const warnings = Array.isArray(err.details.diagnostics) ? (err.details.diagnostics as Diagnostic[]) : [];
      if (!options.json) io.stderr.write(renderDiagnostics(statement, warnings, styleFor(io.stderr, io.env)));
      io.stderr.write(`${styleFor(io.stderr, io.env).red('stopped')}: ${err.message} [${err.code}]\n`);
      return 1;
    }
    if (err instanceof BreakwaterError && err.code === 'BW_ERR_CONFIRMATION_REQUIRED') {
      const sample = (err.details.sample as string[] | undefined) ?? [];
      io.stderr.write(`${styleFor(io.stderr, io.env).red('stopped')}: ${err.message}
  targets: ${sample.join(', ')}${Number(err.details.targets) > sample.length ? ', ...' : ''}
`);
      return 1;
    }
    throw err;
  }
  const rows: ResultRow[] = [];
  let plan: Plan | undefined;
  let summary: SummaryLine | undefined;
  let failure: ErrorLine | undefined;
  let typo = false;
  for await (const line of queryLines(res)) {
    if (options.json) io.stdout.write(`${JSON.stringify(line)}\n`);
    if (line.type === 'plan') {
      plan = line.plan;
      // Before anything else: a typo in a filter explains the rows (or their absence) that follow.
      if (!options.json && line.warnings.length) io.stderr.write(renderDiagnostics(statement, line.warnings as Diagnostic[], styleFor(io.stderr, io.env)));
      typo = line.warnings.some((w) => w.code === 'BW_NO_MATCH');
    } else if (line.type === 'row') rows.push(line.row);
    else if (line.type === 'summary') summary = line;
    else if (line.type === 'error') failure = line;
    else if (line.type === 'progress' && !options.json) io.stderr.write(`${styleFor(io.stderr, io.env).dim(`rollout: ${line.message}`)}
`);
  }
  if (failure) {
    if (!options.json) io.stderr.write(`${styleFor(io.stderr, io.env).red('error')}: ${failure.message} [${failure.code}]\n`);
    return 1;
  }
  const failed = summary?.failed ?? 0;
  // The run itself would be refused (BW_ERR_NO_TARGETS): its dry run says so by its exit code too.
  const wouldRefuse = options.dryRun === true && typo && rows.length === 0 && plan !== undefined && plan.effects.commands.length + plan.effects.actions.length > 0;
  if (options.json) return failed || wouldRefuse ? 1 : 0;
  if (options.dryRun) {
    io.stdout.write(`${style.bold('dry run')}: nothing was run. ${rows.length} target${rows.length === 1 ? '' : 's'}:\n`);
    for (const r of rows) io.stdout.write(`  ${r.resource?.name ?? '-'}${r.status === 'ok' ? '' : style.red(` (${r.status}: ${r.error ?? ''})`)}\n`);
    if (wouldRefuse) io.stderr.write(`${styleFor(io.stderr, io.env).red('stopped')}: a filter names a value no host has, so this would run on no resource; the run would be refused\n`);
    return wouldRefuse ? 1 : 0;
  }
  const text = renderRows(rows, plan?.columns ?? [], style, plan?.ordered ?? false);
  if (text) io.stdout.write(`${text}\n`);
  const seconds = (summary?.durationMs ?? 0) / 1000;
  const okCount = rows.length - failed;
  io.stdout.write(style.dim(`${rows.length} row${rows.length === 1 ? '' : 's'}, ${okCount} ok, ${failed} failed in ${seconds.toFixed(2)}s${summary?.runId ? ` (run ${summary.runId})` : ''}\n`));
  return failed ? 1 : 0;
}
