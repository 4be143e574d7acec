import type { BotDefinition, BotTrigger, Definition, ScheduleDefinition } from '../../definitions/index.js';
import type { BotRun, BotState as BotStateAnswer, ScheduleState } from '../../protocol/index.js';
import type { CircuitBreaker } from '../circuit-breaker.js';
import type { Clock, QueryFleet } from '../fleet/index.js';
import type { EventRecord, Store } from '../store/index.js';
import type { Schedules } from './schedules.js';

/*
 * The state of the fleet's automation, read for the Automation page and `breakwater get bots|schedules`:
 * each bot's limits as the breaker and the agents apply them, each schedule's timing as its timer
 * has it. Read-only; running a schedule now is Schedules.runNow.
 */

/** The newest `bot_ran` events read for one bot's cooldowns: a bot on more resources than this shows the newest. */
const COOLDOWN_EVENTS = 200;

/** One bot as GET /api/v1/bots gives it, with its trigger as defined (the same field `GET /api/v1/definitions` has). */
export interface BotState extends BotStateAnswer {
  readonly trigger: BotTrigger;
}

export interface AutomationParts {
  readonly store: Store;
  readonly breaker: Pick<CircuitBreaker, 'state'>;
  readonly schedules: Pick<Schedules, 'next' | 'busy'>;
  /** The fleet's size is the breaker's share of one host. */
  readonly fleet: Pick<QueryFleet, 'inventory'>;
  readonly definitions: () => readonly Definition[];
  readonly clock: Clock;
}

/** The trigger in words, as lists print it. */
export function describeTrigger(t: BotTrigger): string {
  if ('alarm' in t) return `alarm ${t.alarm} ${t.on}`;
  if ('external' in t) return `external ${t.external}`;
  if (t.event === 'process_restarted') return `event process_restarted of ${t.process}`;
  return 'container' in t && t.container !== undefined ? `event ${t.event} of ${t.container}` : `event ${t.event}`;
}

/** The principal a schedule's runs are recorded under (Schedules.run). */
export const schedulePrincipal = (name: string): string => `schedule:${name}`;

/**
 * Reads the state of bots and schedules.
 *
 * @example
 * const automation = new Automation({ store, breaker, schedules, fleet, definitions: () => current.definitions().definitions, clock });
 * const bots = await automation.bots();
 */
export class Automation {
  constructor(private readonly parts: AutomationParts) {}

  /** Every defined bot's state, by name. */
  async bots(): Promise<BotState[]> {
    const defs = this.parts.definitions();
    const bots = defs.filter((d): d is BotDefinition => d.kind === 'bot').sort((a, b) => a.name.localeCompare(b.name));
    const alarms = new Map(defs.flatMap((d) => (d.kind === 'alarm' ? [[d.name, d.query] as const] : [])));
    const hosts = this.parts.fleet.inventory().length;
    return Promise.all(bots.map(async (b) => this.bot(b, hosts, 'alarm' in b.trigger ? (alarms.get(b.trigger.alarm) ?? null) : null)));
  }

  /** Every defined schedule's state, by name. */
  async schedules(): Promise<ScheduleState[]> {
    const schedules = this.parts
      .definitions()
      .filter((d): d is ScheduleDefinition => d.kind === 'schedule')
      .sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(schedules.map((s) => this.schedule(s)));
  }

  private async bot(b: BotDefinition, hosts: number, target: string | null): Promise<BotState> {
    const now = this.parts.clock.now();
    const [breaker, recent] = await Promise.all([
      this.parts.breaker.state(b, hosts),
      this.parts.store.listEvents({ type: 'bot_ran', bot: b.name, since: now - b.cooldownSeconds * 1000, limit: COOLDOWN_EVENTS }),
    ]);
    const last = recent[0] ?? (await this.parts.store.listEvents({ type: 'bot_ran', bot: b.name, limit: 1 }))[0];
    return {
      name: b.name,
      description: b.description,
      ...(b.pack !== undefined ? { pack: b.pack } : {}),
      enabled: b.enabled,
      trigger: b.trigger,
      triggerText: describeTrigger(b.trigger),
      action: b.action,
      args: b.args,
      target,
      cooldownSeconds: b.cooldownSeconds,
      approval: Boolean(b.approval),
      breaker,
      cooldowns: cooldowns(recent, b.cooldownSeconds, now),
      lastRun: last ? botRun(last) : null,
    };
  }

  private async schedule(s: ScheduleDefinition): Promise<ScheduleState> {
    // A run's audit entry (`run`, written when it ends) names its principal: the schedule's, for a tick and a run-now alike.
    const [entry] = await this.parts.store.listAudit({ principal: schedulePrincipal(s.name), action: 'run', limit: 1 });
    const detail = entry?.detail as { targets?: number; failures?: number; error?: string } | undefined;
    return {
      name: s.name,
      description: s.description,
      ...(s.pack !== undefined ? { pack: s.pack } : {}),
      enabled: s.enabled,
      cron: s.cron,
      everySeconds: s.everySeconds,
      run: s.run,
      nextRun: (s.enabled && this.parts.schedules.next(s.name)) || null,
      running: this.parts.schedules.busy(s.name),
      lastRun: entry ? { time: entry.time, runId: entry.runId, outcome: entry.outcome, targets: detail?.targets ?? null, failures: detail?.failures ?? null, error: detail?.error ?? null } : null,
    };
  }
}

function botRun(e: EventRecord): BotRun {
  const d = e.details as { ok?: boolean; exitCode?: number | null };
  return { time: e.time, host: e.host, resource: e.resource, ok: d.ok === true, exitCode: d.exitCode ?? null, runId: e.runId ?? e.id };
}

/** Per resource, the newest run's time plus the cooldown, where that is still ahead. */
function cooldowns(recent: readonly EventRecord[], seconds: number, now: number): BotState['cooldowns'] {
  const newest = new Map<string, EventRecord>();
  for (const e of recent) {
    const key = e.resource ?? e.host ?? '?';
    if (!newest.has(key)) newest.set(key, e);
  }
  return [...newest]
    .map(([resource, e]) => ({ resource, host: e.host, until: e.time + seconds * 1000 }))
    .filter((c) => c.until > now)
    .sort((a, b) => a.until - b.until);
}
