/**
 * Integrations with the ecosystem's systems, as `kind: integration` definitions configure them:
 * Alertmanager's notifications mapped to bot triggers on hosts (alertmanager.ts; the pods they
 * name found on the fleet, pod-hosts.ts) and request signatures (signature.ts); Slack's users,
 * commands, Block Kit messages and sender (slack*.ts).
 * docs/integrations.md.
 *
 * @example
 * const mapped = mapAlert(integration, alert, notification, fleet.inventory(), bots);
 * if (mapped.ok) fleet.sendTo(mapped.host, { type: 'alert', name: mapped.alert, context: mapped.context });
 */
export type { AlertmanagerIntegration, MappedAlert } from './alertmanager.js';
export type { Channel, DeliveryOutcome, SecretLookup } from './channel.js';
export type { ChannelSettings } from './channels.js';
export { outboundChannels } from './channels.js';
export { postJson, retryAfterMs } from './http-post.js';
export type { OutboundDeps, OutboundLimits } from './outbound.js';
export { DEFAULT_OUTBOUND_LIMITS, OutboundDelivery, backoffMs } from './outbound.js';
export { PAGERDUTY_EVENTS_URL, dedupKey, pagerDutyChannel, pagerDutyEvent } from './pagerduty.js';
export { DELIVERY_HEADER, WEBHOOK_EVENT_TYPES, displayUrl, webhookChannel } from './webhook.js';
export { MAX_POD_LOOKUPS, mapAlert, mapNotification, stripPort } from './alertmanager.js';
export type { FindPod, PodRef } from './pod-hosts.js';
export { podFinder } from './pod-hosts.js';
export { SIGNATURE_HEADER, SIGNATURE_MAX_AGE_SECONDS, SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, TIMESTAMP_HEADER, sameText, sign, signatureProblem, slackSign, slackSignatureProblem } from './signature.js';
export type { SlackIntegration, SlackRequest } from './slack.js';
export { slackHelp, slackPrincipal, slackRequest, slackResponseProblem } from './slack.js';
export type { AlarmEventType, RunAnswer, SlackBlock, SlackMessage } from './slack-blocks.js';
export { SLACK_MAX_BLOCKS, SLACK_MAX_BUTTON_VALUE, SLACK_MAX_SECTION_CHARS, alarmMessage, approvalMessage, confirmMessage, decisionMessage, mrkdwnEscape, noticeMessage, runMessage, section } from './slack-blocks.js';
export type { Post, SlackDelivery, SlackSenderOptions, SlackTarget } from './slack-sender.js';
export { SlackSender, retryAfter } from './slack-sender.js';
export type { SlackChannelOptions } from './slack-channel.js';
export { runbookLink, slackChannel, slackMessageFor } from './slack-channel.js';
