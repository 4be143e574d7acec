import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { AgentPhase } from '../../lang/index.js';
import { AgentPhaseSchema } from '../../lang/index.js';
import type { DoneMessage, NatsSubjects, ResultRow } from '../../protocol/index.js';
import { QueryMessage, ServerMessage, check, decode } from '../../protocol/index.js';
import type { AgentLogger } from '../log.js';
import { QueryDeadline } from '../query/executor.js';
import { rowFrames } from './row-batches.js';

/**
 * Runs one agent phase of a plan on this host: the daemon's `executePhase` with its deps bound,
 * `(phase, targets, signal) => executePhase(phase, targets, deps, signal)`.
 */
export type PhaseRunner = (phase: AgentPhase, targets: readonly string[] | undefined, signal: AbortSignal) => Promise<readonly ResultRow[]>;

export interface QueryResponderOptions {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /** This agent's name: it answers on its own query subject only. */
  readonly name: string;
  readonly runPhase: PhaseRunner;
  readonly logger: AgentLogger;
  /** Queries run at once; more are refused with a `done` error (default 32). */
  readonly maxRunning?: number;
}

/** Messages the responder could not act on, by why. */
export interface IgnoredQueries {
  /** A query with no reply subject: there is nowhere to answer. */
  noReply: number;
  /** Not a valid query message (answered with a `done` error when it had a reply subject). */
  malformed: number;
  /** Not a valid control message. */
  badControl: number;
}

export interface QueryResponder {
  readonly ignored: Readonly<IgnoredQueries>;
  /** Queries running now. */
  readonly running: number;
  /** Stops taking queries, cancels the running ones and waits for their last answers. */
  stop(): Promise<void>;
}

/**
 * The agent's side of NATS queries (issue 11, "Queries"): subscribes to its own query subject,
 * checks each query message and its plan phase, runs it through `runPhase` within the query's
 * time budget, and answers on the request's reply subject with `rows` (split so each message
 * fits NATS's max_payload, src/agent/nats/row-batches.ts) and then one `done`: the same
 * messages as over WebSocket. A `cancel` on its control subject aborts the query; the rows it
 * has so far still go back. Control messages for other parts of the agent are left to them.
 *
 * @example
 * const responder = startQueryResponder({ nc, subjects: natsSubjects('bw'), name: 'web-1', logger,
 *   runPhase: (phase, targets, signal) => executePhase(phase, targets, deps, signal) });
 * await responder.stop();
 */
export function startQueryResponder(options: QueryResponderOptions): QueryResponder {
  const { nc, subjects, name, logger } = options;
  const maxRunning = options.maxRunning ?? 32;
  const ignored: IgnoredQueries = { noReply: 0, malformed: 0, badControl: 0 };
  const queries = new Map<string, AbortController>();
  const work = new Set<Promise<void>>();
  let stopping = false;

  /** False when NATS refused the message (connection closed, over max_payload). */
  const reply = (to: string, frame: string): boolean => {
    try {
      nc.publish(to, frame);
      return true;
    } catch (err) {
      logger.warn({ err, to }, 'could not publish a query answer to NATS');
      return false;
    }
  };
  const done = (to: string, query: string, error?: string): void => void reply(to, JSON.stringify({ type: 'done', query, ...(error === undefined ? {} : { error }) } satisfies DoneMessage));

  const answer = async (to: string, msg: QueryMessage): Promise<void> => {
    const phase = check(AgentPhaseSchema, msg.phase);
    if (!phase.ok) return done(to, msg.id, `agent cannot run this plan phase: ${phase.error}`);
    const controller = new AbortController();
    queries.set(msg.id, controller);
    const deadline = setTimeout(() => controller.abort(new QueryDeadline(msg.timeoutMs)), msg.timeoutMs);
    try {
      const rows = await options.runPhase(phase.message, msg.targets, controller.signal);
      const frames = rowFrames(msg.id, rows, nc.info?.max_payload ?? 1024 * 1024);
      const lost = frames.filter((frame) => !reply(to, frame)).length;
      // Rows that did not go out must not look like a complete answer: the host's part fails, saying so.
      done(to, msg.id, lost ? `agent could not send ${lost} of ${frames.length} rows messages over NATS` : undefined);
    } catch (err) {
      logger.error({ err, query: msg.id }, 'query failed');
      done(to, msg.id, `agent failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(deadline);
      queries.delete(msg.id);
    }
  };

  const onQuery = (msg: Msg) => {
    if (!msg.reply) {
      ignored.noReply++;
      logger.warn({ subject: msg.subject }, 'query without a reply subject ignored');
      return;
    }
    const decoded = decode(QueryMessage, msg.string());
    if (!decoded.ok) {
      ignored.malformed++;
      return done(msg.reply, queryIdOf(msg.data), `agent could not read the query: ${decoded.error}`);
    }
    if (stopping) return done(msg.reply, decoded.message.id, 'agent is shutting down');
    // Its cancel and its deadline are found by id: a second query under a running one's id would orphan the first.
    if (queries.has(decoded.message.id)) return done(msg.reply, decoded.message.id, 'agent is already running a query with this id');
    if (queries.size >= maxRunning) return done(msg.reply, decoded.message.id, `agent is busy: ${maxRunning} queries already running`);
    const p = answer(msg.reply, decoded.message);
    work.add(p);
    void p.finally(() => work.delete(p));
  };

  const onControl = (msg: Msg) => {
    const decoded = decode(ServerMessage, msg.string());
    if (!decoded.ok) {
      ignored.badControl++;
      logger.warn({ subject: msg.subject, error: decoded.error }, 'unreadable control message ignored');
      return;
    }
    if (decoded.message.type === 'cancel') queries.get(decoded.message.query)?.abort();
  };

  const subscriptions: Subscription[] = [
    nc.subscribe(subjects.agentQuery(name), { callback: (err, msg) => (err ? logger.error({ err }, 'query subscription failed') : onQuery(msg)) }),
    nc.subscribe(subjects.agentControl(name), { callback: (err, msg) => (err ? logger.error({ err }, 'control subscription failed') : onControl(msg)) }),
  ];

  return {
    ignored,
    get running() {
      return queries.size;
    },
    async stop() {
      stopping = true;
      for (const s of subscriptions) s.unsubscribe();
      for (const c of queries.values()) c.abort();
      await Promise.all(work);
    },
  };
}

/** The id a malformed query names, if it names one, so its `done` reaches the right waiter. */
function queryIdOf(data: Uint8Array): string {
  try {
    const raw = JSON.parse(new TextDecoder().decode(data)) as unknown;
    const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : 'unknown';
  } catch {
    return 'unknown';
  }
}
