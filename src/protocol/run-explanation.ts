import { z } from 'zod/mini';

/*
 * What a dry run explains before anything runs (POST /api/v1/query with `dryRun`, in its summary
 * line; `breakwater run --dry-run`): the targets resolved now, a rollout's batches in order, the
 * circuit breakers of the bots that run the same actions, whether an approval is needed and from
 * whom, and the blast-radius verdict. Built by the control plane's explainRun.
 */

/** How many names one batch (and the target list) carries; `count` says how many there are. */
export const EXPLAINED_NAMES = 50;
/** How many batches are listed; `batchCount` says how many there are. */
export const EXPLAINED_BATCHES = 200;

const Names = z.object({ count: z.int(), names: z.array(z.string()) });

export const RunExplanation = z.object({
  targets: z.object({
    count: z.int(),
    names: z.array(z.string()),
    /** Targets whose agent did not answer the dry run (offline, timeout): they count against the limit too. */
    unreachable: z.int(),
  }),
  /** The batches `rolling(...)` would run, in order (planBatches); null when everything runs at once. */
  rollout: z.nullable(
    z.object({
      batchCount: z.int(),
      size: z.int(),
      ramp: z.enum(['none', 'exponential']),
      maxErrors: z.int(),
      batches: z.array(Names),
    }),
  ),
  /** Each bot running one of the statement's actions: its breaker's window now, and what this run would take of it. */
  breakers: z.array(
    z.object({
      bot: z.string(),
      action: z.string(),
      max: z.int(),
      windowSeconds: z.number(),
      used: z.int(),
      left: z.int(),
      tripped: z.boolean(),
      /** Runs of this statement the breaker would count: 0, as a breaker counts its bot's runs only. */
      consumes: z.int(),
    }),
  ),
  approval: z.object({
    /** Whether this run would wait for a person's approval; `reason` says why (not). */
    required: z.boolean(),
    reason: z.string(),
    /** Bots of the same actions whose runs wait for an approval, and who may give it: a role at least, or a named principal. */
    bots: z.array(z.object({ bot: z.string(), action: z.string(), roles: z.array(z.string()), principals: z.array(z.string()) })),
  }),
  blastRadius: z.object({
    /** `reads only`: the statement runs no command or action, so no limit applies. */
    verdict: z.enum(['within', 'over', 'reads only']),
    targets: z.int(),
    limit: z.int(),
  }),
});
export type RunExplanation = z.infer<typeof RunExplanation>;
