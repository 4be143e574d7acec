import type { FleetEvent } from '../../protocol/index.js';
import { orderedId } from '../../protocol/index.js';
import { EventBus } from '../event-bus.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { Notifier } from '../notify.js';
import type { EventRecord, Store } from '../store/index.js';
import { recordBotRun } from './bot-runs.js';

/** An event the control plane itself records: the type and message, the rest defaults to null. */
export type NewEvent = Partial<FleetEvent> & Pick<FleetEvent, 'type' | 'message'>;

/**
 * Where every event enters the timeline, the agents' and the control plane's own: stored exactly
 * once, then notified (webhooks) and published (live streams) that once; a bot's run also becomes a
 * run record and an audit entry.
 *
 * @example
 * const intake = new EventIntake(store, notifier);
 * await intake.record({ type: 'agent_joined', host: 'web-1', message: 'agent web-1 connected' });
 */
export class EventIntake {
  /** Each event the first time it is stored, for live subscribers (GET /api/v1/events/stream). */
  readonly bus = new EventBus();

  constructor(
    private readonly store: Store,
    private readonly notifier: Pick<Notifier, 'notify'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Stores events and reacts to the ones not seen before. Safe to call twice with the same events. */
  async storeEvents(events: readonly FleetEvent[]): Promise<FleetEvent[]> {
    // A bot's run record first, on every delivery (an existing one is left as it is): the event
    // is never visible without its run, whenever this process dies. Stored after the event, a kill
    // between the two left a `bot_ran` with no run until the bus redelivered it (JetStream: 30 s).
    for (const e of events) if (e.type === 'bot_ran') await recordBotRun(this.store, e, this.clock);
    const fresh = await this.store.appendEvents(events.map((e) => e as EventRecord));
    for (const e of fresh) this.notifier.notify(e as FleetEvent);
    this.bus.publish(fresh as FleetEvent[]);
    return fresh as FleetEvent[];
  }

  /** Records an event of the control plane's own, with a fresh id and the time now. */
  async record(partial: NewEvent): Promise<void> {
    const event: FleetEvent = {
      id: orderedId(),
      time: this.clock.now(),
      host: null,
      resource: null,
      alarm: null,
      bot: null,
      action: null,
      severity: null,
      runId: null,
      principal: null,
      value: null,
      details: {},
      ...partial,
    };
    await this.storeEvents([event]);
  }
}
