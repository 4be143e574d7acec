import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { NatsSubjects } from '../../protocol/index.js';
import type { AgentIntake } from '../agent-intake.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { AgentHooks } from '../fleet/index.js';
import { decodeEventMessage } from './event-message.js';
import { EVENTS_DURABLE } from './events-stream.js';

export interface EventConsumerParts {
  readonly js: JetStreamClient;
  readonly subjects: NatsSubjects;
  /** Stores an agent's screened events (the gateway hooks' `onEvents`: `EventIntake.storeEvents`, idempotent by id). */
  readonly storeEvents: AgentHooks['onEvents'];
  /** Refusals are logged at most once a minute per agent and kind, as the WebSocket intake does. */
  readonly intake: Pick<AgentIntake, 'warnOnce'>;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long an event the store could not take waits before it is delivered again (default 2 s). */
  readonly retryDelayMs?: number;
  /** Messages pulled ahead of the one being stored (default 100). */
  readonly prefetch?: number;
}

/** What one consumer did with the messages it was handed, since it started. */
export interface EventConsumerCounts {
  /** Stored, then acked (an ack sent on a connection that is gone is lost: the event comes again, and is stored again as a no-op). */
  stored: number;
  /** Not an event (subject, size, JSON, schema): terminated. */
  malformed: number;
  /** An event the agent may not report (another host's, a forged type or principal): terminated. */
  refused: number;
  /** The store failed: nak'd, delivered again after the delay. */
  retried: number;
}

/**
 * One replica's reader of the events stream, on the durable consumer every replica shares: each
 * event is screened, stored and only then acked, so a replica that dies in between leaves it to be
 * redelivered (to any replica) and stored again, which the store's id makes a no-op. Call
 * `ensureEventsStream` and `ensureEventsConsumer` first.
 *
 * @example
 * const consumer = new EventConsumer({ js: jetstream(nc), subjects, storeEvents: hooks.onEvents, intake, logger });
 * await consumer.start();
 * // … at shutdown
 * await consumer.stop();
 */
export class EventConsumer {
  readonly counts: EventConsumerCounts = { stored: 0, malformed: 0, refused: 0, retried: 0 };
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly clock: Clock;

  constructor(private readonly parts: EventConsumerParts) {
    this.clock = parts.clock ?? systemClock;
  }

  /** Starts pulling; resolves once the consumer is bound (rejects when the stream or durable is missing). */
  async start(): Promise<void> {
    if (this.loop) throw new Error('event consumer already started');
    const consumer = await this.parts.js.consumers.get(this.parts.subjects.eventsStream, EVENTS_DURABLE);
    const messages = await consumer.consume({ max_messages: this.parts.prefetch ?? 100 });
    this.messages = messages;
    this.loop = this.run(messages);
  }

  /**
   * Stops pulling after the event being stored (if any) is stored and acked; pulled ones not yet
   * handled go back at once, to other replicas (one still on its way here waits out the ack wait).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      // One at a time: an event is acked only after it is stored, and a store failure backs off instead of hammering the database.
      for await (const m of messages) await this.handle(m);
    } catch (err) {
      this.parts.logger.error({ err }, 'events stream consumer stopped');
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    if (this.stopping) {
      // Handed back now rather than after the ack wait.
      settle(() => m.nak());
      return;
    }
    const decoded = decodeEventMessage(this.parts.subjects, m.subject, m.data, this.clock.now());
    if (!decoded.ok) {
      this.counts[decoded.kind]++;
      this.parts.intake.warnOnce(decoded.agent ?? '(no agent)', `nats-${decoded.kind}`, { agent: decoded.agent, seq: m.seq, reason: decoded.reason }, `events stream message ${decoded.kind}; terminated`);
      // Terminated, not nak'd: it will not be better on the next delivery. No reason with it: a
      // NATS server before 2.10 ignores "+TERM <reason>" and would deliver the message again forever.
      settle(() => m.term());
      return;
    }
    try {
      await this.parts.storeEvents(decoded.agent, [decoded.event]);
    } catch (err) {
      this.counts.retried++;
      // Once a minute, not once per event and retry: a database outage with a full stream would be hundreds of lines a second.
      this.parts.intake.warnOnce('(store)', 'nats-store-failed', { err, agent: decoded.agent, event: decoded.event.id, retried: this.counts.retried }, 'could not store events from the events stream; they will be delivered again');
      settle(() => m.nak(this.parts.retryDelayMs ?? 2_000));
      return;
    }
    // An ack lost here (connection gone) means a redelivery, which stores nothing new.
    if (settle(() => m.ack())) this.counts.stored++;
  }
}

/** Runs an ack/nak/term; false when the connection is already closed (the server redelivers). */
function settle(reply: () => void): boolean {
  try {
    reply();
    return true;
  } catch {
    return false;
  }
}
