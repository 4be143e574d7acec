import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RUNBOOK_PARAM, paramValueProblem, runbookFromYaml, runbookToYaml } from '../../definitions/index.js';
import { BreakwaterError, orderedId } from '../../protocol/index.js';
import { audit } from '../audit/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import type { RunbookRecord, Store } from '../store/index.js';
import { isStoreError } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Name, Page, Statement, pageOf } from './schemas.js';

/** Runbooks and their runs live in the store; their times come from the clock. */
export interface RunbooksContext {
  readonly store: Store;
  readonly clock: Clock;
}

const ParamName = z.string().regex(RUNBOOK_PARAM, 'expected a parameter name of letters, digits and `_` (not starting with a digit)');
const ParamValue = z
  .string()
  .max(1024, 'a parameter value is at most 1024 characters')
  .superRefine((v, c) => {
    const problem = paramValueProblem(v);
    if (problem) c.addIssue({ code: 'custom', message: problem });
  });

/** A runbook as written: name, description, parameters, cells. */
const RunbookBody = z
  .object({
    name: Name,
    description: z.string().max(16 * 1024, 'the description is longer than 16 KiB').default(''),
    params: z
      .array(ParamName)
      .max(32, 'at most 32 parameters')
      .default([])
      .refine((ps) => new Set(ps).size === ps.length, 'parameter names must be unique'),
    cells: z
      .array(z.object({ kind: z.enum(['markdown', 'pipeline']), text: z.string().max(64 * 1024, 'a cell is longer than 64 KiB') }))
      .max(200, 'at most 200 cells'),
  })
  .strict();

const RunbookRunBody = z.object({
  params: z.record(ParamName, ParamValue).default({}),
  outputs: z
    .array(
      z.object({
        cell: z.number().int().nonnegative(),
        statement: Statement,
        rows: z.array(z.unknown()).max(10_000, 'at most 10,000 rows per cell'),
        summary: z.unknown().optional(),
        error: z.string().max(64 * 1024).nullable().optional(),
      }),
    )
    .max(200, 'at most 200 outputs'),
});

const RunbookId = z.object({ id: z.string().min(1).max(128) });

async function runbookOr404(ctx: RunbooksContext, id: string): Promise<RunbookRecord> {
  const rb = await ctx.store.getRunbook(id);
  if (!rb) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no runbook with id ${id}`);
  return rb;
}

/** Store conflicts (a taken name) as the API's 409. */
async function runbookWrite<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isStoreError(err, 'STORE_CONFLICT')) throw new BreakwaterError('BW_ERR_CONFLICT', `a runbook named \`${name}\` exists already`, { name });
    if (isStoreError(err, 'STORE_NOT_FOUND')) throw new BreakwaterError('BW_ERR_NOT_FOUND', err.message);
    throw err;
  }
}

/**
 * Runbooks: markdown and pipeline cells with parameters, their YAML files, and their saved runs.
 *
 * @example
 * const routes = runbooksRoutes({ store, clock: systemClock });
 */
