import type { Phase } from '../../lang/index.js';
import type { ResultRow } from '../../protocol/index.js';
import type { QueryFleet, TimerClock } from '../fleet/index.js';

/** Who asks and how the agents are reached: the same for every phase of one execution. */
export interface FanOutContext {
  readonly fleet: QueryFleet;
  readonly clock: TimerClock;
  readonly principal: string;
  readonly runId?: string | undefined;
}

/** One agent phase over some rows. */
export interface FanOutRequest {
  readonly phase: Extract<Phase, { where: 'agent' }>;
  /** The rows the phase starts from: each host among them is asked about its own rows. */
  readonly rows: readonly ResultRow[];
  /**
   * The rows are whole hosts straight from the inventory: every agent gets the same message
   * (no target list), so it is encoded once.
   */
  readonly wholeHosts: boolean;
  /** When agents that have not answered become `timeout` rows (clock time). */
  readonly deadline: number;
  /** Rows as they arrive, failure rows included (for streaming). */
  readonly onRows?: ((rows: readonly ResultRow[]) => void) | undefined;
}

export interface FanOutResult {
  /** Every row, in the order it arrived: answers, and `offline`, `timeout` or `error` rows for the hosts that gave none. */
  readonly rows: ResultRow[];
  readonly asked: number;
  readonly answered: number;
}

/**
 * Sends one agent phase to the hosts still in the rows, under one query id, and collects their
 * answers. A host never goes missing: an agent that is offline, disconnects, fails or does not
 * answer by the deadline gives its rows back with that status (a late agent is also cancelled).
 *
 * @example
 * const { rows } = await fanOut(ctx, { phase, rows: hosts, wholeHosts: true, deadline: clock.now() + 30_000 });
 */
export async function fanOut(ctx: FanOutContext, req: FanOutRequest): Promise<FanOutResult> {
  const { fleet, clock } = ctx;
  const byHost = new Map<string, ResultRow[]>();
  for (const r of req.rows) {
    const host = r.resource?.host;
    if (host !== undefined) (byHost.get(host) ?? byHost.set(host, []).get(host))?.push(r);
  }
  const out: ResultRow[] = [];
  const emit = (rows: readonly ResultRow[]) => {
    out.push(...rows);
    req.onRows?.(rows);
  };
  let answered = 0;
  const asks: Promise<void>[] = [];
  const timeoutMs = Math.max(1, req.deadline - clock.now());
  const id = crypto.randomUUID();
  const queryMessage = (targets: readonly string[] | undefined) => ({
    type: 'query',
    id,
    principal: ctx.principal,
    phase: req.phase,
    // The agent stops a little before the control plane gives up, so its partial answer still arrives.
    timeoutMs: Math.max(1, timeoutMs - 250),
    ...(ctx.runId ? { runId: ctx.runId } : {}),
    ...(targets ? { targets } : {}),
  });
  let sharedFrame: string | undefined;
  for (const [host, hostRows] of byHost) {
    const failAll = (status: ResultRow['status'], error: string) => emit(hostRows.map((r) => ({ resource: r.resource, status, error, values: r.values })));
    if (!fleet.connected(host)) {
      const seen = fleet.host(host)?.lastSeenAt;
      failAll('offline', `agent offline${seen ? ` (last seen ${new Date(seen).toISOString()})` : ' (never connected)'}`);
      continue;
    }
    // One query id for the whole fan-out (waiters are per agent), so agents asked the same
    // thing share one encoded frame: at a thousand agents, encoding is a real cost.
    const frame = req.wholeHosts ? (sharedFrame ??= JSON.stringify(queryMessage(undefined))) : JSON.stringify(queryMessage(hostRows.map((r) => r.resource?.id ?? '')));
    asks.push(
      new Promise<void>((resolve) => {
        let settled = false;
        const settle = () => {
          settled = true;
          cancelTimer();
          resolve();
        };
        const cancelTimer = clock.setTimeout(() => {
          if (settled) return;
          fleet.cancel(host, id);
          failAll('timeout', `agent did not answer within ${Math.round(timeoutMs / 100) / 10}s`);
          settle();
        }, timeoutMs);
        const sent = fleet.send(host, id, frame, {
          onRows: (rows) => {
            if (!settled) emit(rows);
          },
          onDone: (error) => {
            if (settled) return;
            if (error) failAll('error', error);
            else answered++;
            settle();
          },
          onLost: (reason) => {
            if (settled) return;
            failAll('offline', reason);
            settle();
          },
        });
        if (!sent) {
          failAll('offline', 'agent disconnected before the query was sent');
          settle();
        }
      }),
    );
  }
  await Promise.all(asks);
  return { rows: out, asked: asks.length, answered };
}
