/**
 * The agent protocol and the API's shared shapes: versioned messages with
 * their schemas, result rows, the query answer's lines and their reader, and
 * the error catalogue. Pure: no I/O.
 *
 * @example
 * const r = decode(AgentMessage, frame);
 * if (!r.ok) conn.send({ type: 'error', code: 'BW_ERR_PROTOCOL', message: r.error });
 */
export * from './errors.js';
export * from './messages.js';
export { check, decode, describeIssue, describeIssues, type Decoded } from './decode.js';
export * from './rows.js';
export * from './tags.js';
export { MAX_TAGS_TEXT, RESOURCE_VALUES_STATEMENTS, completionValues, parseTagsText, tagsText } from './resource-tags.js';
export * from './present.js';
export * from './event-text.js';
export * from './redact.js';
export * from './runs.js';
export * from './audit.js';
export type { Delivery } from './deliveries.js';
export type { Approval, ApprovalStatus, BotRun, BotState, BotSwitch, BreakerState, Maintenance, ScheduleState, Silence, Switches } from './operating.js';
export type { ErrorLine, PlanLine, ProgressLine, QueryDiagnostic, QueryLine, RolloutOutcome, RowLine, SummaryLine, TargetsLine } from './query-stream.js';
export { EXPLAINED_BATCHES, EXPLAINED_NAMES, RunExplanation } from './run-explanation.js';
export { MAX_QUERY_LINE_CHARS, QueryStreamReader, readQueryStream } from './query-stream-reader.js';
export * from './nats-subjects.js';
export { payloadText } from './payload.js';
export { orderedId } from './ordered-id.js';
export { EnrollRequest, EnrollResponse, MAX_NATS_JWT_CHARS, NATS_USER_PUBLIC_KEY, NatsCredentialRequest, NatsCredentialResponse, natsCredsFile } from './enroll.js';
export { WEB_PAGES, isWebPage } from './web-pages.js';
export { AlertmanagerAlert, AlertmanagerNotification, MAX_ALERTMANAGER_ALERTS, MAX_ALERT_LABELS } from './alertmanager.js';
export { SLACK_ACTIONS, SlackCommand, SlackInteraction } from './slack.js';
export { AlarmPrediction, MAX_PREDICTED_SECONDS, approximately, describePrediction, predictionProblem } from './prediction.js';
