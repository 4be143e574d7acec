import { z } from 'zod/mini';
import { ResultRow } from './rows.js';
import { RunExplanation } from './run-explanation.js';

/*
 * The answer of POST /api/v1/query: NDJSON, one JSON object a line, in this order: one `plan`
 * line, then `targets` (once, when the rows to come are asked of the hosts), `row` and `progress`
 * lines as agents answer, then one `summary` line, or an `error` line wherever the query failed
 * once it had started.
 *
 * The plan line carries the query language's plan. protocol may not import lang (the layering
 * rule), so the plan is typed here as a parameter `P` and checked by the schema the reader is
 * given (lang's `PlanSchema`), the way an agent checks a query's phase with lang's schema.
 */

/** A diagnostic as the plan line carries its warnings: lang's `Diagnostic`, by shape. */
export const QueryDiagnostic = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  location: z.object({ start: z.number(), end: z.number(), line: z.number(), column: z.number(), endLine: z.number(), endColumn: z.number() }),
  suggestion: z.optional(z.string()),
  /** A fleet warning's value (or tag key) that no host has, and the near ones hosts have (BW_NO_MATCH). */
  found: z.optional(z.string()),
  near: z.optional(z.readonly(z.array(z.object({ value: z.string(), hosts: z.number() })))),
});
export type QueryDiagnostic = z.infer<typeof QueryDiagnostic>;

/** The first line: what will run. `runId` is null for a statement that is not recorded as a run. */
const PlanLineShape = z.object({
  type: z.literal('plan'),
  runId: z.nullable(z.string()),
  dryRun: z.boolean(),
  plan: z.unknown(),
  warnings: z.array(QueryDiagnostic),
});
export type PlanLine<P> = Omit<z.infer<typeof PlanLineShape>, 'plan' | 'warnings'> & { readonly plan: P; readonly warnings: readonly QueryDiagnostic[] };

/** One result row, as soon as its agent answered. */
export const RowLine = z.object({ type: z.literal('row'), row: ResultRow });
export type RowLine = z.infer<typeof RowLine>;

/**
 * How many hosts the rows to come are asked of, said once as they are asked (before the first
 * row streamed as it arrives): what lets a client show how many hosts are still pending.
 */
export const TargetsLine = z.object({ type: z.literal('targets'), hosts: z.int() });
export type TargetsLine = z.infer<typeof TargetsLine>;

/** One step of a rollout (`rolling(...)`), as it happens. */
export const ProgressLine = z.object({
  type: z.literal('progress'),
  stage: z.enum(['batch_started', 'batch_done', 'waiting_for_health', 'healthy', 'halted']),
  /** 1-based. */
  batch: z.int(),
  batches: z.int(),
  /** Names of the batch's resources. */
  resources: z.array(z.string()),
  message: z.string(),
  /** Failures so far, across batches, and how many the rollout tolerates (`max_errors`, resolved against its targets). */
  errors: z.optional(z.int()),
  maxErrors: z.optional(z.int()),
});
export type ProgressLine = z.infer<typeof ProgressLine>;

/**
 * How a rollout ended, in the summary: what ran and succeeded, what failed (a non-zero exit, no
 * answer, or not healthy in time), what never started, by name; and why it stopped early, if it did.
 */
export const RolloutOutcome = z.object({
  batches: z.int(),
  /** Batches that started. */
  started: z.int(),
  maxErrors: z.int(),
  ok: z.array(z.string()),
  failed: z.array(z.string()),
  notStarted: z.array(z.string()),
  /** Why the rollout stopped before its last batch (`3 failures > max_errors 2: …`), or null. */
  aborted: z.nullable(z.string()),
});
export type RolloutOutcome = z.infer<typeof RolloutOutcome>;

/**
 * The last line of a query that ran to its end. `failed` is the count to show as failures: rows
 * that are failed targets (`rowFailed`: a non-zero exit, or never ran), as the run record, the
 * audit entry and the CLI count them. `failures` counts only the rows that never ran (error,
 * timeout, offline, cancelled), a part of `failed`.
 */
export const SummaryLine = z.object({
  type: z.literal('summary'),
  runId: z.nullable(z.string()),
  rows: z.int(),
  failures: z.int(),
  failed: z.int(),
  targets: z.int(),
  agentsAsked: z.int(),
  agentsAnswered: z.int(),
  durationMs: z.number(),
  /** Present when the statement rolled out (`rolling(...)`). */
  rollout: z.optional(RolloutOutcome),
  /** Present on a dry run: what the run would do, and what stands in its way (run-explanation.ts). */
  explanation: z.optional(RunExplanation),
});
export type SummaryLine = z.infer<typeof SummaryLine>;

/** The last line of a query that failed after it started: a BreakwaterError as JSON. */
export const ErrorLine = z.object({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type ErrorLine = z.infer<typeof ErrorLine>;

/**
 * One line of the query answer; `P` is the plan's type (lang's `Plan` where the reader is given
 * lang's `PlanSchema`).
 *
 * @example
 * for await (const line of readQueryStream(chunks, PlanSchema)) if (line.type === 'row') show(line.row);
 */
export type QueryLine<P = unknown> = PlanLine<P> | TargetsLine | RowLine | ProgressLine | SummaryLine | ErrorLine;

/** Every line, its plan unchecked: the reader checks it with the plan schema it is given. */
export const QueryLineShape = z.discriminatedUnion('type', [PlanLineShape, TargetsLine, RowLine, ProgressLine, SummaryLine, ErrorLine]);

/** The line types, in the order they come. */
export const QUERY_LINE_TYPES = ['plan', 'targets', 'row', 'progress', 'summary', 'error'] as const satisfies readonly QueryLine['type'][];
