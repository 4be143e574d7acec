import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Clock } from '../fleet/index.js';
import type { StatementContext } from '../query/run-statement.js';
import type { NewEvent } from './event-intake.js';
import { outcomeOf, runStatement } from '../query/run-statement.js';
import { Scheduler } from '../scheduler.js';

/** Names this process among the replicas in the claims it makes: host, pid and a random part
 *  (a restarted process with a reused pid is another holder). */
export function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * The definitions' schedules, each running its statement as `schedule:<name>` with the admin role
 * (whoever applied the schedule had it), and logging the run. Each tick runs on the one replica
 * that claims it in the store (Store.claimTick); the others skip it.
 *
 * @example
 * const schedules = new Schedules(statements, logger);
 * schedules.set(definitions.filter((d) => d.kind === 'schedule'));
 */
/** What holds schedules back (the maintenance switch), and where a tick it held is recorded. */
export interface ScheduleHold {
  /** Why no schedule may run now, or undefined. */
  refusal(): string | undefined;
  record(event: NewEvent): Promise<void>;
}

export class Schedules {
  private readonly scheduler: Scheduler;

  constructor(
    private readonly statements: StatementContext,
    private readonly logger: Logger,
    clock?: Clock,
    /** Who claims the ticks (replicaName() unless a test names its replicas). */
    replica: string = replicaName(),
    private readonly hold?: ScheduleHold,
  ) {
    this.scheduler = new Scheduler((s) => this.run(s), logger, clock, (key, tick) => statements.store.claimTick(key, tick, replica));
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
    // Checked on the one replica that claimed the tick, so a held tick is recorded once.
    const refused = this.hold?.refusal();
    if (refused) {
      await this.hold?.record({ type: 'schedule_skipped', principal, message: `schedule ${s.name} did not run: ${refused}`, details: { schedule: s.name, reason: refused } });
      return;
    }
    const outcome = await outcomeOf(runStatement(this.statements, { statement: s.run, principal: { id: principal, name: principal, role: 'admin' }, callers: [{ name: principal }], yes: true }));
    this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed }, 'schedule ran');
  }
}
