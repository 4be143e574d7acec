import type { Logger } from 'pino';
import type { BotDefinition } from '../definitions/index.js';
import type { FleetEvent } from '../protocol/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';
import type { Store } from './store/index.js';

/**
 * The share of a bot's fleet-wide budget one host may use when the fleet has more than one host:
 * half, so that one host (a flapping one, or one asking for permits it never uses) cannot trip the
 * breaker for every other host. A fleet of one host has the whole budget.
 */
export const HOST_SHARE = 0.5;

/** How often one host's refused excess for one bot becomes a `permit_refused` event, at most. */
const REFUSAL_EVENT_EVERY_MS = 60_000;

type Answer = { allowed: boolean; reason: string };

/**
 * The fleet-wide circuit breaker: at most `max` runs of a bot per window across the fleet, of which
 * one host may use at most its share. A host's runs in the window are the larger of the permits the
 * control plane granted it (they count at once: agents ask at the same moment, before any run is
 * stored) and the `bot_ran` events it stored (so the window survives a restart of the control
 * plane and includes runs made offline). Each host counts up to its share only, so asking again
 * and again (or reporting runs that never happened) spends no more of the fleet's budget than one
 * host may use. A host asking beyond its share is refused, and the refusal is an event.
 */
export class CircuitBreaker {
  /** Permits granted, per bot: when, and to which host. */
  private readonly grants = new Map<string, { at: number; host: string }[]>();
  private readonly refusalEvents = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly record: (event: Partial<FleetEvent> & Pick<FleetEvent, 'type' | 'message'>) => Promise<void>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Whether `host` may run `bot` now; `hosts` is the fleet's size (the inventory's). */
  async permit(host: string, bot: BotDefinition, hosts: number): Promise<Answer> {
    const { max, windowSeconds } = bot.circuitBreaker;
    const windowMs = windowSeconds * 1000;
    const stored = await this.store.countEventsByHost({ type: 'bot_ran', bot: bot.name, since: this.clock.now() - windowMs }).catch((err: unknown) => {
      this.logger.warn({ bot: bot.name, err: (err as Error).message }, 'circuit breaker: could not count stored runs; counting this process\'s grants only');
      return new Map<string, number>();
    });
    // From here on synchronous, so that asks answered at the same moment see each other's grants.
    const now = this.clock.now();
    const recent = (this.grants.get(bot.name) ?? []).filter((g) => now - g.at < windowMs);
    this.grants.set(bot.name, recent);
    const granted = new Map<string, number>();
    for (const g of recent) granted.set(g.host, (granted.get(g.host) ?? 0) + 1);
    const share = hosts > 1 ? Math.max(1, Math.ceil(max * HOST_SHARE)) : max;
    const runsOf = (h: string) => Math.max(granted.get(h) ?? 0, stored.get(h) ?? 0);
    let runs = 0;
    for (const h of new Set([...granted.keys(), ...stored.keys()])) runs += Math.min(share, runsOf(h));
    if (runs >= max) return { allowed: false, reason: `tripped: ${runs} runs across the fleet in the last ${windowSeconds}s (limit ${max})` };
    const mine = runsOf(host);
    if (mine >= share) {
      const reason = `host share used: ${host} ran ${bot.name} ${mine} time(s) in the last ${windowSeconds}s; one host may use ${share} of the fleet's ${max}`;
      this.refused(host, bot.name, reason, now);
      return { allowed: false, reason };
    }
    recent.push({ at: now, host });
    return { allowed: true, reason: `run ${runs + 1} of ${max} in the window` };
  }

  private refused(host: string, bot: string, reason: string, now: number): void {
    const key = `${host} ${bot}`;
    if (now - (this.refusalEvents.get(key) ?? -Infinity) < REFUSAL_EVENT_EVERY_MS) return;
    this.refusalEvents.set(key, now);
    void this.record({ type: 'permit_refused', host, bot, principal: 'breakwater', message: `circuit breaker refused bot ${bot} on ${host}: ${reason}`, details: { reason } }).catch((err: unknown) =>
      this.logger.warn({ err: (err as Error).message, host, bot }, 'could not record a refused permit'),
    );
  }
}
