import type { Logger } from 'pino';
import type { FleetEvent } from '../../protocol/index.js';
import { orderedId } from '../../protocol/index.js';
import type { DeliveryRecord } from '../store/index.js';
import type { Channel, DeliveryOutcome } from './channel.js';

/*
 * The outbound delivery engine: each event a channel wants goes into that channel's bounded queue
 * and is delivered by one worker per channel, in order (a PagerDuty resolve never overtakes its
 * trigger), with retries, exponential backoff with jitter, and a bound on attempts and total time.
 * `notify` only enqueues: the event pipeline never waits for a receiver. A delivery that finally
 * fails, or finds its queue full, is recorded (the deliveries table) and logged; never retried later.
 *
 * Once across replicas: the engine is handed only the events this replica stored first
 * (EventIntake's `fresh`: the store's insert-if-absent decides), so exactly one replica delivers each.
 */

/** Bounds of every delivery; tests shorten the waits. */
export interface OutboundLimits {
  /** Attempts per delivery, the first included. */
  readonly attempts: number;
  /** The first wait between attempts; doubled each time, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No attempt starts after this long since the first one. */
  readonly totalMs: number;
  /** One attempt is abandoned after this long. */
  readonly timeoutMs: number;
  /** Deliveries waiting per channel; beyond it a new one is recorded as failed at once. */
  readonly queue: number;
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, totalMs: 5 * 60_000, timeoutMs: 10_000, queue: 1000 };

/** What the engine needs from outside: the channels now, where failures go, time. */
export interface OutboundDeps {
  /** The channels in force now (built from the current definitions and secrets): asked per event. */
  readonly channels: () => readonly Channel[];
  readonly record: (delivery: DeliveryRecord) => Promise<void>;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  readonly random?: () => number;
  readonly limits?: Partial<OutboundLimits>;
}

/** The longest error text kept: a receiver's message is trimmed to it. */
const MAX_ERROR_CHARS = 500;

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): `base * 2^(attempt-1)` capped at
 * `maxDelayMs`, then jittered to between half and all of it, so receivers recovering from an outage
 * are not hit by every replica's retries at the same instant.
 *
 * @example
 * backoffMs(1, DEFAULT_OUTBOUND_LIMITS, 0.5) // 750
 */
export function backoffMs(attempt: number, limits: Pick<OutboundLimits, 'baseDelayMs' | 'maxDelayMs'>, random: number): number {
  const full = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(full / 2 + (full / 2) * random);
}

interface Queue {
  readonly items: { readonly channel: Channel; readonly event: FleetEvent; readonly at: number }[];
  worker: Promise<void> | undefined;
}

/**
 * Delivers events to the channels that want them; see the comment at the top of outbound.ts.
 *
 * @example
 * const outbound = new OutboundDelivery({ channels: () => channelsNow(), record: (d) => store.recordDelivery(d), logger });
 * outbound.notify(event); // returns at once
 * await outbound.drain(); // shutdown
 */
