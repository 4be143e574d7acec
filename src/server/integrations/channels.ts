import type { Definition, IntegrationDefinition } from '../../definitions/index.js';
import type { Channel, SecretLookup } from './channel.js';
import { pagerDutyChannel } from './pagerduty.js';
import { webhookChannel } from './webhook.js';

/** Settings of the outbound channels that are the server's, not a definition's. */
export interface ChannelSettings {
  /** PagerDuty's Events API v2 endpoint (default PAGERDUTY_EVENTS_URL). */
  readonly pagerdutyUrl?: string | undefined;
}

/**
 * The outbound channels of a definition set: one per `webhook` and `pagerduty` integration, its
 * secrets read now (a secret set later is used from the next event on). Other types have no
 * outbound channel here (Slack plugs its own in beside these).
 *
 * @example
 * const channels = outboundChannels(current.definitions().definitions, (n) => secrets.valuesOf([n])[n], {});
 */
export function outboundChannels(definitions: readonly Definition[], secret: SecretLookup, settings: ChannelSettings): Channel[] {
  const out: Channel[] = [];
  for (const d of integrationsOf(definitions)) {
    if (d.type === 'webhook') out.push(webhookChannel({ name: d.name, url: d.url, events: d.events, secret: secret(d.signingSecret), secretName: d.signingSecret }));
    else if (d.type === 'pagerduty') out.push(pagerDutyChannel({ name: d.name, routingKey: secret(d.routingKey), secretName: d.routingKey, severity: d.severity, ...(settings.pagerdutyUrl ? { url: settings.pagerdutyUrl } : {}) }));
  }
  return out;
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
