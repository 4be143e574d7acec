import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Plan } from '../../lang/index.js';
import { analyze, parseDuration } from '../../lang/index.js';
import type { QueryLine } from '../../protocol/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { StatementContext } from '../query/run-statement.js';
import { fleetValues } from '../query/host-rows.js';
import { runStatement } from '../query/run-statement.js';
import type { LiveQueries } from './live-query.js';
import { LIVE_EVERY_SECONDS } from './live-query.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Statement } from './schemas.js';
import { SSE_MAX_BUFFERED_BYTES } from './sse.js';
import { STREAMS_PER_TOKEN } from './token-streams.js';

/** What the query routes need: running statements, and the live queries. */
export interface QueryRoutesContext extends StatementContext {
  readonly live: LiveQueries;
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

/** The runbook cell a statement is run from (the Runbooks page): its runbook's id and the cell's index from 0. */
const RunbookOrigin = z.strictObject({
  id: z.string().min(1, 'the runbook id is empty').max(128, 'the runbook id is longer than 128 characters'),
  cell: z.number().int().min(0),
});

const QueryBody = z.object({
  statement: Statement,
  dryRun: z.boolean().optional(),
  yes: z.boolean().optional(),
  timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  runbook: RunbookOrigin.optional(),
});

/**
 * The routes that check and run statements: check, run once (NDJSON), and live (server-sent events).
 *
 * @example
 * const routes = [...queryRoutes({ ...statements(), live })];
 */
export function queryRoutes(ctx: QueryRoutesContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/check',
      summary: 'Check a statement: diagnostics, and the plan when it is valid. Filters on tag or host attribute values no host has while a near one exists are warned about (BW_NO_MATCH, BW_MATCHES_ALL).',
      role: 'viewer',
      body: z.object({ statement: Statement }),
      handler: async ({ body }) => {
        const r = analyze(body.statement, ctx.catalogue(), () => fleetValues(ctx.gateway));
        return { ok: r.ok, diagnostics: r.diagnostics, plan: r.plan ?? null };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/query',
      summary:
        'Run a statement across the fleet. Streams NDJSON lines: plan, targets (how many hosts the rows come from), row... and rollout progress as hosts answer, then summary (or error): with a rollout, the `rollout` of the summary says what ran, failed and never started; with `dryRun: true` nothing runs and its `explanation` gives the targets, the batches in order, the breakers of bots running the same actions, the approval and the blast-radius verdict. `runbook: {id, cell}` names the stored runbook\'s pipeline cell it is run from: the run is then recorded as `<name> (runbook:<runbook> cell <n>)` (kind `runbook`).',
      role: 'viewer',
      produces: 'application/x-ndjson',
      body: QueryBody,
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
  ];
}

/**
 * Writes NDJSON lines, those of one turn of the event loop (the rows of every agent that answered
 * in it) in one write: one chunk and one system call, not one per row (1,000 hosts, 1,000 writes).
 */
function batchedLines(raw: ServerResponse) {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length > 0) raw.write(pending.join(''));
    pending = [];
  };
  const line = (o: QueryLine<Plan>) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${JSON.stringify(o)}\n`);
  };
  return { line, flush };
}

/**
 * The stored runbook and pipeline cell a query says it comes from, as the run records them (the
 * runbook's name, the cell counted from 1); a runbook or cell that is not there is a bad request.
 * The name comes from the store, so a caller names its own run's origin but nothing else of it.
 */
async function runbookCell(ctx: StatementContext, origin: z.infer<typeof RunbookOrigin>): Promise<{ name: string; cell: number }> {
  const rb = await ctx.store.getRunbook(origin.id);
  if (!rb) throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid request body: runbook.id: there is no runbook with id ${JSON.stringify(origin.id.slice(0, 128))}`, { where: 'request body', field: 'runbook.id' });
  if (rb.cells[origin.cell]?.kind !== 'pipeline') throw new BreakwaterError('BW_ERR_INVALID_REQUEST', `invalid request body: runbook.cell: cell ${origin.cell} is not a pipeline cell of runbook \`${rb.name}\``, { where: 'request body', field: 'runbook.cell' });
  return { name: rb.name, cell: origin.cell + 1 };
}

/** POST /api/v1/query: the statement's lines as NDJSON; refusals before the plan answer as JSON errors. */
async function runQuery(ctx: StatementContext, body: z.infer<typeof QueryBody>, principal: Principal, reply: FastifyReply): Promise<void> {
  let out: ReturnType<typeof batchedLines> | undefined;
  const runbook = body.runbook && (await runbookCell(ctx, body.runbook));
  try {
    const lines = runStatement(ctx, {
      statement: body.statement,
      principal,
      ...(runbook ? { runbook } : {}),
      ...(body.dryRun ? { dryRun: true } : {}),
      ...(body.yes ? { yes: true } : {}),
      ...(body.timeoutMs ? { timeoutMs: body.timeoutMs } : {}),
    });
    for await (const l of lines) {
      if (l.type === 'plan') {
        // From here on the answer is a stream: errors become an `error` line.
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        out = batchedLines(reply.raw);
        out.line({ type: 'plan', runId: l.runId, dryRun: body.dryRun === true, plan: l.plan, warnings: l.warnings });
      } else if (l.type === 'targets') {
        out?.line(l);
      } else if (l.type === 'rows') {
        for (const row of l.rows) out?.line({ type: 'row', row });
      } else if (l.type === 'progress') {
        out?.line({ type: 'progress', ...l.progress });
      } else {
        const { result: r, runId, failed, durationMs, explanation } = l.outcome;
        out?.line({ type: 'summary', runId, rows: r.rows.length, failures: r.failures.length, failed, targets: r.targets, agentsAsked: r.agentsAsked, agentsAnswered: r.agentsAnswered, durationMs, ...(r.rollout ? { rollout: r.rollout } : {}), ...(explanation ? { explanation } : {}) });
      }
    }
  } catch (err) {
    if (!out) throw err;
    const e = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_INTERNAL', (err as Error).message, {}, { cause: err });
    out.line({ type: 'error', ...e.toJSON() });
  } finally {
    out?.flush();
    if (out) reply.raw.end();
  }
}
