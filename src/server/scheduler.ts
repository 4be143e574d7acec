import { MAX_TIMER_MS } from '../protocol/index.js';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../definitions/index.js';
import type { Clock } from './fleet/index.js';
import { systemClock } from './fleet/index.js';

/**
 * Runs schedules: a cron expression or `every`, each firing its pipeline. A
 * schedule whose previous run is still going skips that tick (and logs it)
 * rather than piling runs up.
 */
export class Scheduler {
  private jobs: { stop(): void }[] = [];
  private readonly running = new Set<string>();

  constructor(
    private readonly run: (schedule: ScheduleDefinition) => Promise<void>,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Replaces every job with the given schedules. */
  set(schedules: readonly ScheduleDefinition[]): void {
    this.stop();
    for (const s of schedules) {
      if (!s.enabled) continue;
      const fire = () => void this.fire(s);
      if (s.cron) {
        const job = new Cron(s.cron, { protect: true }, fire);
        this.jobs.push({ stop: () => job.stop() });
      } else if (s.everySeconds) {
        this.jobs.push(every(s.everySeconds * 1000, fire, this.clock));
      }
    }
  }

  stop(): void {
    for (const j of this.jobs) j.stop();
    this.jobs = [];
  }

  private async fire(s: ScheduleDefinition): Promise<void> {
    if (this.running.has(s.name)) {
      this.logger.warn({ schedule: s.name }, 'previous run still going: this tick is skipped');
      return;
    }
    this.running.add(s.name);
    try {
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
