import type { Logger } from 'pino';
import type { BotDefinition } from '../definitions/index.js';
import type { BreakerState, FleetEvent } from '../protocol/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';
import type { PermitWindow, Store } from './store/index.js';

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
 * one host may use at most its share. A host's runs in the window are the larger of the permits
 * granted it (they count at once: agents ask at the same moment, before any run is stored) and the
 * `bot_ran` events it stored (so the window includes runs made offline). Each host counts up to its
 * share only, so asking again and again (or reporting runs that never happened) spends no more of
 * the fleet's budget than one host may use. A host asking beyond its share is refused, and the
 * refusal is an event.
 *
 * The grants live in the store, counted and recorded in one transaction (`Store.grantPermit`), so
 * several control-plane replicas on one store share one window, and a restart forgets nothing.
 *
 * @example
 * const breaker = new CircuitBreaker(store, logger, (e) => intake.record(e));
 * const { allowed, reason } = await breaker.permit('web-1', bot, fleetSize);
 */
export class CircuitBreaker {
  private readonly refusalEvents = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly record: (event: Partial<FleetEvent> & Pick<FleetEvent, 'type' | 'message'>) => Promise<void>,
    private readonly clock: Clock = systemClock,
    /** Hears each refusal: the fleet's budget used up (`tripped`) or one host's share (`host_share`); the metrics count them. */
    private readonly onRefused: (reason: 'tripped' | 'host_share') => void = () => undefined,
  ) {}

  /**
   * Whether `host` may run `bot` now; `hosts` is the fleet's size (the inventory's). When the store
   * cannot be reached there is no answer (it throws BW_ERR_UNAVAILABLE): without the window a grant
   * could exceed the limit and a refusal would overrule the bot's own `offline` policy, which is
   * what the bot's author chose for a control plane that cannot decide. The transports then leave
   * the agent's permit request unanswered, as when the control plane is away.
   */
  async permit(host: string, bot: BotDefinition, hosts: number): Promise<Answer> {
    const { windowSeconds } = bot.circuitBreaker;
    const now = this.clock.now();
    const share = hostShare(bot, hosts);
    let answer: Answer & { grant: boolean; refusedShare: boolean };
    try {
      answer = await this.store.grantPermit({ bot: bot.name, host, at: now, since: now - windowSeconds * 1000 }, (window) => decide(host, bot, share, window));
    } catch (err) {
      this.logger.warn({ bot: bot.name, host, err: (err as Error).message }, 'circuit breaker: could not count the window in the store; the agent\'s offline policy decides');
      throw new BreakwaterError('BW_ERR_UNAVAILABLE', `the circuit breaker cannot count ${bot.name}'s runs in the window: the store is unreachable`, {}, { cause: err });
    }
    if (!answer.allowed) this.onRefused(answer.refusedShare ? 'host_share' : 'tripped');
    if (answer.refusedShare) this.refused(host, bot.name, answer.reason, now);
    return { allowed: answer.allowed, reason: answer.reason };
  }

  /**
   * What the breaker would decide on now, read without granting: the runs counted in `bot`'s window
   * (by the same rule `permit` decides with), how many are left, and when the oldest counted run
   * leaves the window. `hosts` is the fleet's size, as for `permit`.
   */
  async state(bot: BotDefinition, hosts: number): Promise<BreakerState> {
    const { max, windowSeconds } = bot.circuitBreaker;
    const since = this.clock.now() - windowSeconds * 1000;
    const used = runsInWindow(await this.store.permitWindow(bot.name, since), hostShare(bot, hosts));
    return { max, windowSeconds, used, left: Math.max(0, max - used), hostShare: hostShare(bot, hosts), tripped: used >= max };
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

/** One host's share of `bot`'s budget in a fleet of `hosts`. */
function hostShare(bot: BotDefinition, hosts: number): number {
  const { max } = bot.circuitBreaker;
  return hosts > 1 ? Math.max(1, Math.ceil(max * HOST_SHARE)) : max;
}

/** One host's runs in the window: the larger of its grants and its stored runs. */
const runsOf = (window: PermitWindow, host: string) => Math.max(window.granted.get(host) ?? 0, window.ran.get(host) ?? 0);

/** The runs the window counts across the fleet: each host's, up to its share. */
function runsInWindow(window: PermitWindow, share: number): number {
  let runs = 0;
  for (const h of new Set([...window.granted.keys(), ...window.ran.keys()])) runs += Math.min(share, runsOf(window, h));
  return runs;
}

/** The breaker's rule on one bot's window: pure, so the store can run it inside its transaction. */
function decide(host: string, bot: BotDefinition, share: number, window: PermitWindow): Answer & { grant: boolean; refusedShare: boolean } {
  const { max, windowSeconds } = bot.circuitBreaker;
  const runs = runsInWindow(window, share);
  if (runs >= max) return { allowed: false, grant: false, refusedShare: false, reason: `tripped: ${runs} runs across the fleet in the last ${windowSeconds}s (limit ${max})` };
  const mine = runsOf(window, host);
  if (mine >= share) {
    const reason = `host share used: ${host} ran ${bot.name} ${mine} time(s) in the last ${windowSeconds}s; one host may use ${share} of the fleet's ${max}`;
    return { allowed: false, grant: false, refusedShare: true, reason };
  }
  return { allowed: true, grant: true, refusedShare: false, reason: `run ${runs + 1} of ${max} in the window` };
}
