import { z } from 'zod';
import { analyze, parseDuration } from '../../lang/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import { runStatement } from '../query/run-statement.js';
import type { StatementContext } from '../query/run-statement.js';
import type { Remediation } from '../remediation/index.js';
import { agentRoutes } from './agents-routes.js';
import { alertsRoutes } from './alerts-routes.js';
import { approvalsRoutes } from './approvals-routes.js';
import { auditRoutes } from './audit-routes.js';
import { definitionsRoutes } from './definitions-routes.js';
import { eventsRoutes } from './events-routes.js';
import { healthRoutes } from './health-routes.js';
import type { LiveQueries } from './live-query.js';
import { LIVE_EVERY_SECONDS } from './live-query.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { runbooksRoutes } from './runbooks-routes.js';
import type { RunsContext } from './runs-routes.js';
import { runsRoutes } from './runs-routes.js';
import { Statement } from './schemas.js';
import { secretRoutes } from './secret-routes.js';
import { SSE_MAX_BUFFERED_BYTES } from './sse.js';
import type { TokenStreams } from './token-streams.js';
import { STREAMS_PER_TOKEN } from './token-streams.js';
import { tokenRoutes } from './tokens-routes.js';

/** Everything the API's routes read, together: each group takes only its part (see its `*-routes.ts`). */
export interface ApiContext extends StatementContext, RunsContext {
  readonly version: string;
  readonly remediation: Remediation;
  readonly live: LiveQueries;
  /** Every open event stream and live query, per token: a revoked token's end at once. */
  readonly streams: TokenStreams;
  /** Mutual TLS with the control plane's own CA: signs an enrolling agent's client certificate. */
  readonly issueClientCertificate?: ((name: string, publicKeyPem: string) => string) | undefined;
  /** The time of records the routes write (runbooks, tokens, agents, audit entries). */
  readonly clock: Clock;
}

/** An interval such as `2s` or `1m`, from LIVE_EVERY_SECONDS.min to .max. */
const LiveEvery = z
  .string()
  .default('2s')
  .superRefine((text, c) => {
    const seconds = parseDuration(text);
    const { min, max } = LIVE_EVERY_SECONDS;
    if (seconds === undefined) c.addIssue({ code: 'custom', message: `expected a duration such as 2s or 1m, found ${JSON.stringify(text)}` });
    else if (seconds < min || seconds > max) c.addIssue({ code: 'custom', message: `expected an interval from ${min}s to ${max}s, found ${text}` });
  });

/**
 * The API's route table: every resource group's routes, in the order the OpenAPI document lists them.
 *
 * @example
 * const { app } = buildApp({ routes: apiRoutes(ctx), store, logger, limits: HTTP_LIMITS, version: SERVER_VERSION });
 */
export function apiRoutes(ctx: ApiContext): Route[] {
  return [
    ...healthRoutes(ctx),
    ...agentRoutes(ctx),
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
        yes: z.boolean().optional(),
        timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
      }),
      handler: async ({ body, principal, reply }) => runQuery(ctx, body, principal as Principal, reply),
    }),
    route({
      method: 'GET',
      url: '/api/v1/query/live',
      summary:
        `Server-sent events: a read-only statement (\`q\`, no commands or actions) re-run on the control plane \`every\` ${LIVE_EVERY_SECONDS.min}s to ${LIVE_EVERY_SECONDS.max}s (default 2s); each answer is \`data: {"type":"result","time","rows","failures","agentsAsked","agentsAnswered","durationMs"}\` (or \`{"type":"error","code","message"}\`, tried again next time), a heartbeat comment every 15 s. At most ${STREAMS_PER_TOKEN.live} open per token; a client ${SSE_MAX_BUFFERED_BYTES} bytes behind is disconnected. The token may also be given as \`?token=\` here, because EventSource cannot send headers.`,
      role: 'viewer',
      produces: 'text/event-stream',
      tokenInQuery: true,
      query: z.object({ q: Statement, every: LiveEvery, token: z.string().optional() }),
      handler: async ({ query, principal, request, reply }) => ctx.live.start({ statement: query.q, everyMs: (parseDuration(query.every) as number) * 1000, principal: principal as Principal }, request, reply),
    }),
    ...runsRoutes(ctx),
    ...auditRoutes(ctx),
    ...definitionsRoutes(ctx),
    ...eventsRoutes(ctx),
    ...approvalsRoutes(ctx),
    ...alertsRoutes(ctx),
    ...tokenRoutes(ctx),
    ...runbooksRoutes(ctx),
    ...secretRoutes(ctx),
  ];
}

async function runQuery(ctx: ApiContext, body: { statement: string; dryRun?: boolean | undefined; yes?: boolean | undefined; timeoutMs?: number | undefined }, principal: Principal, reply: import('fastify').FastifyReply): Promise<void> {
  let raw: import('node:http').ServerResponse | undefined;
  // Lines written in one turn of the event loop (the rows of every agent that answered in it) leave
  // in one write: one chunk and one system call, not one per row (1,000 hosts, 1,000 writes).
  let pending: string[] = [];
  const flush = () => {
    if (pending.length > 0 && raw) raw.write(pending.join(''));
    pending = [];
  };
  const line = (o: unknown) => {
    if (!raw) return;
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${JSON.stringify(o)}\n`);
  };
  try {
    const outcome = await runStatement(ctx, {
      statement: body.statement,
      principal,
      ...(body.dryRun ? { dryRun: true } : {}),
      ...(body.yes ? { yes: true } : {}),
      ...(body.timeoutMs ? { timeoutMs: body.timeoutMs } : {}),
      onPlan: (plan, runId, warnings) => {
        // From here on the answer is a stream: errors become an `error` line.
        reply.hijack();
        raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        line({ type: 'plan', runId, dryRun: body.dryRun === true, plan, warnings });
      },
      onRows: (rows) => {
        for (const row of rows) line({ type: 'row', row });
      },
      onProgress: (progress) => line({ type: 'progress', ...progress }),
    });
    const r = outcome.result;
    if (!outcome.streamed) for (const row of [...r.rows, ...r.failures]) line({ type: 'row', row });
    line({ type: 'summary', runId: outcome.runId, rows: r.rows.length, failures: r.failures.length, failed: outcome.failed, targets: r.targets, agentsAsked: r.agentsAsked, agentsAnswered: r.agentsAnswered, durationMs: outcome.durationMs });
  } catch (err) {
    if (!raw) throw err;
    const e = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_INTERNAL', (err as Error).message, {}, { cause: err });
    line({ type: 'error', ...e.toJSON() });
  } finally {
    flush();
    raw?.end();
  }
}
