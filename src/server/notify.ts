import type { Logger } from 'pino';
import type { FleetEvent } from '../protocol/index.js';

/** Event types a person wants to hear about, outside the UI. */
export const NOTIFIED: ReadonlySet<FleetEvent['type']> = new Set(['alarm_fired', 'alarm_cleared', 'escalated', 'approval_requested']);

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

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
  ) {}

  notify(event: FleetEvent): void {
    if (!NOTIFIED.has(event.type)) return;
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
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.ok) return;
        this.logger.warn({ url, status: res.status, attempt }, 'webhook refused the notification');
      } catch (err) {
        this.logger.warn({ url, attempt, err: (err as Error).message }, 'webhook unreachable');
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
    this.logger.error({ url, event: event.id }, `gave up notifying after ${ATTEMPTS} attempts`);
  }
}
