import { MAX_TIMER_MS } from '../protocol/index.js';
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
export class Scheduler {
  private jobs: { stop(): void }[] = [];
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
        this.jobs.push({ stop: () => job.stop() });
      } else if (s.everySeconds) {
        // Replicas start at different moments, so their timers differ by a fraction of the
        // period: the tick is the period's slot since the epoch, the same wherever the timer
        // woke inside it.
        const ms = s.everySeconds * 1000;
        this.jobs.push(every(ms, () => void this.fire(s, `${s.name} every ${s.everySeconds}s`, Math.floor(this.clock.now() / ms) * ms), this.clock));
      }
    }
  }

  stop(): void {
    for (const j of this.jobs) j.stop();
    this.jobs = [];
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
function every(ms: number, fn: () => void, clock: Clock): { stop(): void } {
  if (ms <= MAX_TIMER_MS) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  let timer: NodeJS.Timeout;
  let due = clock.now() + ms;
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
  return { stop: () => clearTimeout(timer) };
}
