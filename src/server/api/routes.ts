import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { ROLE_POWERS } from '../auth.js';
import { audit } from '../query/run-statement.js';
import type { StatementContext } from '../query/run-statement.js';
import type { RunbookRecord } from '../store/index.js';
import { isStoreError } from '../store/index.js';
import type { AlarmDefinition, Definition } from '../../definitions/index.js';
import { RUNBOOK_PARAM, paramValueProblem, parseDefinitions, runbookFromYaml, runbookToYaml } from '../../definitions/index.js';
import type { Remediation } from '../remediation.js';
import type { LiveQueries } from './live-query.js';
import { streamEvents } from './event-stream.js';
import type { Route } from './route.js';
import type { RunsContext } from './runs-routes.js';
import { eventFor, runsRoutes } from './runs-routes.js';
import { route } from './route.js';
import { definitionsView, secretRoutes } from './secret-routes.js';
import { agentRoutes } from './agents-routes.js';
import { Name, Statement } from './schemas.js';
import { queryRoutes } from './query-routes.js';
import { tokenRoutes } from './tokens-routes.js';
import { SSE_MAX_BUFFERED_BYTES } from './sse.js';
import type { TokenStreams } from './token-streams.js';
import { STREAMS_PER_TOKEN } from './token-streams.js';

export interface ApiContext extends StatementContext, RunsContext {
  readonly version: string;
  readonly remediation: Remediation;
  readonly live: LiveQueries;
  /** Every open event stream and live query, per token: a revoked token's end at once. */
  readonly streams: TokenStreams;
  /** Mutual TLS with the control plane's own CA: signs an enrolling agent's client certificate. */
  readonly issueClientCertificate?: ((name: string, publicKeyPem: string) => string) | undefined;
}

const Files = z
  .array(z.object({ path: z.string().min(1).max(1024), text: z.string().max(1024 * 1024) }))
  .min(1, 'no definition files were given')
  .max(10_000);

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().optional(),
});

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

