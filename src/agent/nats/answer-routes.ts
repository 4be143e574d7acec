import type { NatsConnection } from '@nats-io/transport-node';
import type { BacktestResultMessage, DoneMessage, RowsMessage } from '../../protocol/index.js';
import type { AgentLogger } from '../log.js';
import { rowFrames } from './row-batches.js';

/** Queries one agent answers at once over NATS; more are refused with a `done` error (as the query responder did). */
export const MAX_QUERIES_IN_FLIGHT = 32;
/** Back-tests at once: each replays an alarm over up to a day of history. */
export const MAX_BACKTESTS_IN_FLIGHT = 4;

interface QueryRoute {
  readonly reply: string;
  /** `rows` messages NATS refused (over max_payload, connection closed): the `done` must say so. */
  lost: number;
  sent: number;
}

/**
 * Where the daemon's answers go over NATS. A query (or back-test) arrives with a reply subject;
 * the daemon answers by id, not by subject, so the route from id to reply subject is kept here
 * until the last answer (`done`, `backtest_result`) and bounded: a query beyond `maxQueries` is
 * refused at once, with no route kept.
 *
 * @example
 * const routes = new AnswerRoutes(nc, logger);
 * if (routes.openQuery(msg.id, msg.reply) === undefined) deliver(frame); // else the refusal went back
 * routes.rows({ type: 'rows', query: msg.id, rows }); // published to msg.reply, split to fit max_payload
 */
export class AnswerRoutes {
  private readonly queries = new Map<string, QueryRoute>();
  private readonly backtests = new Map<string, string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: AgentLogger,
    private readonly maxQueries = MAX_QUERIES_IN_FLIGHT,
    private readonly maxBacktests = MAX_BACKTESTS_IN_FLIGHT,
  ) {}

  get queriesInFlight(): number {
    return this.queries.size;
  }

  /** Routes `id`'s answers to `reply`; undefined when taken, else why not (a `done` error already went to `reply`). */
  openQuery(id: string, reply: string): string | undefined {
    // Answers are found by id: a second query under a running one's id would take over the first's route.
    const refusal = this.queries.has(id) ? 'agent is already running a query with this id' : this.queries.size >= this.maxQueries ? `agent is busy: ${this.maxQueries} queries already running` : undefined;
    if (refusal) this.publish(reply, JSON.stringify({ type: 'done', query: id, error: refusal } satisfies DoneMessage));
    else this.queries.set(id, { reply, lost: 0, sent: 0 });
    return refusal;
  }

  /** Routes a back-test's result to `reply`; undefined when taken, else why not (an error result already went back). */
  openBacktest(id: string, reply: string): string | undefined {
    const refusal = this.backtests.has(id) ? 'agent is already running a back-test with this id' : this.backtests.size >= this.maxBacktests ? `agent is busy: ${this.maxBacktests} back-tests already running` : undefined;
    if (refusal) this.publish(reply, JSON.stringify({ type: 'backtest_result', id, transitions: [], error: refusal } satisfies BacktestResultMessage));
    else this.backtests.set(id, reply);
    return refusal;
  }

  /** Publishes rows to their query's reply subject; false when the query has no route (unknown, or already done). */
  rows(msg: RowsMessage): boolean {
    const route = this.queries.get(msg.query);
    if (!route) return this.unrouted('rows', msg.query);
    for (const frame of rowFrames(msg.query, msg.rows, this.nc.info?.max_payload ?? 1024 * 1024)) {
      route.sent++;
      if (!this.publish(route.reply, frame)) route.lost++;
    }
    return true;
  }

  /** Publishes the query's `done` and forgets its route. Rows that did not go out turn it into an error. */
  done(msg: DoneMessage): boolean {
    const route = this.queries.get(msg.query);
    if (!route) return this.unrouted('done', msg.query);
    this.queries.delete(msg.query);
    // Rows that did not go out must not look like a complete answer: the host's part fails, saying so.
    const error = route.lost ? `agent could not send ${route.lost} of ${route.sent} rows messages over NATS${msg.error ? `; ${msg.error}` : ''}` : msg.error;
    return this.publish(route.reply, JSON.stringify({ type: 'done', query: msg.query, ...(error === undefined ? {} : { error: error.slice(0, 4096) }) } satisfies DoneMessage));
  }

  backtestResult(msg: BacktestResultMessage): boolean {
    const reply = this.backtests.get(msg.id);
    if (reply === undefined) return this.unrouted('backtest_result', msg.id);
    this.backtests.delete(msg.id);
    return this.publish(reply, JSON.stringify(msg));
  }

  /** The connection closed: answers of running queries have nowhere to go. */
  clear(): void {
    this.queries.clear();
    this.backtests.clear();
  }

  private unrouted(type: string, id: string): false {
    this.logger.warn({ type, id }, 'answer for a query or back-test this agent was not asked over NATS (or already finished) dropped');
    return false;
  }

  /** False when NATS refused the message (connection closed, over max_payload). */
  private publish(to: string, frame: string): boolean {
    try {
      this.nc.publish(to, frame);
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, to }, 'could not publish an answer to NATS');
      return false;
    }
  }
}
