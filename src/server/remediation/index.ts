/**
 * The control plane's side of remediation, one part per duty: the definitions in force and changes
 * to them, event intake, approvals and their decisions, schedules, back-tests, and the hooks that
 * connect the agents' traffic to them. src/server/wire.ts builds them in order.
 *
 * @example
 * const intake = new EventIntake(store, notifier);
 * const gateway = new AgentGateway({ store, logger, heartbeatMs, hooks: agentHooks({ current, intake, secrets, breaker, approvals, backtests: replies }) });
 */
export type { AgentHookParts } from './agent-hooks.js';
export { agentHooks } from './agent-hooks.js';
export type { ApprovalDecisionsParts } from './approval-decisions.js';
export { ApprovalDecisions } from './approval-decisions.js';
export type { ApprovalsParts } from './approvals.js';
export { APPROVAL_SWEEP_MS, Approvals } from './approvals.js';
export { BACKTEST_TIMEOUT_MS, BacktestReplies, Backtests } from './backtests.js';
export type { AutomationParts, BotState } from './automation.js';
export { Automation, describeTrigger, schedulePrincipal } from './automation.js';
export type { ControlChangesParts, NewSilence } from './control-changes.js';
export { ControlChanges, RECENT_SILENCES_MS } from './control-changes.js';
export type { AgentControls } from './controls.js';
export { Controls, hostSelection } from './controls.js';
export type { DefinitionsVersion } from './current-definitions.js';
export { CurrentDefinitions } from './current-definitions.js';
export type { DefinitionChangesParts, DefinitionFile } from './definition-changes.js';
export { DefinitionChanges } from './definition-changes.js';
export type { NewEvent } from './event-intake.js';
export { EventIntake } from './event-intake.js';
export type { Remediation, RemediationParts } from './remediation-api.js';
export { remediationApi } from './remediation-api.js';
export type { ScheduleHold } from './schedules.js';
export { Schedules } from './schedules.js';
