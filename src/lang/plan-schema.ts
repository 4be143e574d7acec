import { z } from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { AgentStep, ControlStep, Phase, Plan, PlanColumn, PlanExpr } from './plan.js';

/*
 * Runtime validation of plan parts that cross a process boundary: an agent
 * checks the phase it is sent before running anything, and the CLI and the web UI
 * check the plan a query's answer carries before reading it, so a version skew or a
 * corrupted message fails with a clear error instead of a crash halfway.
 *
 * `zod/mini`, as in protocol. zod/mini loads no locale (every issue would read "Invalid input"),
 * so this loads English, as src/protocol/messages.ts does: the schemas' messages must not depend
 * on protocol having been imported first (lang may not import it).
 */
z.config(en());

const label = z.object({ name: z.string(), op: z.enum(['=', '!=', '=~', '!~']), value: z.string() });
const metric = { name: z.string(), labels: z.array(label), collapse: z.enum(['max', 'min', 'sum']) };

export const PlanExprSchema: z.ZodMiniType<PlanExpr> = z.lazy(() =>
  z.discriminatedUnion('k', [
    z.object({ k: z.literal('num'), v: z.number() }),
    z.object({ k: z.literal('str'), v: z.string() }),
    z.object({ k: z.literal('bool'), v: z.boolean() }),
    z.object({ k: z.literal('list'), items: z.array(PlanExprSchema) }),
    z.object({ k: z.literal('metric'), ...metric }),
    z.object({ k: z.literal('range'), metric: z.object(metric), seconds: z.number().check(z.positive()) }),
    z.object({ k: z.literal('attr'), name: z.string() }),
    z.object({ k: z.literal('tag'), name: z.string() }),
    z.object({ k: z.literal('col'), name: z.string() }),
    z.object({ k: z.literal('field'), name: z.string() }),
    z.object({ k: z.literal('cmd'), text: z.string() }),
    z.object({ k: z.literal('call'), fn: z.string(), args: z.array(PlanExprSchema) }),
    z.object({ k: z.literal('not'), x: PlanExprSchema }),
    z.object({ k: z.literal('neg'), x: PlanExprSchema }),
    z.object({ k: z.literal('bin'), op: z.string(), l: PlanExprSchema, r: PlanExprSchema }),
  ]),
);

const resource = z.enum(['host', 'process', 'container', 'pod']);

export const AgentStepSchema: z.ZodMiniType<AgentStep> = z.discriminatedUnion('op', [
  z.object({ op: z.literal('traverse'), to: resource }),
  z.object({ op: z.literal('filter'), expr: PlanExprSchema }),
  z.object({ op: z.literal('column'), name: z.string(), expr: PlanExprSchema }),
  z.object({ op: z.literal('command'), text: z.string() }),
  z.object({ op: z.literal('action'), name: z.string(), args: z.record(z.string(), PlanExprSchema) }),
]);

export const AgentPhaseSchema = z.object({
  where: z.literal('agent'),
  resource,
  steps: z.array(AgentStepSchema).check(z.maxLength(256)),
});

export type AgentPhase = z.infer<typeof AgentPhaseSchema>;

const ControlStepSchema: z.ZodMiniType<ControlStep> = z.discriminatedUnion('op', [
  z.object({ op: z.literal('filter'), expr: PlanExprSchema }),
  z.object({ op: z.literal('column'), name: z.string(), expr: PlanExprSchema }),
  z.object({ op: z.literal('group_by'), keys: z.array(z.string()) }),
  z.object({ op: z.literal('count') }),
  z.object({ op: z.literal('aggregate'), fn: z.enum(['sum', 'avg', 'min', 'max']), column: z.string(), name: z.string() }),
  z.object({ op: z.literal('distinct'), columns: z.array(z.string()) }),
  z.object({ op: z.literal('top'), n: z.number(), column: z.string() }),
  z.object({ op: z.literal('sort'), keys: z.array(z.object({ column: z.string(), desc: z.boolean() })) }),
  z.object({ op: z.literal('limit'), n: z.number() }),
  z.object({ op: z.literal('sample'), n: z.number() }),
]);

// The agent phase as the planner makes it: AgentPhaseSchema's step cap is the agent's own limit.
const PhaseSchema: z.ZodMiniType<Phase> = z.discriminatedUnion('where', [
  z.object({ where: z.literal('inventory'), resource: z.literal('host'), filter: z.nullable(PlanExprSchema) }),
  z.object({ where: z.literal('events'), filter: z.nullable(PlanExprSchema) }),
  z.object({ where: z.literal('agent'), resource, steps: z.array(AgentStepSchema) }),
  z.object({ where: z.literal('control'), steps: z.array(ControlStepSchema) }),
  z.object({
    where: z.literal('rollout'),
    batch: z.union([z.object({ count: z.number() }), z.object({ percent: z.number() })]),
    pauseSeconds: z.number(),
    timeoutSeconds: z.number(),
    until: z.nullable(PlanExprSchema),
    maxErrors: z.optional(z.union([z.object({ count: z.number() }), z.object({ percent: z.number() })])),
    ramp: z.optional(z.enum(['none', 'exponential'])),
  }),
]);

const PlanColumnSchema: z.ZodMiniType<PlanColumn> = z.object({
  name: z.string(),
  type: z.enum(['number', 'string', 'bool', 'series', 'list', 'any']),
  unit: z.optional(z.enum(['seconds', 'bytes', 'percent', 'bytes_per_second', 'count', 'none', 'timestamp', 'identifier'])),
});

/**
 * A whole plan, as the query API's `plan` line carries it to clients.
 *
 * @example
 * const r = PlanSchema.safeParse(JSON.parse(text).plan);
 * if (r.success) render(rows, r.data.columns, r.data.ordered);
 */
export const PlanSchema: z.ZodMiniType<Plan> = z.object({
  version: z.literal(1),
  source: z.enum(['host', 'process', 'container', 'pod', 'events']),
  phases: z.array(PhaseSchema),
  columns: z.array(PlanColumnSchema),
  ordered: z.boolean(),
  effects: z.object({ commands: z.array(z.string()), actions: z.array(z.string()), checks: z.array(z.string()) }),
  requires: z.enum(['viewer', 'operator', 'admin']),
  metrics: z.array(z.string()),
  windowSeconds: z.number(),
});
