import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Catalogue } from '../../lang/index.js';
import { analyze } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { ROLE_POWERS, createToken, hashSecret, hasRole, newSecret, verifyToken } from '../auth.js';
import type { AgentGateway } from '../gateway.js';
import { executePlan } from '../query/execute.js';
import type { AgentRecord, Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';

export interface ApiContext {
  readonly store: Store;
  readonly gateway: AgentGateway;
  catalogue(): Catalogue;
  readonly queryTimeoutMs: number;
  readonly version: string;
}

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().optional(),
});

const Statement = z.string().min(1, 'the statement is empty').max(64 * 1024, 'the statement is longer than 64 KiB');
const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'expected a name of letters, digits, `.`, `_`, `-`, `@`');

/** Audit a statement, by what it does: `run` for commands and actions, nothing for reads. */
const effectful = (plan: { effects: { commands: readonly string[]; actions: readonly string[] } }) => plan.effects.commands.length > 0 || plan.effects.actions.length > 0;

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
    route({
      method: 'POST',
      url: '/api/v1/agents/enroll',
      summary: 'Trade a join token (role agent) for an agent\'s own credential.',
      role: 'public',
      body: z.object({ token: z.string().min(1), name: Name, hostId: z.string().min(1).max(256) }),
      response: z.object({ agentId: z.string(), credential: z.string() }),
      handler: async ({ body }) => {
        const join = await verifyToken(ctx.store, body.token);
        if (!join || join.role !== 'agent') {
          throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', join ? `token \`${join.name}\` has role ${join.role}; enrollment needs a join token with role agent` : 'the join token is unknown, expired or revoked');
        }
        const existing = await ctx.store.getAgentByName(body.name);
        if (existing && existing.hostId !== body.hostId && existing.status === 'connected') {
          throw new BreakwaterError('BW_ERR_CONFLICT', `a different host (id ${existing.hostId}) is connected as \`${body.name}\`; choose another --name`, { name: body.name });
        }
        const credential = newSecret('bwa');
        const agent: AgentRecord = {
          id: existing?.id ?? randomUUID(),
          name: body.name,
          hostId: body.hostId,
          credentialHash: hashSecret(credential),
          tags: existing?.tags ?? {},
          facts: existing?.facts ?? {},
          status: 'disconnected',
          enrolledAt: Date.now(),
          lastSeenAt: existing?.lastSeenAt ?? null,
          enrolledWith: join.name,
        };
        await ctx.store.upsertAgent(agent);
        ctx.gateway.enrolled(agent);
        await audit(ctx.store, join.name, 'agent.enroll', body.name, 'ok', { hostId: body.hostId, reenrolled: Boolean(existing) });
        return { agentId: agent.id, credential };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/agents',
      summary: 'Every known agent with its connection state, tags and host facts.',
      role: 'viewer',
      handler: async () =>
        ctx.gateway
          .inventory()
          .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
          .map((h) => ({ name: h.name, id: h.agentId, status: h.connected ? 'connected' : 'disconnected', lastSeenAt: h.lastSeenAt, tags: h.tags, attributes: h.attrs })),
    }),
    route({
      method: 'GET',
      url: '/api/v1/catalogue',
      summary: 'The language catalogue: resource types, metrics, functions, reductions, actions.',
      role: 'viewer',
      handler: async () => ctx.catalogue(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/check',
      summary: 'Check a statement: diagnostics, and the plan when it is valid.',
      role: 'viewer',
      body: z.object({ statement: Statement }),
      handler: async ({ body }) => {
        const r = analyze(body.statement, ctx.catalogue());
        return { ok: r.ok, diagnostics: r.diagnostics, plan: r.plan ?? null };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/query',
      summary: 'Run a statement across the fleet. Streams NDJSON lines: plan, row..., summary.',
      role: 'viewer',
      produces: 'application/x-ndjson',
      body: z.object({
        statement: Statement,
        dryRun: z.boolean().optional(),
        timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
      }),
      handler: async ({ body, principal, reply }) => runQuery(ctx, body, principal as Principal, reply),
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs',
      summary: 'Runs of commands and actions, newest first.',
      role: 'viewer',
      query: Page,
      handler: async ({ query }) => ctx.store.listRuns(pageOf(query)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id',
      summary: 'One run with its per-resource results.',
      role: 'viewer',
      params: z.object({ id: z.string().min(1) }),
      handler: async ({ params }) => {
        const run = await ctx.store.getRun(params.id);
        if (!run) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no run with id ${params.id}`);
        return run;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/audit',
      summary: 'The audit log, newest first; filter by principal or action.',
      role: 'operator',
      query: Page.extend({ principal: z.string().optional(), action: z.string().optional() }),
      handler: async ({ query }) => ctx.store.listAudit({ ...pageOf(query), ...(query.principal ? { principal: query.principal } : {}), ...(query.action ? { action: query.action } : {}) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'Tokens (names, roles, dates; never secrets).',
      role: 'admin',
      handler: async () => (await ctx.store.listTokens()).map(({ hash: _hash, ...rest }) => rest),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: 'Create a token; the secret is in this answer only.',
      role: 'admin',
      body: z.object({ role: z.enum(['agent', 'viewer', 'operator', 'admin']), name: Name, expiresInSeconds: z.number().int().positive().optional() }),
      handler: async ({ body, principal }) => {
        const who = principal as Principal;
        const expires = body.expiresInSeconds ? Date.now() + body.expiresInSeconds * 1000 : null;
        const { record, secret } = await createToken(ctx.store, body.role, body.name, who.name, expires);
        await audit(ctx.store, who.name, 'token.create', body.name, 'ok', { role: body.role });
        return { id: record.id, name: record.name, role: record.role, expiresAt: record.expiresAt, token: secret };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke a token.',
      role: 'admin',
      params: z.object({ id: z.string().min(1) }),
      handler: async ({ params, principal }) => {
        if (!(await ctx.store.revokeToken(params.id, Date.now()))) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no active token with id ${params.id}`);
        await audit(ctx.store, (principal as Principal).name, 'token.revoke', params.id, 'ok', {});
        return { revoked: params.id };
      },
    }),
  ];
}

function pageOf(q: { limit?: number | undefined; before?: number | undefined }) {
  return { ...(q.limit ? { limit: q.limit } : {}), ...(q.before ? { before: q.before } : {}) };
}

async function audit(store: Store, principal: string, action: string, target: string, outcome: 'ok' | 'denied' | 'failed', detail: Record<string, unknown>, runId: string | null = null): Promise<void> {
  await store.appendAudit({ id: randomUUID(), time: Date.now(), principal, action, target, runId, outcome, detail });
}

async function runQuery(ctx: ApiContext, body: { statement: string; dryRun?: boolean | undefined; timeoutMs?: number | undefined }, principal: Principal, reply: import('fastify').FastifyReply): Promise<void> {
  const analysis = analyze(body.statement, ctx.catalogue());
  if (!analysis.ok || !analysis.plan) {
    const first = analysis.diagnostics.find((d) => d.severity === 'error');
    throw new BreakwaterError('BW_ERR_INVALID_STATEMENT', `the statement has errors: ${first?.message ?? 'unknown'}`, { diagnostics: analysis.diagnostics });
  }
  const plan = analysis.plan;
  const records = effectful(plan) || body.dryRun === true;
  if (!hasRole(principal, plan.requires)) {
    if (records) await audit(ctx.store, principal.name, 'run', body.statement, 'denied', { needed: plan.requires, held: principal.role });
    const what = plan.effects.commands.length ? 'running shell commands' : plan.effects.actions.length ? `running actions (${plan.effects.actions.join(', ')})` : 'this statement';
    throw new BreakwaterError('BW_ERR_FORBIDDEN', `${what} needs the ${plan.requires} role; token \`${principal.name}\` has ${principal.role}`, { needed: plan.requires, held: principal.role });
  }

  const runId = records ? randomUUID() : undefined;
  const started = Date.now();
  if (runId) {
    await ctx.store.createRun({ id: runId, principal: principal.name, statement: body.statement, plan, status: 'running', startedAt: started, finishedAt: null, targets: 0, failures: 0 });
  }

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  const line = (o: unknown) => raw.write(`${JSON.stringify(o)}\n`);
  line({ type: 'plan', runId: runId ?? null, dryRun: body.dryRun === true, plan, warnings: analysis.diagnostics });

  let streamed = false;
  try {
    const result = await executePlan(plan, ctx.gateway, {
      principal: principal.name,
      timeoutMs: body.timeoutMs ?? ctx.queryTimeoutMs,
      ...(runId ? { runId } : {}),
      ...(body.dryRun ? { dryRun: true } : {}),
      onRows: (rows) => {
        streamed = true;
        for (const row of rows) line({ type: 'row', row });
      },
    });
    if (!streamed) for (const row of [...result.rows, ...result.failures]) line({ type: 'row', row });
    const failed = result.failures.length + result.rows.filter(commandFailed).length;
    const summary = { type: 'summary', runId: runId ?? null, rows: result.rows.length, failures: result.failures.length, failed, targets: result.targets, agentsAsked: result.agentsAsked, agentsAnswered: result.agentsAnswered, durationMs: Date.now() - started };
    if (runId) {
      await ctx.store.addRunResults([...result.rows, ...result.failures].map((r) => resultRecord(runId, r)));
      await ctx.store.finishRun(runId, { status: body.dryRun ? 'dry_run' : failed ? 'failed' : 'succeeded', finishedAt: Date.now(), targets: result.targets, failures: failed });
      await audit(ctx.store, principal.name, body.dryRun ? 'run.dry' : 'run', body.statement, failed ? 'failed' : 'ok', { targets: result.targets, failures: failed }, runId);
    }
    line(summary);
  } catch (err) {
    const e = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_INTERNAL', (err as Error).message, {}, { cause: err });
    if (runId) {
      await ctx.store.finishRun(runId, { status: 'failed', finishedAt: Date.now(), targets: 0, failures: 0 }).catch(() => undefined);
      await audit(ctx.store, principal.name, 'run', body.statement, 'failed', { error: e.message }, runId).catch(() => undefined);
    }
    line({ type: 'error', ...e.toJSON() });
  } finally {
    raw.end();
  }
}

/** A row whose command ran but exited non-zero counts as a failed target. */
function commandFailed(r: ResultRow): boolean {
  const code = r.values.exit_code;
  return typeof code === 'number' && code !== 0;
}

function resultRecord(runId: string, r: ResultRow) {
  const v = r.values;
  return {
    runId,
    resourceId: r.resource?.id ?? '',
    resourceType: r.resource?.type ?? 'row',
    host: r.resource?.host ?? '',
    status: r.status,
    exitCode: typeof v.exit_code === 'number' ? v.exit_code : null,
    stdout: typeof v.stdout === 'string' ? v.stdout : null,
    stderr: typeof v.stderr === 'string' ? v.stderr : null,
    error: r.error ?? null,
    values: v,
    durationMs: typeof v.duration === 'number' ? Math.round(v.duration * 1000) : null,
  };
}
