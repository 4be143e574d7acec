import type { Definition, IntegrationDefinition } from '../../definitions/index.js';
import type { Channel, SecretLookup } from './channel.js';
import { pagerDutyChannel } from './pagerduty.js';
import { runbookLink, slackChannel } from './slack-channel.js';
import type { SlackTarget } from './slack-sender.js';
import { webhookChannel } from './webhook.js';

/** Settings of the outbound channels that are the server's, not a definition's. */
export interface ChannelSettings {
  /** PagerDuty's Events API v2 endpoint (default PAGERDUTY_EVENTS_URL). */
  readonly pagerdutyUrl?: string | undefined;
  /** The web UI's address, for links in Slack messages. */
  readonly webUrl: string;
}

/**
 * The outbound channels of a definition set: one per `webhook`, `pagerduty` and posting `slack`
 * integration (a slack one with neither a webhook URL nor a bot token only takes commands), its
 * secrets read now (a secret set later is used from the next event on).
 *
 * @example
 * const channels = outboundChannels(current.definitions().definitions, (n) => secrets.valuesOf([n])[n], { webUrl: 'https://bw.example.com' });
 */
export function outboundChannels(definitions: readonly Definition[], secret: SecretLookup, settings: ChannelSettings): Channel[] {
  const out: Channel[] = [];
  for (const d of integrationsOf(definitions)) {
    if (d.type === 'webhook') out.push(webhookChannel({ name: d.name, url: d.url, events: d.events, secret: secret(d.signingSecret), secretName: d.signingSecret }));
    else if (d.type === 'pagerduty') out.push(pagerDutyChannel({ name: d.name, routingKey: secret(d.routingKey), secretName: d.routingKey, severity: d.severity, ...(settings.pagerdutyUrl ? { url: settings.pagerdutyUrl } : {}) }));
    else if (d.type === 'slack' && (d.webhookUrl ?? d.botToken) !== undefined) out.push(slackChannel({ name: d.name, ...slackTarget(d, secret), webUrl: settings.webUrl, runbookUrl: runbookLink(definitions, settings.webUrl) }));
  }
  return out;
}

/** Where a slack integration posts: its incoming webhook, else chat.postMessage with its bot token; undefined while the secret has no value. */
function slackTarget(d: Extract<IntegrationDefinition, { type: 'slack' }>, secret: SecretLookup): { target: SlackTarget | undefined; secretName: string } {
  if (d.webhookUrl !== undefined) {
    const url = secret(d.webhookUrl);
    return { target: url === undefined ? undefined : { webhookUrl: url }, secretName: d.webhookUrl };
  }
  const token = d.botToken === undefined ? undefined : secret(d.botToken);
  return { target: token === undefined ? undefined : { botToken: token, channel: d.channel ?? '' }, secretName: d.botToken ?? '' };
}

// Called per event: the scan of a large definition set for its few integrations is done once per set.
const INTEGRATIONS = new WeakMap<readonly Definition[], readonly IntegrationDefinition[]>();

function integrationsOf(definitions: readonly Definition[]): readonly IntegrationDefinition[] {
  let found = INTEGRATIONS.get(definitions);
  if (!found) {
    found = definitions.filter((d): d is IntegrationDefinition => d.kind === 'integration');
    INTEGRATIONS.set(definitions, found);
  }
  return found;
}
