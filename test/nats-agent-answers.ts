import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentLogger, NatsAgentConnection } from '../src/agent/index.js';
import { openNatsAgentConnection } from '../src/agent/index.js';
import { QueryDeadline } from '../src/agent/query/executor.js';
import type { AgentPhase } from '../src/lang/index.js';
import { AgentPhaseSchema } from '../src/lang/index.js';
import type { NatsSubjects, ResultRow } from '../src/protocol/index.js';
import { ServerMessage, check, decode } from '../src/protocol/index.js';

/** Runs one agent phase: what the daemon binds executePhase to, or a test's scripted stand-in. */
export type PhaseRunner = (phase: AgentPhase, targets: readonly string[] | undefined, signal: AbortSignal) => Promise<readonly ResultRow[]>;

export const quietLogger: AgentLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface QueryAnswerer {
  readonly conn: NatsAgentConnection;
  /** Queries running now. */
  readonly running: number;
  /** Cancels the running queries, waits for their answers, then closes the connection. */
  stop(): Promise<void>;
}

/**
 * An agent's NATS connection (the real one, src/agent/nats/nats-connection.ts) answering queries
 * with a scripted phase runner: the daemon's query handling in miniature (phase check, deadline,
 * cancel, rows then done), for tests that need agents which are silent, slow, noisy or huge.
 *
 * @example
 * const agent = answerQueries({ nc, subjects, name: 'web-1' }, async () => [row]);
 * await agent.stop();
 */
export function answerQueries(options: { nc: NatsConnection; subjects: NatsSubjects; name: string; maxQueries?: number }, runPhase: () => PhaseRunner): QueryAnswerer {
  const conn = openNatsAgentConnection({ ...options, logger: quietLogger });
  const queries = new Map<string, AbortController>();
  const work = new Set<Promise<void>>();
  conn.onMessage((frame) => {
    const decoded = decode(ServerMessage, frame);
    if (!decoded.ok) throw new Error(`the connection delivered a frame that is not a server message: ${decoded.error}`);
    const msg = decoded.message;
    if (msg.type === 'cancel') queries.get(msg.query)?.abort();
    if (msg.type !== 'query') return;
    const phase = check(AgentPhaseSchema, msg.phase);
    if (!phase.ok) return void conn.send({ type: 'done', query: msg.id, error: `agent cannot run this plan phase: ${phase.error}` });
    const controller = new AbortController();
    queries.set(msg.id, controller);
    const deadline = setTimeout(() => controller.abort(new QueryDeadline(msg.timeoutMs)), msg.timeoutMs);
    const p = runPhase()(phase.message, msg.targets, controller.signal)
      .then(
        (rows) => {
          if (rows.length) conn.send({ type: 'rows', query: msg.id, rows: [...rows] });
          conn.send({ type: 'done', query: msg.id });
        },
        (err: unknown) => void conn.send({ type: 'done', query: msg.id, error: `agent failed: ${(err as Error).message}` }),
      )
      .finally(() => {
        clearTimeout(deadline);
        queries.delete(msg.id);
        work.delete(p);
      });
    work.add(p);
  });
  return {
    conn,
    get running() {
      return queries.size;
    },
    async stop() {
      for (const c of queries.values()) c.abort();
      await Promise.all(work);
      conn.close();
    },
  };
}
