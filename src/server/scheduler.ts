import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../definitions/index.js';

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
        const timer = setInterval(fire, s.everySeconds * 1000);
        timer.unref();
        this.jobs.push({ stop: () => clearInterval(timer) });
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
