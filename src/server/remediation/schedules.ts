import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../../definitions/index.js';
import type { Clock } from '../fleet/index.js';
import type { StatementContext } from '../query/run-statement.js';
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
export class Schedules {
  private readonly scheduler: Scheduler;

  constructor(
    private readonly statements: StatementContext,
    private readonly logger: Logger,
    clock?: Clock,
    /** Who claims the ticks (replicaName() unless a test names its replicas). */
    replica: string = replicaName(),
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
    const outcome = await outcomeOf(runStatement(this.statements, { statement: s.run, principal: { id: principal, name: principal, role: 'admin' }, callers: [{ name: principal }], yes: true }));
    this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed }, 'schedule ran');
  }
}
