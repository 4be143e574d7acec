import type { Phase, PlanExpr } from '../../lang/index.js';
import type { ProgressLine, ResultRow } from '../../protocol/index.js';
import { sleep } from '../fleet/index.js';
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

/**
 * Runs the agent phase after a rollout in batches: never more than one batch
 * at a time; after each batch, waits `pause`, then polls `until` on the batch's
 * hosts until it holds everywhere (or `timeout`). The first failed or unhealthy
 * batch halts the rollout: later resources are reported as not run, and why.
 *
 * @example
 * const { rows } = await rollout(ctx, { phase, next, rows: hosts, timeoutMs: 30_000, onProgress: show });
 */
export async function rollout(ctx: FanOutContext, req: RolloutRequest): Promise<FanOutResult> {
  const { phase, rows: input } = req;
  const size = 'count' in phase.batch ? phase.batch.count : Math.max(1, Math.ceil((input.length * phase.batch.percent) / 100));
  const batches: ResultRow[][] = [];
  for (let i = 0; i < input.length; i += size) batches.push(input.slice(i, i + size));
  const out: ResultRow[] = [];
  let asked = 0;
  let answered = 0;
  const progress = (stage: Progress['stage'], batch: number, rows: readonly ResultRow[], message: string) =>
    req.onProgress({ stage, batch: batch + 1, batches: batches.length, resources: rows.map((r) => r.resource?.name ?? '?'), message });
  for (const [b, batch] of batches.entries()) {
    progress('batch_started', b, batch, `batch ${b + 1}/${batches.length}: ${batch.map((r) => r.resource?.name).join(', ')}`);
    const result = await fanOut(ctx, { phase: req.next, rows: batch, wholeHosts: false, deadline: ctx.clock.now() + req.timeoutMs });
    asked += result.asked;
    answered += result.answered;
    out.push(...result.rows);
    const bad = result.rows.filter((r) => r.status !== 'ok' || (typeof r.values.exit_code === 'number' && r.values.exit_code !== 0));
    let halt: string | undefined;
    if (bad.length) halt = `batch ${b + 1} failed on ${bad.map((r) => r.resource?.name).join(', ')}`;
    else {
      const last = b === batches.length - 1;
      if (phase.pauseSeconds > 0 && !last) await sleep(ctx.clock, phase.pauseSeconds * 1000, req.signal);
      // The last batch is checked too: a rollout that ends unhealthy has not succeeded.
      if (phase.until) {
        progress('waiting_for_health', b, batch, `waiting up to ${phase.timeoutSeconds}s for the health check on batch ${b + 1}`);
        const sick = await waitHealthy(ctx, phase.until, batch, phase.timeoutSeconds * 1000, req.signal);
        if (sick.length) {
          halt = `batch ${b + 1} did not become healthy within ${phase.timeoutSeconds}s: ${sick.join(', ')}`;
          for (const r of out) {
            if (r.status === 'ok' && sick.includes(r.resource?.host ?? '')) Object.assign(r, { status: 'error' as const, error: `ran, but did not become healthy within ${phase.timeoutSeconds}s` });
          }
        } else progress('healthy', b, batch, `batch ${b + 1} is healthy`);
      }
    }
    req.onRows?.(result.rows);
    progress(halt ? 'halted' : 'batch_done', b, batch, halt ?? `batch ${b + 1}/${batches.length} done`);
    if (halt) {
      const unrun = batches.slice(b + 1).flat().map((rest): ResultRow => ({ ...(rest.resource ? { resource: rest.resource } : {}), status: 'cancelled', error: `not run: the rollout halted (${halt})`, values: {} }));
      out.push(...unrun);
      if (unrun.length) req.onRows?.(unrun);
      break;
    }
  }
  return { rows: out, asked, answered };
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
