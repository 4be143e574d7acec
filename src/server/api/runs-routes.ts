import { z } from 'zod';
import { RUN_KINDS, runPersonOf } from '../../definitions/index.js';
import type { Run, RunWithResults } from '../../protocol/index.js';
import { BreakwaterError, RUN_STATUSES } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { audit } from '../audit/index.js';
import { hasRole } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import type { RunFilter, RunRecord, Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { IdParam, Name, Page, pageOf } from './schemas.js';

/*
 * Runs and their output. A command's output can hold anything the host had (a config file, a
 * key, a customer's row), so it is readable by operators and admins and by the principal who ran
 * it, not by every viewer, unless the server says otherwise (--run-output-visibility all).
 */

export interface RunsContext {
  readonly store: Store;
  readonly runOutputVisibility: 'operator' | 'all';
}

/** Whether `who` may read the output of a run by `principal` (their own runbook cells' runs too). */
export function readsOutput(ctx: RunsContext, who: Principal, principal: string): boolean {
  return ctx.runOutputVisibility === 'all' || hasRole(who, 'operator') || runPersonOf(principal) === who.name;
}

/** A record without the `stdout` and `stderr` its agent reported. */
function dropOutput(details: Record<string, unknown>): Record<string, unknown> {
  const { stdout: _stdout, stderr: _stderr, ...rest } = details;
  return rest;
}

/** A bot run keeps the output its agent reported in `plan.trigger`: the list leaves it out for those who may not read it. */
function withoutOutput(run: RunRecord): Run {
  const plan = run.plan as { trigger?: Record<string, unknown> } | null;
  if (!plan || typeof plan !== 'object' || !plan.trigger || typeof plan.trigger !== 'object') return { ...run, outputHidden: true };
  return { ...run, plan: { ...plan, trigger: dropOutput(plan.trigger) }, outputHidden: true };
}

/** An event as `who` may read it: a bot's `bot_ran` carries its run's output, left out like the run's (`outputHidden`). */
export function eventFor<E extends { type: string; principal: string | null; details: Record<string, unknown> }>(ctx: RunsContext, who: Principal, event: E): E {
  if (!('stdout' in event.details || 'stderr' in event.details) || readsOutput(ctx, who, event.principal ?? '')) return event;
  return { ...event, details: { ...dropOutput(event.details), outputHidden: true } };
}

/** The filters of GET /api/v1/runs, each optional; every given one must match. */
export const RunsQuery = Page.extend({
  status: z.enum(RUN_STATUSES, { error: `expected a run status: ${RUN_STATUSES.join(', ')}` }).optional(),
  kind: z.enum(RUN_KINDS, { error: `expected a kind of run: ${RUN_KINDS.join(', ')}` }).optional(),
  principal: z.string().min(1, 'the principal is empty').max(300, 'the principal is longer than 300 characters').optional(),
  bot: Name.optional(),
  host: Name.optional(),
  since: z.coerce.number().int().min(0).optional(),
});

/** The store's filter from a parsed RunsQuery: absent filters stay absent. */
function runFilterOf(q: z.infer<typeof RunsQuery>): RunFilter {
  const { limit: _limit, before: _before, ...filters } = q;
  const given = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  return { ...pageOf(q), ...given };
}

/**
 * GET /api/v1/runs and /api/v1/runs/:id, output shown as RunsContext's visibility says; a refused
 * read is audited, dated by the clock.
 *
 * @example
 * const routes = runsRoutes({ store, runOutputVisibility: 'operator', clock: systemClock });
 */
export function runsRoutes(ctx: RunsContext & { readonly clock: Clock }): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/runs',
      summary: 'Runs of commands and actions, newest first, filtered by status, kind (adhoc, bot, schedule, approval, runbook), principal, bot, host (a result on it) and start time (since, before). Output a bot reported is left out (`outputHidden`) for a viewer who did not run it, unless the server shows output to all.',
      role: 'viewer',
      query: RunsQuery,
      handler: async ({ query, principal }): Promise<Run[]> => (await ctx.store.listRuns(runFilterOf(query))).map((r) => (readsOutput(ctx, principal as Principal, r.principal) ? r : withoutOutput(r))),
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id',
      summary: 'One run with its per-resource results and output: for operators, admins and the principal who ran it (or everyone, with --run-output-visibility all).',
      role: 'viewer',
      params: IdParam,
      handler: async ({ params, principal }): Promise<RunWithResults> => {
        const who = principal as Principal;
        const found = await ctx.store.getRun(params.id);
        if (!found) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no run with id ${params.id}`);
        if (!readsOutput(ctx, who, found.run.principal)) {
          await audit(ctx.store, who.name, 'run.read', params.id, 'denied', { needed: 'operator', held: who.role, ranBy: found.run.principal }, null, ctx.clock);
          throw new BreakwaterError(
            'BW_ERR_FORBIDDEN',
            `the output of run ${params.id} is readable by operators, admins and the principal who ran it (\`${found.run.principal}\`): reading it needs the operator role; token \`${who.name}\` has ${who.role} (the server's --run-output-visibility is operator)`,
            { needed: 'operator', held: who.role },
          );
        }
        return found;
      },
    }),
  ];
}