export class OutboundDelivery {
  private readonly queues = new Map<string, Queue>();
  private readonly limits: OutboundLimits;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly recording = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: OutboundDeps) {
    this.limits = { ...DEFAULT_OUTBOUND_LIMITS, ...deps.limits };
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = deps.random ?? Math.random;
  }

  /** Enqueues the event for every channel that wants it. Never throws, never waits. */
  notify(event: FleetEvent): void {
    let channels: readonly Channel[];
    try {
      channels = this.deps.channels();
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'outbound channels could not be built; event not delivered');
      return;
    }
    for (const channel of channels) {
      if (!channel.wants(event)) continue;
      const key = `${channel.type}\u0000${channel.name}`;
      const queue = this.queues.get(key) ?? { items: [], worker: undefined };
      this.queues.set(key, queue);
      const at = this.now();
      if (queue.items.length >= this.limits.queue) {
        this.fail(channel, event, at, 0, { ok: false, retry: false, error: `queue full: ${this.limits.queue} deliveries already waiting for this integration (is the receiver down?)` });
        continue;
      }
      queue.items.push({ channel, event, at });
      queue.worker ??= this.work(key, queue);
    }
  }

  /** Resolves when every queued delivery finished and its failure was recorded (shutdown, tests). */
  async drain(): Promise<void> {
    for (;;) {
      const workers = [...this.queues.values()].flatMap((q) => (q.worker ? [q.worker] : []));
      if (!workers.length && !this.recording.size) return;
      await Promise.all([...workers, ...this.recording]);
    }
  }

  /**
   * Shutdown: waits between attempts end, deliveries not yet made are recorded as failed (the
   * server stopped), and resolves once those records are written. An attempt in flight finishes.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.drain();
  }

  private async work(key: string, queue: Queue): Promise<void> {
    for (let item = queue.items.shift(); item; item = queue.items.shift()) await this.deliver(item.channel, item.event, item.at);
    queue.worker = undefined;
    this.queues.delete(key);
  }

  private async deliver(channel: Channel, event: FleetEvent, queuedAt: number): Promise<void> {
    const first = this.now();
    for (let attempt = 1; ; attempt++) {
      if (this.stopping.signal.aborted) {
        this.fail(channel, event, Math.min(first, queuedAt), attempt - 1, { ok: false, retry: false, error: 'the server stopped before it was delivered' });
        return;
      }
      const outcome = await this.attempt(channel, event);
      if (outcome.ok) return;
      const wait = Math.min(this.limits.maxDelayMs, Math.max(backoffMs(attempt, this.limits, this.random()), outcome.retryAfterMs ?? 0));
      const outOfTime = this.now() + wait - first > this.limits.totalMs;
      if (!outcome.retry || attempt >= this.limits.attempts || outOfTime) {
        const why = outcome.retry ? (attempt >= this.limits.attempts ? `gave up after ${attempt} attempts` : `gave up after ${attempt} attempts: out of time`) : `not retried`;
        this.fail(channel, event, Math.min(first, queuedAt), attempt, { ...outcome, error: `${outcome.error} (${why})` });
        return;
      }
      this.deps.logger.warn({ integration: channel.name, type: channel.type, target: channel.target, attempt, error: outcome.error }, 'outbound delivery failed; retrying');
      await this.pause(wait);
    }
  }

  /** Sleeps, or less when the engine stops (the listener is removed either way: no leak per retry). */
  private pause(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done);
      void this.sleep(ms).then(done);
    });
  }

  private async attempt(channel: Channel, event: FleetEvent): Promise<DeliveryOutcome> {
    try {
      return await channel.deliver(event, AbortSignal.timeout(this.limits.timeoutMs));
    } catch (err) {
      const e = err as Error;
      return { ok: false, retry: true, error: e.name === 'TimeoutError' ? `no answer within ${this.limits.timeoutMs} ms` : e.message || 'failed' };
    }
  }

  private fail(channel: Channel, event: FleetEvent, firstAt: number, attempts: number, outcome: Extract<DeliveryOutcome, { ok: false }>): void {
    const record: DeliveryRecord = {
      id: orderedId(),
      integration: channel.name,
      type: channel.type,
      target: channel.target,
      eventId: event.id,
      eventType: event.type,
      status: 'failed',
      attempts,
      httpStatus: outcome.status ?? null,
      error: outcome.error.slice(0, MAX_ERROR_CHARS),
      firstAt,
      time: this.now(),
    };
    this.deps.logger.error({ integration: record.integration, type: record.type, target: record.target, event: record.eventId, attempts, error: record.error }, 'outbound delivery failed');
    const p = this.deps
      .record(record)
      .catch((err: unknown) => this.deps.logger.error({ err: (err as Error).message, integration: record.integration }, 'a failed delivery could not be recorded'))
      .finally(() => this.recording.delete(p));
    this.recording.add(p);
  }
}
