import type { FleetEvent } from '../protocol/index.js';

/**
 * In-process pub/sub of freshly stored events: `EventIntake.storeEvents` (remediation/event-intake.ts) publishes each event the
 * first time it is stored, and `GET /api/v1/events/stream` (server-sent events) subscribes. A slow
 * or failing subscriber never holds up storing: delivery is a synchronous call that must not throw.
 *
 * With several control-plane replicas, the replica feed (server/nats/replica-feed.ts) relays what
 * this process published to the others, and delivers what they stored to this process's
 * subscribers; delivered events are never relayed again, so nothing loops.
 *
 * @example
 * const stop = bus.subscribe((e) => sse.send(JSON.stringify(e), e.id));
 * bus.publish(storedEvents);
 */
export class EventBus {
  private readonly subscribers = new Set<(event: FleetEvent) => void>();
  private readonly closers = new Set<() => void>();
  private readonly relays = new Set<(events: readonly FleetEvent[]) => void>();

  /** Calls `onEvent` for every event published from now on; returns the unsubscribe function. `onClose` runs when the bus closes (server shutdown). */
  subscribe(onEvent: (event: FleetEvent) => void, onClose?: () => void): () => void {
    this.subscribers.add(onEvent);
    if (onClose) this.closers.add(onClose);
    return () => {
      this.subscribers.delete(onEvent);
      if (onClose) this.closers.delete(onClose);
    };
  }

  /** Events this process stored: to its subscribers, and to the relays (the other replicas). */
  publish(events: readonly FleetEvent[]): void {
    this.deliver(events);
    if (events.length === 0) return;
    for (const r of this.relays) {
      try {
        r(events);
      } catch {
        // a relay's failure (NATS gone) costs the other replicas' live streams, never the store
      }
    }
  }

  /** Calls `onPublished` with each batch `publish` is given (not the batches `deliver` is); returns the unsubscribe function. */
  relay(onPublished: (events: readonly FleetEvent[]) => void): () => void {
    this.relays.add(onPublished);
    return () => this.relays.delete(onPublished);
  }

  /** Events another replica stored: to this process's subscribers only, never to the relays. */
  deliver(events: readonly FleetEvent[]): void {
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
    this.relays.clear();
    for (const c of closers) c();
  }
}