async function runbookOr404(ctx: ApiContext, id: string): Promise<RunbookRecord> {
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

function runbookRoutes(ctx: ApiContext): Route[] {
  const create = async (body: z.infer<typeof RunbookBody>, who: Principal) => {
    const rb: RunbookRecord = { id: randomUUID(), ...body, updatedAt: Date.now(), updatedBy: who.name };
    await runbookWrite(body.name, () => ctx.store.createRunbook(rb));
    await audit(ctx.store, who.name, 'runbook.create', body.name, 'ok', { id: rb.id });
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
        const rb: RunbookRecord = { id: params.id, ...body, updatedAt: Date.now(), updatedBy: who.name };
        await runbookWrite(body.name, () => ctx.store.updateRunbook(rb));
        await audit(ctx.store, who.name, 'runbook.update', body.name, 'ok', { id: rb.id });
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
        await audit(ctx.store, (principal as Principal).name, 'runbook.delete', rb.name, 'ok', { id: rb.id });
        return { deleted: params.id };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runbooks/:id/export',
      summary: 'A runbook as a YAML file (`kind: runbook`), for review and `POST /api/v1/runbooks/import`.',
      role: 'viewer',
      produces: 'application/yaml',
      params: RunbookId,
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
          id: randomUUID(),
          runbookId: rb.id,
          createdAt: Date.now(),
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

export function apiRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the control plane answers.',
      role: 'public',
      handler: async () => ({ ok: true, version: ctx.version, agents: ctx.gateway.connectedCount }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/whoami',
      summary: 'The caller\'s token name and role.',
      role: 'viewer',
      handler: async ({ principal }) => ({ name: principal?.name, role: principal?.role, may: principal && principal.role !== 'agent' ? ROLE_POWERS[principal.role] : '' }),
    }),
    ...agentRoutes(ctx),
    route({
      method: 'GET',
      url: '/api/v1/catalogue',
      summary: 'The language catalogue: resource types, metrics, functions, reductions, actions.',
      role: 'viewer',
      handler: async () => ctx.catalogue(),
    }),
    ...queryRoutes(ctx),
    ...runsRoutes(ctx),
    route({
      method: 'GET',
      url: '/api/v1/audit',
      summary: 'The audit log, newest first; filter by principal or action.',
      role: 'operator',
      query: Page.extend({ principal: z.string().optional(), action: z.string().optional() }),
      handler: async ({ query }) => ctx.store.listAudit({ ...pageOf(query), ...(query.principal ? { principal: query.principal } : {}), ...(query.action ? { action: query.action } : {}) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/definitions/plan',
      summary: 'Check definition files and show what applying them would change (create/update/delete). With `?intent=apply` (what `breakwater apply` sends), the caller must hold the role apply needs (admin), so the first refusal names it.',
      role: 'operator',
      audit: 'definitions.plan',
      escalate: (q) => ((q as { intent?: unknown } | undefined)?.intent === 'apply' ? { role: 'admin', what: 'apply', audit: 'definitions.apply' } : undefined),
      body: z.object({ files: Files }),
      query: z.object({ intent: z.enum(['plan', 'apply']).optional() }),
      handler: async ({ body }) => {
        const p = ctx.remediation.plan(body.files);
        return p.ok ? { ok: true, baseVersion: p.baseVersion, diagnostics: p.diagnostics, diff: p.diff, text: p.text } : p;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/definitions/apply',
      summary: 'Apply definition files as a new version, all or nothing, against the version they were planned on.',
      role: 'admin',
      audit: 'definitions.apply',
      body: z.object({ files: Files, baseVersion: z.number().int().nonnegative() }),
      handler: async ({ body, principal }) => ctx.remediation.apply(body.files, body.baseVersion, principal as Principal),
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions',
      summary: 'The current definitions and their version (file content for admins only; secrets without values).',
      role: 'viewer',
      handler: async ({ principal }) => {
        const current = ctx.remediation.definitions();
        return { version: current.version, definitions: definitionsView(current.definitions, principal, ctx.remediation.secrets) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions/versions',
      summary: 'Every applied version: when, by whom, what changed.',
      role: 'viewer',
      query: Page,
      handler: async ({ query }) => ctx.store.listDefinitionVersions(pageOf(query)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/definitions/versions/:version',
      summary: 'One applied version with its definitions (file content for admins only; secrets without values).',
      role: 'viewer',
      params: z.object({ version: z.coerce.number().int().positive() }),
      handler: async ({ params, principal }) => {
        const v = await ctx.store.getDefinitionVersion(params.version);
        if (!v) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no definitions version ${params.version}`);
        return { ...v, definitions: definitionsView(v.definitions as Definition[], principal, ctx.remediation.secrets) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/drift',
      summary: 'Which definitions version each agent runs, and whether it is the current one.',
      role: 'viewer',
      handler: async () => ctx.remediation.drift(),
    }),
    route({
      method: 'GET',
      url: '/api/v1/events',
      summary: 'The fleet\'s timeline, newest first: alarms, bot runs, approvals, agents, applies.',
      role: 'viewer',
      query: Page.extend({ type: z.string().optional(), alarm: z.string().optional(), bot: z.string().optional(), host: z.string().optional(), since: z.coerce.number().int().optional() }),
      handler: async ({ query, principal }) => {
        const events = await ctx.store.listEvents({
          ...pageOf(query),
          ...(query.type ? { type: query.type } : {}),
          ...(query.alarm ? { alarm: query.alarm } : {}),
          ...(query.bot ? { bot: query.bot } : {}),
          ...(query.host ? { host: query.host } : {}),
          ...(query.since ? { since: query.since } : {}),
        });
        return events.map((e) => eventFor(ctx, principal as Principal, e));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/events/stream',
      summary: `Server-sent events: each newly stored event as \`data: <json>\` (\`id:\` the event id), a heartbeat comment every 15 s, until the client goes or its token expires or is revoked (a last \`event: error\` says which). At most ${STREAMS_PER_TOKEN.events} open per token; a client ${SSE_MAX_BUFFERED_BYTES} bytes behind is disconnected. The token may also be given as \`?token=\` here, because EventSource cannot send headers.`,
      role: 'viewer',
      produces: 'text/event-stream',
      tokenInQuery: true,
      query: z.object({ token: z.string().optional() }),
      handler: async ({ request, reply, principal }) => streamEvents(ctx, principal as Principal, request, reply),
    }),
    route({
      method: 'GET',
      url: '/api/v1/approvals',
      summary: 'Bot runs waiting for approval (or decided), newest first.',
      role: 'viewer',
      query: Page.extend({ status: z.enum(['pending', 'approved', 'denied', 'expired']).optional() }),
      handler: async ({ query }) => ctx.store.listApprovals({ ...pageOf(query), ...(query.status ? { status: query.status } : {}) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/approvals/:id/approve',
      summary: 'Approve a pending bot run: it runs now, under your name.',
      role: 'operator',
      params: z.object({ id: z.string().min(1) }),
      handler: async ({ params, principal }) => ctx.remediation.decide(params.id, true, principal as Principal),
    }),
    route({
      method: 'POST',
      url: '/api/v1/approvals/:id/deny',
      summary: 'Deny a pending bot run.',
      role: 'operator',
      params: z.object({ id: z.string().min(1) }),
      handler: async ({ params, principal }) => ctx.remediation.decide(params.id, false, principal as Principal),
    }),
    route({
      method: 'POST',
      url: '/api/v1/alerts',
      summary: 'An alert from outside (a monitoring webhook): bots with an `external` trigger of that name run on the hosts it names.',
      role: 'operator',
      body: z.object({
        alert: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected an alert name of letters, digits, `_`, `.`, `:`, `-`'),
        hosts: z.array(Name).min(1, 'name at least one host').max(10_000),
        context: z.record(z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'context keys are lower-case names'), z.union([z.string().max(4096), z.number(), z.boolean()])).default({}),
      }),
      handler: async ({ body, principal }) => {
        const delivered: string[] = [];
        const offline: string[] = [];
        for (const h of body.hosts) (ctx.gateway.sendTo(h, { type: 'alert', name: body.alert, context: body.context }) ? delivered : offline).push(h);
        await audit(ctx.store, (principal as Principal).name, 'alert', body.alert, offline.length ? 'failed' : 'ok', { delivered, offline });
        return { alert: body.alert, delivered, offline };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/backtest',
      summary: 'Replay an alarm (a definition file holding one alarm) over the agents\' stored metrics.',
      role: 'operator',
      body: z.object({ files: Files, seconds: z.number().int().positive().max(86_400).default(3600) }),
      handler: async ({ body }) => {
        const parsed = parseDefinitions(body.files, ctx.remediation.catalogue());
        if (parsed.diagnostics.length && !parsed.definitions.length) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'the alarm definition has problems', { diagnostics: parsed.diagnostics });
        const alarm = parsed.definitions.find((d): d is AlarmDefinition => d.kind === 'alarm');
        if (!alarm) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', 'the files hold no alarm to back-test');
        return { alarm: alarm.name, seconds: body.seconds, hosts: await ctx.remediation.backtest(alarm, body.seconds) };
      },
    }),
    ...tokenRoutes(ctx),
    ...runbookRoutes(ctx),
    ...secretRoutes(ctx),
  ];
}

function pageOf(q: { limit?: number | undefined; before?: number | undefined }) {
  return { ...(q.limit ? { limit: q.limit } : {}), ...(q.before ? { before: q.before } : {}) };
}
