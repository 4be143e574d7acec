import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Clock } from '../fleet/index.js';
import type { StatementContext } from '../query/run-statement.js';
import { outcomeOf, runStatement } from '../query/run-statement.js';
import { Scheduler } from '../scheduler.js';

/**
 * The definitions' schedules, each running its statement as `schedule:<name>` with the admin role
 * (whoever applied the schedule had it), and logging the run.
 *
 * @example
 * const schedules = new Schedules(statements, logger);
 * schedules.set(definitions.filter((d) => d.kind === 'schedule'));
 */
export class Schedules {
  private readonly scheduler: Scheduler;

  constructor(
    private readonly statements: StatementContext,
    private readonly logger: Logger,
    clock?: Clock,
  ) {
    this.scheduler = new Scheduler((s) => this.run(s), logger, clock);
  }

  /** Replaces every running schedule with these. */
  set(schedules: readonly ScheduleDefinition[]): void {
    this.scheduler.set(schedules);
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The one place a schedule runs its statement. */
  private async run(s: ScheduleDefinition): Promise<void> {
    const principal = `schedule:${s.name}`;
    const outcome = await outcomeOf(runStatement(this.statements, { statement: s.run, principal: { id: principal, name: principal, role: 'admin' }, callers: [{ name: principal }], yes: true }));
    this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed }, 'schedule ran');
  }
}
