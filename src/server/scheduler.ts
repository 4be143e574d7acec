import { BreakwaterError, MAX_TIMER_MS } from '../protocol/index.js';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../definitions/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';

/**
 * Whether this process runs a tick of a schedule: `key` names the schedule and its timing, `tick`
 * is the tick's nominal time (ms), the same in every replica. Several replicas share one store:
 * exactly one of them gets true (Store.claimTick); the default, one process, runs every tick.
 */
export type TickClaim = (key: string, tick: number) => Promise<boolean>;

const EVERY_TICK: TickClaim = () => Promise.resolve(true);

/**
 * Runs schedules: a cron expression or `every`, each firing its pipeline. A
 * schedule whose previous run is still going skips that tick (and logs it)
 * rather than piling runs up; so does a replica that did not claim the tick.
 *
 * @example
 * const scheduler = new Scheduler((s) => runIt(s), logger, systemClock, (key, tick) => store.claimTick(key, tick, replicaId));
 * scheduler.set(schedules);
 */
/** A running job: stops, and says when its timer fires next (ms). */
interface Job {
  stop(): void;
  next(): number | undefined;
}

export class Scheduler {
  private jobs = new Map<string, Job>();
  private readonly running = new Set<string>();

  constructor(
    private readonly run: (schedule: ScheduleDefinition) => Promise<void>,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly claim: TickClaim = EVERY_TICK,
  ) {}

  /** Replaces every job with the given schedules. */
  set(schedules: readonly ScheduleDefinition[]): void {
    this.stop();
    for (const s of schedules) {
      if (!s.enabled) continue;
      if (s.cron) {
        // The tick is the time the expression names, not when this process's timer woke: the
        // replicas' timers wake a little apart, and must claim the same tick. croner reads Date,
        // so the reference does too.
        const job = new Cron(s.cron, { protect: true }, () => void this.fire(s, `${s.name} cron ${s.cron}`, job.previousRuns(1, new Date(Date.now() + 1))[0]?.getTime() ?? Date.now()));
        this.jobs.set(s.name, { stop: () => job.stop(), next: () => job.nextRun()?.getTime() });
      } else if (s.everySeconds) {
        // Replicas start at different moments, so their timers differ by a fraction of the
        // period: the tick is the period's slot since the epoch, the same wherever the timer
        // woke inside it.
        const ms = s.everySeconds * 1000;
        this.jobs.set(s.name, every(ms, () => void this.fire(s, `${s.name} every ${s.everySeconds}s`, Math.floor(this.clock.now() / ms) * ms), this.clock));
      }
    }
  }

  stop(): void {
    for (const j of this.jobs.values()) j.stop();
    this.jobs.clear();
  }

  /** When this process's timer fires `name` next (ms); undefined for a schedule it does not run (disabled, unknown). */
  next(name: string): number | undefined {
    return this.jobs.get(name)?.next();
  }

  /** Whether a run of `name` is going in this process (a tick's or a run-now's). */
  busy(name: string): boolean {
    return this.running.has(name);
  }

  /**
   * Runs `s` once now, outside its timing, behind the guards a tick has: refused (BW_ERR_CONFLICT)
   * while a run of it is still going here, or when `key` at `tick` was claimed first (by another
   * replica, or another request), so one request runs once across replicas.
   */
  async runNow<T>(s: ScheduleDefinition, key: string, tick: number, run: () => Promise<T>): Promise<T> {
    if (this.running.has(s.name)) throw new BreakwaterError('BW_ERR_CONFLICT', `schedule ${s.name} is running now: wait for that run to end, then run it again`, { schedule: s.name });
    this.running.add(s.name);
    try {
      if (!(await this.claim(key, tick))) {
        throw new BreakwaterError('BW_ERR_CONFLICT', `schedule ${s.name} was already run now at ${new Date(tick).toISOString()} (this second's run is claimed): it runs at most once a second on request`, { schedule: s.name, tick });
      }
      return await run();
    } finally {
      this.running.delete(s.name);
    }
  }

  /** `key` names the schedule with its timing: a schedule redefined with another timing has ticks of its own. */
  private async fire(s: ScheduleDefinition, key: string, tick: number): Promise<void> {
    if (this.running.has(s.name)) {
      this.logger.warn({ schedule: s.name }, 'previous run still going: this tick is skipped');
      return;
    }
    this.running.add(s.name);
    try {
      if (!(await this.claim(key, tick))) {
        this.logger.debug({ schedule: s.name, tick: new Date(tick).toISOString() }, 'tick claimed by another replica: skipped here');
        return;
      }
      await this.run(s);
    } catch (err) {
      this.logger.error({ schedule: s.name, err: (err as Error).message }, 'schedule run failed');
    } finally {
      this.running.delete(s.name);
    }
  }
}

/** Calls `fn` every `ms`: past the longest timer (`every: 30d`), in steps of at most that. */
function every(ms: number, fn: () => void, clock: Clock): Job {
  let due = clock.now() + ms;
  if (ms <= MAX_TIMER_MS) {
    const timer = setInterval(() => {
      due += ms;
      fn();
    }, ms);
    timer.unref();
    return { stop: () => clearInterval(timer), next: () => due };
  }
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    timer = setTimeout(() => {
      if (clock.now() >= due) {
        due += ms;
        fn();
      }
      arm();
    }, Math.min(Math.max(due - clock.now(), 1), MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { stop: () => clearTimeout(timer), next: () => due };
}
