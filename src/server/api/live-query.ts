import type { FastifyReply, FastifyRequest } from 'fastify';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { sleep, systemClock } from '../fleet/index.js';
import type { StatementContext } from '../query/run-statement.js';
import { authorizeStatement, outcomeOf, runStatement } from '../query/run-statement.js';
import type { SseStream } from './sse.js';
import type { TokenStreams } from './token-streams.js';

/** The interval a live query may ask for, seconds: often enough for a dashboard, rare enough to bound the load. */
export const LIVE_EVERY_SECONDS = { min: 1, max: 60 } as const;
/**
 * Each evaluation's time budget is the interval, but at least this: one hung agent then shows as a
 * `timeout` row while the others keep updating, instead of holding every host's update for the
 * whole query timeout.
 */
const MIN_EVALUATION_MS = 5000;
const WHAT = 'a live query';

export interface LiveRequest {
  readonly statement: string;
  readonly everyMs: number;
  readonly principal: Principal;
}

/**
 * GET /api/v1/query/live: a read-only statement re-run at an interval on the control plane, each
 * answer pushed as a server-sent event, through the same path as POST /api/v1/query
 * (`runStatement`), until the client goes, its token is revoked, or the server closes.
 */
export class LiveQueries {
  constructor(
    private readonly ctx: StatementContext,
    private readonly streams: TokenStreams,
  ) {}

  /** Refusals (statement, effects, role, too many streams) throw before the stream starts, so they answer as JSON errors. */
  async start(req: LiveRequest, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await authorizeStatement(this.ctx, { statement: req.statement, principal: req.principal, readOnly: WHAT });
    const sse = this.streams.open(req.principal, 'live', request, reply);
    const stop = new AbortController();
    sse.onClose(() => stop.abort());
    void this.run(req, sse, stop.signal);
  }

  private async run(req: LiveRequest, sse: SseStream, signal: AbortSignal): Promise<void> {
    const timeoutMs = Math.min(this.ctx.queryTimeoutMs, Math.max(req.everyMs, MIN_EVALUATION_MS));
    const clock = this.ctx.clock ?? systemClock;
    while (!sse.closed) {
      const started = clock.now();
      let message: Record<string, unknown>;
      try {
        // Evaluated afresh each time: definitions may change what the statement means (or make it invalid).
        const { result: r, durationMs } = await outcomeOf(runStatement(this.ctx, { statement: req.statement, principal: req.principal, readOnly: WHAT, timeoutMs, signal }));
        message = { type: 'result', time: clock.now(), rows: r.rows, failures: r.failures, agentsAsked: r.agentsAsked, agentsAnswered: r.agentsAnswered, durationMs };
      } catch (err) {
        // Shown to the client; the next evaluation tries again (an agent or definition may be back by then).
        const e = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_INTERNAL', (err as Error).message, {}, { cause: err });
        message = { type: 'error', ...e.toJSON() };
      }
      if (sse.closed) return;
      sse.send(JSON.stringify(message));
      await sse.drained();
      await sleep(clock, started + req.everyMs - clock.now(), signal);
    }
  }
}
