import type { FleetEvent } from '../protocol/index.js';

/**
 * In-process pub/sub of freshly stored events: `EventIntake.storeEvents` (remediation/event-intake.ts) publishes each event the
 * first time it is stored, and `GET /api/v1/events/stream` (server-sent events) subscribes. A slow
 * or failing subscriber never holds up storing: delivery is a synchronous call that must not throw.
 */
export class EventBus {
  private readonly subscribers = new Set<(event: FleetEvent) => void>();
  private readonly closers = new Set<() => void>();

  /** Calls `onEvent` for every event published from now on; returns the unsubscribe function. `onClose` runs when the bus closes (server shutdown). */
  subscribe(onEvent: (event: FleetEvent) => void, onClose?: () => void): () => void {
    this.subscribers.add(onEvent);
    if (onClose) this.closers.add(onClose);
    return () => {
      this.subscribers.delete(onEvent);
      if (onClose) this.closers.delete(onClose);
    };
  }

  publish(events: readonly FleetEvent[]): void {
    for (const e of events) {
      for (const s of this.subscribers) {
        try {
          s(e);
        } catch {
          // a subscriber's failure (a closed socket) is its own business
        }
      }
    }
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Ends every subscription (open streams end, so the HTTP server can close). */
  close(): void {
    const closers = [...this.closers];
    this.subscribers.clear();
    this.closers.clear();
    for (const c of closers) c();
  }
}
