import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ScheduleDefinition } from '../../definitions/index.js';
import { BreakwaterError, orderedId } from '../../protocol/index.js';
import { audit } from '../audit/index.js';
import type { Principal } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { RunOutcome, RunRequest, StatementContext } from '../query/run-statement.js';
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
  private defined = new Map<string, ScheduleDefinition>();

  constructor(
    private readonly statements: StatementContext,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    /** Who claims the ticks (replicaName() unless a test names its replicas). */
    replica: string = replicaName(),
    private readonly hold?: ScheduleHold,
  ) {
    this.scheduler = new Scheduler((s) => this.run(s), logger, clock, (key, tick) => statements.store.claimTick(key, tick, replica));
  }

  /** Replaces every running schedule with these. */
  set(schedules: readonly ScheduleDefinition[]): void {
    this.defined = new Map(schedules.map((s) => [s.name, s]));
    this.scheduler.set(schedules);
  }

  /** When `name`'s timer fires next here (ms); undefined when it does not run (disabled, unknown). */
  next(name: string): number | undefined {
    return this.scheduler.next(name);
  }

  /** Whether a run of `name` is going on this replica. */
  busy(name: string): boolean {
    return this.scheduler.busy(name);
  }

  /**
   * Runs schedule `name` once now for `who` (an operator), recorded like a tick's run (as
   * `schedule:<name>`, audited when it starts under both names) and behind a tick's guards: not
   * while it runs, once across replicas (a claim on this second), and `who` must be allowed to run
   * its actions as well. A disabled schedule is refused: someone turned it off.
   */
  async runNow(name: string, who: Principal): Promise<RunOutcome> {
    const s = this.defined.get(name);
    if (!s) throw new BreakwaterError('BW_ERR_NOT_FOUND', `no schedule named ${JSON.stringify(name)}${this.defined.size ? `; the schedules are ${[...this.defined.keys()].join(', ')}` : '; none is defined'}`);
    if (!s.enabled) throw new BreakwaterError('BW_ERR_CONFLICT', `schedule ${name} is disabled (enabled: false in its definition): enable it and apply before running it`, { schedule: name });
    const second = Math.floor(this.clock.now() / 1000) * 1000;
    return this.scheduler.runNow(s, `${s.name} run-now`, second, async () => {
      const runId = orderedId();
      await audit(this.statements.store, who.name, 'schedule.run', s.name, 'ok', { statement: s.run }, runId, this.clock);
      const outcome = await outcomeOf(runStatement(this.statements, { ...this.request(s), runId, callers: [{ name: who.name, role: who.role === 'agent' ? 'viewer' : who.role }, { name: `schedule:${s.name}` }] }));
      this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed, by: who.name }, 'schedule run now');
      return outcome;
    });
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
    const outcome = await outcomeOf(runStatement(this.statements, this.request(s)));
    this.logger.info({ schedule: s.name, runId: outcome.runId, failed: outcome.failed }, 'schedule ran');
  }

  /** A tick's request: the statement as `schedule:<name>` with the admin role. */
  private request(s: ScheduleDefinition): RunRequest {
    const principal = `schedule:${s.name}`;
    return { statement: s.run, principal: { id: principal, name: principal, role: 'admin' }, callers: [{ name: principal }], yes: true };
  }
}
