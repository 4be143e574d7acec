import type { Logger } from 'pino';
import type { FleetEvent } from '../protocol/index.js';

/** Event types a person wants to hear about, outside the UI. */
export const NOTIFIED: ReadonlySet<FleetEvent['type']> = new Set(['alarm_fired', 'alarm_cleared', 'escalated', 'approval_requested']);

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

/** How long a delivery waits: per attempt, and between attempts (tests shorten both). */
export interface NotifierTiming {
  /** Per attempt, before it counts as failed (default 5 s). */
  readonly timeoutMs?: number;
  /** Waits between attempts: 1 s, then 2 s (default: a real timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Posts events as JSON to webhooks (`{ "event": {...} }`), with retries and
 * backoff. Never blocks or fails the caller: a dead webhook is logged, and the
 * event stays in the timeline regardless.
 */
export class Notifier {
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly urls: readonly string[],
    private readonly logger: Logger,
    /** Sent as the Authorization header to every webhook (credentials never go in the URL). */
    private readonly authorization?: string,
    private readonly timing: NotifierTiming = {},
  ) {}

  notify(event: FleetEvent): void {
    // A silenced alarm's events are recorded, not notified.
    if (!NOTIFIED.has(event.type) || event.details.silenced !== undefined) return;
    for (const url of this.urls) {
      const p = this.post(url, event).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  /** Resolves when every pending delivery finished (for shutdown and tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  private async post(url: string, event: FleetEvent): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'breakwater-notifier', ...(this.authorization ? { authorization: this.authorization } : {}) },
          body: JSON.stringify({ event }),
          signal: AbortSignal.timeout(this.timing.timeoutMs ?? TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.ok) return;
        this.logger.warn({ url, status: res.status, attempt }, 'webhook refused the notification');
      } catch (err) {
        this.logger.warn({ url, attempt, err: (err as Error).message }, 'webhook unreachable');
      }
      if (attempt < ATTEMPTS) await (this.timing.sleep ?? realSleep)(500 * 2 ** attempt);
    }
    this.logger.error({ url, event: event.id }, `gave up notifying after ${ATTEMPTS} attempts`);
  }
}
