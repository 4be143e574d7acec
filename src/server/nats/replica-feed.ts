import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { FleetEvent, NatsSubjects } from '../../protocol/index.js';
import type { EventBus } from '../event-bus.js';
import { WarnLimiter } from '../warn-limiter.js';
import { decodeReplicaEvents, MAX_REPLICA_MESSAGE_BYTES, packReplicaEvents } from './replica-message.js';

export interface ReplicaFeedParts {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  /** This replica's bus: what it publishes goes out, what the others stored is delivered into it. */
  readonly bus: EventBus;
  readonly logger: Logger;
  /** This replica's id in its messages (default: a random UUID), so its own echo is dropped. */
  readonly replica?: string;
}

/** What one feed did since it started. */
export interface ReplicaFeedCounts {
  /** Events sent to the other replicas. */
  sent: number;
  /** Events of other replicas delivered into the bus. */
  delivered: number;
  /** This replica's own messages, heard back and dropped. */
  echoes: number;
  /** Messages that were not a replica's events (size, JSON, schema): dropped. */
  malformed: number;
  /** Events larger than a NATS message: stored, but not sent (their stream clients on other replicas miss them). */
  tooLarge: number;
}

/**
 * Live events across replicas: each replica's SSE clients see the events every replica stored.
 * What this replica's bus publishes (events it stored, once each) goes out on
 * `subjects.replicaEvents` under its id; what other replicas send is delivered into its bus, which
 * never relays delivered events again (no loops); its own echo is dropped by id.
 *
 * Bounded: the subscription has a callback, so a message is handled (decoded, handed to the
 * subscribers, each of which bounds its own queue) as it arrives and nothing queues here; a
 * subscriber that cannot keep up is the NATS server's slow consumer, not this process's memory.
 * Sending adds no queue of its own either: a batch is the events just stored, packed into messages
 * under the server's max_payload.
 *
 * @example
 * const feed = new ReplicaFeed({ nc, subjects, bus: intake.bus, logger });
 * feed.start();
 * // … at shutdown
 * await feed.stop();
 */
export class ReplicaFeed {
  readonly replica: string;
  readonly counts: ReplicaFeedCounts = { sent: 0, delivered: 0, echoes: 0, malformed: 0, tooLarge: 0 };
  private subscription: Subscription | undefined;
  private unrelay: (() => void) | undefined;
  private readonly warn: WarnLimiter;

  constructor(private readonly parts: ReplicaFeedParts) {
    this.replica = parts.replica ?? randomUUID();
    this.warn = new WarnLimiter(parts.logger);
  }

  /** Subscribes to the other replicas' events and starts relaying this one's. */
  start(): void {
    if (this.subscription) throw new Error('replica feed already started');
    const { nc, subjects, bus } = this.parts;
    this.subscription = nc.subscribe(subjects.replicaEvents, { callback: (err, msg) => (err ? this.failed(err) : this.receive(msg.data)) });
    this.unrelay = bus.relay((events) => this.send(events));
  }

  /** Stops relaying and unsubscribes; waits until NATS has the unsubscribe (events already handed on stay handed on). */
  async stop(): Promise<void> {
    this.unrelay?.();
    this.unrelay = undefined;
    const sub = this.subscription;
    this.subscription = undefined;
    if (!sub || sub.isClosed() || this.parts.nc.isClosed()) return;
    sub.unsubscribe();
    await this.parts.nc.flush().catch(() => undefined);
  }

  private send(events: readonly FleetEvent[]): void {
    const { nc, subjects } = this.parts;
    if (nc.isClosed()) return;
    const maxBytes = Math.min(nc.info?.max_payload ?? MAX_REPLICA_MESSAGE_BYTES, MAX_REPLICA_MESSAGE_BYTES);
    const { messages, tooLarge } = packReplicaEvents(this.replica, events, maxBytes);
    for (const m of messages) nc.publish(subjects.replicaEvents, m);
    this.counts.sent += events.length - tooLarge.length;
    this.counts.tooLarge += tooLarge.length;
    if (tooLarge.length) this.warn.once('too large', { ids: tooLarge.slice(0, 10).map((e) => e.id), maxBytes }, 'replica feed: events larger than a NATS message are stored but not shown live on the other replicas');
  }

  private receive(data: Uint8Array): void {
    const decoded = decodeReplicaEvents(data);
    if (!decoded.ok) {
      this.counts.malformed++;
      this.warn.once('malformed', { subject: this.parts.subjects.replicaEvents, reason: decoded.reason }, 'replica feed: dropped a message that is not a replica\'s events');
      return;
    }
    if (decoded.message.replica === this.replica) {
      this.counts.echoes++;
      return;
    }
    this.counts.delivered += decoded.message.events.length;
    this.parts.bus.deliver(decoded.message.events);
  }

  private failed(err: Error): void {
    this.warn.once('subscription', { err: err.message }, 'replica feed: the subscription to the other replicas\' events failed');
  }
}
