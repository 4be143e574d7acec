import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { NatsSubjects } from '../../protocol/index.js';
import type { AgentIntake } from '../agent-intake.js';
import { AgentQuotas } from '../agent-quota.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { AgentHooks } from '../fleet/index.js';
import { decodeEventMessage } from './event-message.js';
import type { EventsConsumerOptions } from './events-stream.js';
import { ensureEventsConsumer, EVENTS_DURABLE } from './events-stream.js';
import type { KnownAgents } from './known-agents.js';

export interface EventConsumerParts {
  readonly js: JetStreamClient;
  readonly subjects: NatsSubjects;
  /** Stores an agent's screened events (the gateway hooks' `onEvents`: `EventIntake.storeEvents`, idempotent by id). */
  readonly storeEvents: AgentHooks['onEvents'];
  /** Refusals are logged at most once a minute per agent and kind, as the WebSocket intake does. */
  readonly intake: Pick<AgentIntake, 'warnOnce'>;
  /** Who is enrolled and not revoked: events of anyone else are terminated (share the replica's one with AgentRequests). */
  readonly known: Pick<KnownAgents, 'lookup'>;
  /** Per-agent quotas (default AGENT_QUOTA_DEFAULTS): events over an agent's 'events' quota wait in the stream. */
  readonly quotas?: AgentQuotas;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long an event the store could not take waits before it is delivered again (default 2 s). */
  readonly retryDelayMs?: number;
  /** How long an event over its agent's quota waits before it is delivered again (default 5 s). */
  readonly quotaDelayMs?: number;
  /** Messages pulled ahead of the one being stored (default 100). */
  readonly prefetch?: number;
  /** The durable's timing, for when the consumer re-creates it (it was deleted, or the stream was). */
  readonly consumer?: EventsConsumerOptions;
  /** The first and the longest pause between attempts to restart a failed consume loop (default 500 ms and 15 s). */
  readonly restartDelayMs?: { readonly first: number; readonly max: number };
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
  /** From an agent that is not enrolled, or whose credential was revoked: terminated. */
  unknown: number;
  /** Over its agent's events quota: nak'd, delivered again after the quota delay. */
  deferred: number;
  /** The consume loop failed (its consumer or stream deleted) and was started again. */
  restarts: number;
}

/**
 * One replica's reader of the events stream, on the durable consumer every replica shares: each
 * event is screened, stored and only then acked, so a replica that dies in between leaves it to be
 * redelivered (to any replica) and stored again, which the store's id makes a no-op. Call
 * `ensureEventsStream` and `ensureEventsConsumer` first.
 *
 * @example
 * const consumer = new EventConsumer({ js: jetstream(nc), subjects, storeEvents: hooks.onEvents, intake, known: new KnownAgents({ store }), logger });
 * await consumer.start();
 * // … at shutdown
 * await consumer.stop();
 */
export class EventConsumer {
  readonly counts: EventConsumerCounts = { stored: 0, malformed: 0, refused: 0, retried: 0, unknown: 0, deferred: 0, restarts: 0 };
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Ends the pause between restarts at once (stop). */
  private wake: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly quotas: AgentQuotas;

  constructor(private readonly parts: EventConsumerParts) {
    this.clock = parts.clock ?? systemClock;
    this.quotas = parts.quotas ?? new AgentQuotas();
  }

  /**
   * Starts pulling; resolves once the consumer is bound (rejects when the stream or durable is
   * missing). Once started, a consume loop that fails restarts by itself (see `restartDelayMs`).
   */
  async start(): Promise<void> {
    if (this.loop) throw new Error('event consumer already started');
    this.loop = this.run(await this.open());
  }

  /**
   * Stops pulling after the event being stored (if any) is stored and acked; pulled ones not yet
   * handled go back at once, to other replicas (one still on its way here waits out the ack wait).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.messages?.close();
    await this.loop;
  }

  private async open(): Promise<ConsumerMessages> {
    const consumer = await this.parts.js.consumers.get(this.parts.subjects.eventsStream, EVENTS_DURABLE);
    // Abort when the durable or the stream is gone rather than wait for someone to re-create them: run() does.
    const messages = await consumer.consume({ max_messages: this.parts.prefetch ?? 100, abort_on_missing_resource: true });
    this.messages = messages;
    return messages;
  }

  private async run(first: ConsumerMessages): Promise<void> {
    let messages: ConsumerMessages | undefined = first;
    let attempt = 0;
    while (!this.stopping) {
      if (messages) {
        let why = 'the consume loop ended';
        try {
          // One at a time: an event is acked only after it is stored, and a store failure backs off instead of hammering the database.
          for await (const m of messages) await this.handle(m);
        } catch (err) {
          why = err instanceof Error ? err.message : String(err);
        }
        if (this.stopping) return;
        this.parts.intake.warnOnce('(consumer)', 'nats-consumer-failed', { err: why }, 'events stream consumer failed; restarting it');
      }
      messages = await this.restart(attempt++);
      if (messages) attempt = 0;
    }
  }

  /** After a pause growing with each failed attempt, re-creates the durable (with the stream there) and consumes again. */
  private async restart(attempt: number): Promise<ConsumerMessages | undefined> {
    const { first, max } = this.parts.restartDelayMs ?? { first: 500, max: 15_000 };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(max, first * 2 ** Math.min(attempt, 20)));
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.stopping) return undefined;
    try {
      await ensureEventsConsumer(await this.parts.js.jetstreamManager(), this.parts.subjects, this.parts.consumer);
      const messages = await this.open();
      if (this.stopping) {
        // stop() closed the loop that failed, not this one.
        await messages.close();
        return undefined;
      }
      this.counts.restarts++;
      this.parts.logger.info({ restarts: this.counts.restarts }, 'events stream consumer restarted');
      return messages;
    } catch (err) {
      // The stream is not back yet (or NATS is away): the next attempt waits longer.
      this.parts.intake.warnOnce('(consumer)', 'nats-consumer-restart', { err: err instanceof Error ? err.message : String(err), attempt }, 'could not restart the events stream consumer yet; trying again');
      return undefined;
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
      const found = await this.parts.known.lookup(decoded.agent);
      if (!found.ok) {
        this.counts.unknown++;
        this.parts.intake.warnOnce(decoded.agent.slice(0, 256), 'nats-unknown', { agent: decoded.agent.slice(0, 256), seq: m.seq, reason: found.reason }, 'events from an agent that is not enrolled, or revoked; terminated');
        settle(() => m.term());
        return;
      }
      if (this.quotas.take(decoded.agent, 'events', 1).granted === 0) {
        this.counts.deferred++;
        this.parts.intake.warnOnce(decoded.agent, 'nats-quota', { agent: decoded.agent, perMinute: this.quotas.limit('events') }, 'agent over its events quota; its events wait in the stream');
        // Back in the stream, as the WebSocket path asks the agent to resend later: nothing is lost.
        settle(() => m.nak(this.parts.quotaDelayMs ?? 5_000));
        return;
      }
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
