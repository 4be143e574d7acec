import type { FleetEvent, EventType } from '../../protocol/index.js';
import type { Channel } from './channel.js';
import { postJson } from './http-post.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signature.js';

/*
 * Signed webhooks (`kind: integration`, `type: webhook`): each event the integration subscribed to
 * is POSTed as `{"integration": <name>, "event": {...}}`, signed like the requests Breakwater takes
 * (signature.ts: HMAC-SHA256 over `<timestamp>.<body>`), with the event's id as the delivery id so a
 * receiver can drop a retry it already processed.
 */

/** The `events` names of a webhook definition -> the fleet's event types. */
export const WEBHOOK_EVENT_TYPES: Readonly<Record<string, readonly EventType[]>> = {
  fired: ['alarm_fired'],
  cleared: ['alarm_cleared'],
  escalated: ['escalated'],
  bot_ran: ['bot_ran'],
  bot_skipped: ['bot_skipped'],
  approval_requested: ['approval_requested'],
  approval_decided: ['approved', 'denied'],
  // Not an event of the timeline: failed deliveries are listed (GET /api/v1/deliveries), not posted.
  delivery_failed: [],
};

/** Sent with every delivery: the event's id, the same on each retry. */
export const DELIVERY_HEADER = 'x-breakwater-delivery';

export interface WebhookSettings {
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  /** The signing secret's value; undefined when the secret is not set (every delivery fails, saying so). */
  readonly secret: string | undefined;
  readonly secretName: string;
  /** Unix seconds now (tests fix it). */
  readonly nowSeconds?: () => number;
}

/**
 * A webhook channel.
 *
 * @example
 * const channel = webhookChannel({ name: 'ops-hook', url: 'https://hooks.example.com/bw', events: ['fired'], secret: 's3cret', secretName: 'hook-key' });
 */
export function webhookChannel(s: WebhookSettings): Channel {
  const types = new Set(s.events.flatMap((e) => WEBHOOK_EVENT_TYPES[e] ?? []));
  const nowSeconds = s.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    type: 'webhook',
    name: s.name,
    target: displayUrl(s.url),
    // A silenced alarm's events are recorded, not notified.
    wants: (e) => types.has(e.type) && e.details.silenced === undefined,
    async deliver(event: FleetEvent, signal: AbortSignal) {
      if (s.secret === undefined) return { ok: false, retry: false, error: `the signing secret \`${s.secretName}\` is not set: set it with \`breakwater secret set ${s.secretName}\`` };
      const body = JSON.stringify({ integration: s.name, event });
      const timestamp = nowSeconds();
      return postJson(s.url, body, { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: sign(s.secret, timestamp, body), [DELIVERY_HEADER]: event.id }, signal);
    },
  };
}

/** A URL as shown in records and logs: scheme, host and path; never a query string or credentials. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
