import type { Phase, PlanExpr } from '../../lang/index.js';
import type { ProgressLine, ResultRow, RolloutOutcome } from '../../protocol/index.js';
import { sleep } from '../fleet/index.js';
import { planBatches } from './batch-plan.js';
import type { FanOutContext, FanOutResult } from './fan-out.js';
import { fanOut } from './fan-out.js';

/** One step of a rollout, as it happens: the protocol's progress line without its type. */
export type Progress = Omit<ProgressLine, 'type'>;

export interface RolloutRequest {
  readonly phase: Extract<Phase, { where: 'rollout' }>;
  /** The agent phase it rolls out. */
  readonly next: Extract<Phase, { where: 'agent' }>;
  readonly rows: readonly ResultRow[];
  /** Each batch's time budget. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress: (progress: Progress) => void;
  /** Each batch's rows once the batch is done (health checked), then those a halt left unrun. */
  readonly onRows?: ((rows: readonly ResultRow[]) => void) | undefined;
}

/** How often a health check is asked again, and the longest one poll may take. */
const POLL_MS = 1000;
const MAX_POLL_MS = 10_000;

/** What a rollout returns: the fan-out's result, and how the rollout ended (the summary's `rollout`). */
export interface RolloutResult extends FanOutResult {
  readonly outcome: RolloutOutcome;
}

const failedRow = (r: ResultRow) => r.status !== 'ok' || (typeof r.values.exit_code === 'number' && r.values.exit_code !== 0);
const nameOf = (r: ResultRow) => r.resource?.name ?? '?';
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Runs the agent phase after a rollout in the batches of planBatches: never more than one batch
 * at a time; after each batch, waits `pause`, then polls `until` on the batch's hosts that ran
 * it until it holds everywhere (or `timeout`). Failures (a failed command, no answer, not healthy
 * in time) add up across batches; once they exceed `max_errors` the rollout aborts before the next
 * batch: later resources are reported as not run, and why. With no budget (the default) the first
 * failed or unhealthy batch halts it.
 *
 * @example
 * const { rows, outcome } = await rollout(ctx, { phase, next, rows: hosts, timeoutMs: 30_000, onProgress: show });
 */
