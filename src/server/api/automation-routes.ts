import { z } from 'zod';
import type { Principal } from '../auth.js';
import type { Remediation } from '../remediation/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name } from './schemas.js';

/** Bots and schedules are read and run by remediation (the breaker's window, the schedules' timers). */
export interface AutomationContext {
  readonly remediation: Pick<Remediation, 'bots' | 'schedules' | 'runSchedule'>;
}

/**
 * The fleet's automation: each bot's state, each schedule's, and running a schedule now.
 *
 * @example
 * const routes = automationRoutes({ remediation });
 */
export function automationRoutes(ctx: AutomationContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/bots',
      summary: "Every defined bot: trigger, action, target, cooldown (resources still cooling down, and until when), the circuit breaker's window (runs used and left, as the breaker counts them) and its last run.",
      role: 'viewer',
      handler: async () => ctx.remediation.bots(),
    }),
    route({
      method: 'GET',
      url: '/api/v1/schedules',
      summary: "Every defined schedule: cron or interval, when this replica's timer runs it next, whether it is running, and its last run's result.",
      role: 'viewer',
      handler: async () => ctx.remediation.schedules(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/schedules/:name/run',
      summary: "Run a schedule now, as its tick would (recorded as `schedule:<name>`, audited under your name too): refused while it runs, when disabled, or when your token may not run its actions. Answers once the run ends, with its id and failures. Once across replicas: at most one run-now per schedule a second.",
      role: 'operator',
      audit: 'schedule.run',
      params: z.object({ name: Name }),
      response: z.object({
        runId: z.string().nullable().describe('the run (GET /api/v1/runs/:id), recorded as `schedule:<name>`'),
        targets: z.number().int(),
        failed: z.number().int().describe('targets whose command or action failed, timed out or never ran'),
        durationMs: z.number(),
      }),
      handler: async ({ params, principal }) => {
        const outcome = await ctx.remediation.runSchedule(params.name, principal as Principal);
        return { runId: outcome.runId, targets: outcome.result.targets, failed: outcome.failed, durationMs: outcome.durationMs };
      },
    }),
  ];
}
