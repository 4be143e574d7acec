import type { Catalogue } from '../../lang/index.js';
import type { EventBus } from '../event-bus.js';
import type { SecretVault } from '../secrets/index.js';
import type { ApprovalDecisions } from './approval-decisions.js';
import type { Automation } from './automation.js';
import type { Backtests } from './backtests.js';
import type { ControlChanges } from './control-changes.js';
import type { CurrentDefinitions, DefinitionsVersion } from './current-definitions.js';
import type { DefinitionChanges } from './definition-changes.js';
import type { EventIntake } from './event-intake.js';
import type { Schedules } from './schedules.js';

/**
 * Remediation as the HTTP API uses it: the definitions (read, plan, apply, push, drift), approval
 * decisions, back-tests, the live event bus, the secrets, and the state of bots and schedules.
 *
 * @example
 * const planned = ctx.remediation.plan(files);
 * const { version } = await ctx.remediation.apply(files, planned.baseVersion, principal);
 */
export interface Remediation {
  /** Each event the first time it is stored, for live subscribers (GET /api/v1/events/stream). */
  readonly bus: EventBus;
  /** The secrets' values, for delivery to agents and redaction. */
  readonly secrets: SecretVault;
  definitions(): DefinitionsVersion;
  /** The language catalogue with the fleet's custom metrics and actions. */
  catalogue(): Catalogue;
  plan: DefinitionChanges['plan'];
  apply: DefinitionChanges['apply'];
  /** A secret's value was set here: sends it to the agents in its scope and tells the other replicas. */
  secretChanged(): void;
  /** Each agent's definitions version against the current one, and the bots switched off there (drift from the definitions until switched on or re-applied). */
  drift(): (ReturnType<DefinitionChanges['drift']>[number] & { switchedOff: string[] })[];
  decide: ApprovalDecisions['decide'];
  backtest: Backtests['run'];
  /** Each bot's limits and what the fleet did with them (the breaker's window, cooldowns, last run). */
  bots: Automation['bots'];
  /** Each schedule's timing, next and last run. */
  schedules: Automation['schedules'];
  runSchedule: Schedules['runNow'];
  /** Silences, the maintenance switch and bots' kill switches. */
  readonly controls: ControlChanges;
}

/** The parts behind {@link Remediation}, each built by the server's wiring. */
export interface RemediationParts {
  readonly intake: EventIntake;
  readonly secrets: SecretVault;
  readonly current: CurrentDefinitions;
  readonly changes: DefinitionChanges;
  readonly decisions: ApprovalDecisions;
  readonly backtests: Backtests;
  readonly automation: Automation;
  readonly schedules: Schedules;
  readonly controls: ControlChanges;
}

/** The API's view of the remediation parts. */
export function remediationApi(parts: RemediationParts): Remediation {
  const { intake, secrets, current, changes, decisions, backtests, automation, schedules, controls } = parts;
  return {
    bus: intake.bus,
    secrets,
    definitions: () => current.definitions(),
    catalogue: () => current.catalogue(),
    plan: (files) => changes.plan(files),
    apply: (files, baseVersion, who) => changes.apply(files, baseVersion, who),
    secretChanged: () => changes.secretChanged(),
    drift: () => {
      const off = controls.state().disabledBots.map((s) => s.name);
      return changes.drift().map((row) => ({ ...row, switchedOff: row.connected ? off : [] }));
    },
    decide: (id, approve, who) => decisions.decide(id, approve, who),
    backtest: (alarm, seconds, timeoutMs) => backtests.run(alarm, seconds, timeoutMs),
    bots: () => automation.bots(),
    schedules: () => automation.schedules(),
    runSchedule: (name, who) => schedules.runNow(name, who),
    controls,
  };
}