export async function rollout(ctx: FanOutContext, req: RolloutRequest): Promise<RolloutResult> {
  const { phase } = req;
  const { batches, maxErrors } = planBatches(req.rows, phase);
  // Rows come back as agents answer: names are listed in the plan's order, the same every time.
  // A command on a host's processes answers with process rows: those rank by their host.
  const order = new Map(req.rows.map((r, i) => [r.resource?.id, i]));
  const hostOrder = new Map(req.rows.map((r, i) => [r.resource?.host, i] as const).reverse());
  const rank = (r: ResultRow) => order.get(r.resource?.id) ?? hostOrder.get(r.resource?.host) ?? 0;
  const inOrder = (rows: readonly ResultRow[]) => [...rows].sort((a, b) => rank(a) - rank(b));
  const out: ResultRow[] = [];
  let asked = 0;
  let answered = 0;
  let errors = 0;
  let started = 0;
  let halt: string | undefined;
  const budget = (text: string) => (maxErrors > 0 ? `${text} (errors ${errors}/${maxErrors})` : text);
  const progress = (stage: Progress['stage'], batch: number, rows: readonly ResultRow[], message: string) =>
    req.onProgress({ stage, batch: batch + 1, batches: batches.length, resources: rows.map(nameOf), message, errors, maxErrors });
  for (const [b, batch] of batches.entries()) {
    started++;
    progress('batch_started', b, batch, budget(`batch ${b + 1}/${batches.length}: ${batch.map(nameOf).join(', ')}`));
    const result = await fanOut(ctx, { phase: req.next, rows: batch, wholeHosts: false, deadline: ctx.clock.now() + req.timeoutMs });
    asked += result.asked;
    answered += result.answered;
    out.push(...result.rows);
    const bad = inOrder(result.rows.filter(failedRow));
    errors += bad.length;
    const why: string[] = [];
    if (bad.length) why.push(`batch ${b + 1} failed on ${bad.map(nameOf).join(', ')}`);
    const ran = result.rows.filter((r) => !failedRow(r));
    if (errors <= maxErrors && ran.length) {
      const last = b === batches.length - 1;
      if (phase.pauseSeconds > 0 && !last) await sleep(ctx.clock, phase.pauseSeconds * 1000, req.signal);
      // The last batch is checked too: a rollout that ends unhealthy has not succeeded.
      if (phase.until) {
        progress('waiting_for_health', b, ran, `waiting up to ${phase.timeoutSeconds}s for the health check on batch ${b + 1}`);
        const sick = await waitHealthy(ctx, phase.until, ran, phase.timeoutSeconds * 1000, req.signal);
        if (sick.length) {
          why.push(`batch ${b + 1} did not become healthy within ${phase.timeoutSeconds}s: ${sick.join(', ')}`);
          for (const r of ran) {
            if (!sick.includes(r.resource?.host ?? '')) continue;
            Object.assign(r, { status: 'error' as const, error: `ran, but did not become healthy within ${phase.timeoutSeconds}s` });
            errors++;
          }
        } else progress('healthy', b, ran, `batch ${b + 1} is healthy`);
      }
    }
    if (errors > maxErrors) halt = maxErrors > 0 ? `${plural(errors, 'failure')} > max_errors ${maxErrors}: ${why.join('; ')}` : why.join('; ');
    req.onRows?.(result.rows);
    progress(halt ? 'halted' : 'batch_done', b, batch, halt ?? budget(`batch ${b + 1}/${batches.length} done${why.length ? `: ${why.join('; ')}` : ''}`));
    if (halt) break;
  }
  const unrun = batches.slice(started).flat().map((rest): ResultRow => ({ ...(rest.resource ? { resource: rest.resource } : {}), status: 'cancelled', error: `not run: the rollout halted (${halt ?? ''})`, values: {} }));
  out.push(...unrun);
  if (unrun.length) req.onRows?.(unrun);
  const outcome: RolloutOutcome = {
    batches: batches.length,
    started,
    maxErrors,
    ok: inOrder(out.filter((r) => r.status !== 'cancelled' && !failedRow(r))).map(nameOf),
    failed: inOrder(out.filter((r) => r.status !== 'cancelled' && failedRow(r))).map(nameOf),
    notStarted: unrun.map(nameOf),
    aborted: halt && started < batches.length ? halt : null,
  };
  return { rows: out, asked, answered, outcome };
}

/** Hosts of the batch for which the health check does not hold yet, polled once a second until the deadline. */
async function waitHealthy(ctx: FanOutContext, until: PlanExpr, batch: readonly ResultRow[], timeoutMs: number, signal: AbortSignal | undefined): Promise<string[]> {
  const { clock } = ctx;
  const hosts = [...new Set(batch.map((r) => r.resource?.host ?? ''))];
  const deadline = clock.now() + timeoutMs;
  // A host that passed once since its restart is healthy: only the others are asked again.
  const healthy = new Set<string>();
  for (;;) {
    const pending = hosts.filter((h) => !healthy.has(h));
    const rows = pending.map((h): ResultRow => ({ resource: { type: 'host', id: h, name: h, host: h }, status: 'ok', values: {} }));
    // Each poll gets at least a second, so the last one is not cut short by the deadline.
    const now = clock.now();
    const pollDeadline = Math.max(now + POLL_MS, Math.min(deadline, now + MAX_POLL_MS));
    const check = await fanOut(ctx, { phase: { where: 'agent', resource: 'host', steps: [{ op: 'filter', expr: until }] }, rows, wholeHosts: false, deadline: pollDeadline });
    for (const r of check.rows) if (r.status === 'ok' && r.resource) healthy.add(r.resource.host);
    const sick = hosts.filter((h) => !healthy.has(h));
    if (!sick.length || clock.now() >= deadline) return sick;
    await sleep(clock, POLL_MS, signal);
  }
}
