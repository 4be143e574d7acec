/**
 * Integrations with the ecosystem's systems, as `kind: integration` definitions configure them:
 * Alertmanager's notifications mapped to bot triggers on hosts (alertmanager.ts) and request
 * signatures (signature.ts). docs/integrations.md.
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
export { mapAlert, stripPort } from './alertmanager.js';
export { SIGNATURE_HEADER, SIGNATURE_MAX_AGE_SECONDS, TIMESTAMP_HEADER, sameText, sign, signatureProblem } from './signature.js';
