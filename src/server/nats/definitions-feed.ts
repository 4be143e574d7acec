import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NatsSubjects } from '../../protocol/index.js';
import { WarnLimiter } from '../warn-limiter.js';
import { decodeReplicaDefinitions } from './replica-message.js';

export interface DefinitionsFeedParts {
  readonly nc: NatsConnection;
  readonly subjects: NatsSubjects;
  readonly logger: Logger;
  /** This replica's id in its messages (default: a random UUID), so its own echo is dropped. */
  readonly replica?: string;
  /**
   * How often to reload anyway (default 30 s): an announcement that never came (its replica
   * killed between storing a version and announcing it, NATS down at that moment) is caught up
   * within this time instead of at the next apply.
   */
  readonly catchUpMs?: number;
}

/** What one feed did since it started. */
export interface DefinitionsFeedCounts {
  announced: number;
  /** Other replicas' announcements heard. */
  heard: number;
  /** Reloads started (announcements arriving during one are folded into the next). */
  reloads: number;
  echoes: number;
  malformed: number;
  /** Reloads that failed (the store unreachable): the next announcement tries again. */
  failed: number;
  /** Reloads started by the catch-up timer, not by an announcement. */
  catchUps: number;
}

/**
 * Definitions across replicas: the replica that applied a version announces it on
 * `subjects.replicaDefinitions` (and pushes it to the agents itself); every other replica reloads
 * the current version from the store. The store, not the message, says what is current, so a
 * lost, late or forged announcement costs at most a reload. Reloads run one at a time, and any
 * number of announcements arriving during one make one more: a flood queues nothing.
 *
 * @example
 * const feed = new DefinitionsFeed({ nc, subjects, logger });
 * const changes = new DefinitionChanges({ ...parts, announce: (version) => feed.announce(version) });
 * feed.start(() => changes.reload());
 */
export class DefinitionsFeed {
  readonly replica: string;
  readonly counts: DefinitionsFeedCounts = { announced: 0, heard: 0, reloads: 0, echoes: 0, malformed: 0, failed: 0, catchUps: 0 };
  private subscription: Subscription | undefined;
  private catchUp: NodeJS.Timeout | undefined;
  private reload: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly warn: WarnLimiter;

  constructor(private readonly parts: DefinitionsFeedParts) {
    this.replica = parts.replica ?? randomUUID();
    this.warn = new WarnLimiter(parts.logger);
  }

  /**
   * Subscribes; `reload` puts the store's current definitions in force here (`DefinitionChanges.reload`:
   * no push to the agents). Given here, not to the constructor: what reloads is built after what announces.
   */
  start(reload: () => Promise<void>): void {
    if (this.subscription) throw new Error('definitions feed already started');
    this.reload = reload;
    const { nc, subjects } = this.parts;
    this.subscription = nc.subscribe(subjects.replicaDefinitions, { callback: (err, msg) => (err ? this.warnFailed(err) : this.receive(msg.data)) });
    this.catchUp = setInterval(() => {
      this.counts.catchUps++;
      this.schedule();
    }, this.parts.catchUpMs ?? 30_000);
    this.catchUp.unref();
  }

  /** Tells the other replicas that this one applied `version`. Never throws: a replica that misses it reloads at the next one (or its restart). */
  announce(version: number): void {
    const { nc, subjects, logger } = this.parts;
    try {
      nc.publish(subjects.replicaDefinitions, JSON.stringify({ replica: this.replica, version }));
      this.counts.announced++;
    } catch (err) {
      logger.warn({ err: (err as Error).message, version }, 'definitions feed: could not tell the other replicas about a new version');
    }
  }

  /** Unsubscribes, then waits for a reload under way. */
  async stop(): Promise<void> {
    const sub = this.subscription;
    this.subscription = undefined;
    this.again = false;
    clearInterval(this.catchUp);
    if (sub && !sub.isClosed() && !this.parts.nc.isClosed()) {
      sub.unsubscribe();
      await this.parts.nc.flush().catch(() => undefined);
    }
    await this.running;
  }

  private receive(data: Uint8Array): void {
    const decoded = decodeReplicaDefinitions(data);
    if (!decoded.ok) {
      this.counts.malformed++;
      this.warn.once('malformed', { subject: this.parts.subjects.replicaDefinitions, reason: decoded.reason }, 'definitions feed: dropped a message that is not a replica\'s announcement');
      return;
    }
    if (decoded.message.replica === this.replica) {
      this.counts.echoes++;
      return;
    }
    this.counts.heard++;
    this.schedule();
  }

  private schedule(): void {
    const reload = this.reload;
    if (!reload) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.counts.reloads++;
    this.running = reload()
      .catch((err: unknown) => {
        this.counts.failed++;
        this.warn.once('reload', { err: (err as Error).message }, 'definitions feed: could not reload the definitions another replica applied');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && this.subscription) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private warnFailed(err: Error): void {
    this.warn.once('subscription', { err: err.message }, 'definitions feed: the subscription to other replicas\' announcements failed');
  }
}