export function runbooksRoutes(ctx: RunbooksContext): Route[] {
  const create = async (body: z.infer<typeof RunbookBody>, who: Principal) => {
    const rb: RunbookRecord = { id: randomUUID(), ...body, updatedAt: ctx.clock.now(), updatedBy: who.name };
    await runbookWrite(body.name, () => ctx.store.createRunbook(rb));
    await audit(ctx.store, who.name, 'runbook.create', body.name, 'ok', { id: rb.id }, null, ctx.clock);
    return rb;
  };
  return [
    route({
      method: 'GET',
      url: '/api/v1/runbooks',
      summary: 'Every runbook, by name.',
      role: 'viewer',
      handler: async () => ctx.store.listRunbooks(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/runbooks',
      summary: 'Create a runbook: markdown and pipeline cells; `$param` in a pipeline cell is replaced by the value as a quoted string.',
      role: 'operator',
      body: RunbookBody,
      handler: async ({ body, principal }) => create(body, principal as Principal),
    }),
    route({
      method: 'POST',
      url: '/api/v1/runbooks/import',
      summary: 'Create a runbook from its YAML file (`kind: runbook`, as exported).',
      role: 'operator',
      body: z.object({ text: z.string().min(1, 'the file is empty').max(1024 * 1024) }),
      handler: async ({ body, principal }) => {
        let raw: Record<string, unknown>;
        try {
          raw = runbookFromYaml(body.text);
        } catch (err) {
          throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid runbook file: ${(err as Error).message}`, { where: 'text' });
        }
        const parsed = RunbookBody.safeParse(raw);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
          throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid runbook file: ${issues}`, { where: 'text' });
        }
        return create(parsed.data, principal as Principal);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runbooks/:id',
      summary: 'One runbook.',
      role: 'viewer',
      params: RunbookId,
      handler: async ({ params }) => runbookOr404(ctx, params.id),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/runbooks/:id',
      summary: 'Replace a runbook\'s name, description, parameters and cells.',
      role: 'operator',
      params: RunbookId,
      body: RunbookBody,
      handler: async ({ params, body, principal }) => {
        const who = principal as Principal;
        const rb: RunbookRecord = { id: params.id, ...body, updatedAt: ctx.clock.now(), updatedBy: who.name };
        await runbookWrite(body.name, () => ctx.store.updateRunbook(rb));
        await audit(ctx.store, who.name, 'runbook.update', body.name, 'ok', { id: rb.id }, null, ctx.clock);
        return rb;
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/runbooks/:id',
      summary: 'Delete a runbook and its saved runs.',
      role: 'operator',
      params: RunbookId,
      handler: async ({ params, principal }) => {
        const rb = await runbookOr404(ctx, params.id);
        if (!(await ctx.store.deleteRunbook(params.id))) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no runbook with id ${params.id}`);
        await audit(ctx.store, (principal as Principal).name, 'runbook.delete', rb.name, 'ok', { id: rb.id }, null, ctx.clock);
        return { deleted: params.id };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runbooks/:id/export',
      summary: 'A runbook as a YAML file (`kind: runbook`), for review and `POST /api/v1/runbooks/import`.',
      role: 'viewer',
      params: RunbookId,
      produces: 'application/yaml',
      handler: async ({ params, reply }) => {
        const rb = await runbookOr404(ctx, params.id);
        reply.header('content-type', 'application/yaml; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="${rb.name}.runbook.yaml"`);
        return runbookToYaml(rb);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/runbooks/:id/runs',
      summary: 'Save a run of a runbook: the parameter values and each run cell\'s statement, rows, summary and error.',
      role: 'operator',
      params: RunbookId,
      body: RunbookRunBody,
      handler: async ({ params, body, principal }) => {
        const rb = await runbookOr404(ctx, params.id);
        const unknown = Object.keys(body.params).filter((p) => !rb.params.includes(p));
        if (unknown.length) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid request body: params: ${unknown.map((p) => `\`${p}\``).join(', ')} is not a parameter of runbook \`${rb.name}\` (it has ${rb.params.length ? rb.params.join(', ') : 'none'})`, { where: 'request body' });
        const bad = body.outputs.find((o) => o.cell >= rb.cells.length || rb.cells[o.cell]?.kind !== 'pipeline');
        if (bad) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid request body: outputs: cell ${bad.cell} is not a pipeline cell of runbook \`${rb.name}\``, { where: 'request body' });
        const run = {
          id: orderedId(),
          runbookId: rb.id,
          createdAt: ctx.clock.now(),
          createdBy: (principal as Principal).name,
          params: body.params,
          outputs: body.outputs.map((o) => ({ cell: o.cell, statement: o.statement, rows: o.rows, summary: o.summary ?? null, error: o.error ?? null })),
        };
        await ctx.store.saveRunbookRun(run);
        return run;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runbooks/:id/runs',
      summary: 'Saved runs of a runbook, newest first.',
      role: 'viewer',
      params: RunbookId,
      query: Page,
      handler: async ({ params, query }) => {
        await runbookOr404(ctx, params.id);
        return ctx.store.listRunbookRuns(params.id, pageOf(query));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runbooks/:id/runs/:runId',
      summary: 'One saved run of a runbook, with its outputs.',
      role: 'viewer',
      params: RunbookId.extend({ runId: z.string().min(1).max(128) }),
      handler: async ({ params }) => {
        const run = await ctx.store.getRunbookRun(params.runId);
        if (!run || run.runbookId !== params.id) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no run ${params.runId} of runbook ${params.id}`);
        return run;
      },
    }),
  ];
}
