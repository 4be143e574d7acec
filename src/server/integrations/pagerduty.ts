import { createHash } from 'node:crypto';
import type { FleetEvent } from '../../protocol/index.js';
import type { Channel } from './channel.js';
import { postJson } from './http-post.js';
import { displayUrl } from './webhook.js';

/*
 * PagerDuty's Events API v2 (`kind: integration`, `type: pagerduty`): an alarm firing or escalated
 * triggers an alert, its clearing resolves it; the dedup key (alarm + resource) ties the three to
 * one PagerDuty incident. PagerDuty's 400 names what it refused (`errors`): that text is kept, with
 * the routing key taken out should it be repeated.
 */

/** Where events go unless the server is told otherwise (`--pagerduty-url`, tests on loopback). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
const PD_SEVERITIES: readonly string[] = ['critical', 'error', 'warning', 'info'];

export interface PagerDutySettings {
  readonly name: string;
  /** The routing key's value; undefined when its secret is not set. */
  readonly routingKey: string | undefined;
  readonly secretName: string;
  readonly severity: Readonly<Record<'info' | 'warning' | 'critical', PagerDutySeverity>>;
  readonly url?: string;
}

/** The Events API v2 body for an event: trigger (fired, escalated) or resolve (cleared). */
export type PagerDutyEvent =
  | {
      readonly routing_key: string;
      readonly event_action: 'trigger';
      readonly dedup_key: string;
      readonly payload: {
        readonly summary: string;
        readonly source: string;
        readonly severity: PagerDutySeverity;
        readonly timestamp: string;
        readonly component: string;
        readonly group: string;
        readonly class: string;
        readonly custom_details: Readonly<Record<string, unknown>>;
      };
      readonly client: string;
    }
  | { readonly routing_key: string; readonly event_action: 'resolve'; readonly dedup_key: string };

const PD_TYPES: ReadonlySet<string> = new Set(['alarm_fired', 'escalated', 'alarm_cleared']);

/**
 * The dedup key of an alarm on a resource: the same for its trigger, escalation and resolution.
 * PagerDuty takes at most 255 characters: a longer key is replaced by its hash.
 *
 * @example
 * dedupKey({ alarm: 'disk-full', resource: 'web-1:/data', host: 'web-1' }) // 'breakwater/disk-full/web-1:/data'
 */
export function dedupKey(e: Pick<FleetEvent, 'alarm' | 'resource' | 'host'>): string {
  const key = `breakwater/${e.alarm ?? ''}/${e.resource ?? e.host ?? ''}`;
  return key.length <= 255 ? key : `breakwater/sha256/${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * The body sent for an event.
 *
 * @example
 * pagerDutyEvent(event, 'R0UT1NGKEY', { info: 'info', warning: 'warning', critical: 'critical' })
 */
export function pagerDutyEvent(event: FleetEvent, routingKey: string, map: PagerDutySettings['severity']): PagerDutyEvent {
  const dedup_key = dedupKey(event);
  if (event.type === 'alarm_cleared') return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  const sev = event.severity ?? '';
  const severity: PagerDutySeverity = sev in map ? map[sev as keyof typeof map] : PD_SEVERITIES.includes(sev) ? (sev as PagerDutySeverity) : 'error';
  const source = event.host ?? event.resource ?? 'breakwater';
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: (event.message || `${event.alarm ?? 'alarm'} on ${source}`).slice(0, 1024),
      source,
      severity,
      timestamp: new Date(event.time).toISOString(),
      component: event.alarm ?? '',
      group: event.host ?? '',
      class: event.type,
      custom_details: { resource: event.resource, value: event.value, severity: event.severity, escalated: event.type === 'escalated', breakwater_event: event.id },
    },
    client: 'Breakwater',
  };
}

/**
 * A PagerDuty channel.
 *
 * @example
 * const channel = pagerDutyChannel({ name: 'pd', routingKey: key, secretName: 'pd-key', severity: map });
 */
export function pagerDutyChannel(s: PagerDutySettings): Channel {
  const url = s.url ?? PAGERDUTY_EVENTS_URL;
  return {
    type: 'pagerduty',
    name: s.name,
    target: displayUrl(url),
    wants: (e) => PD_TYPES.has(e.type) && e.alarm !== null && e.details.silenced === undefined,
    async deliver(event: FleetEvent, signal: AbortSignal) {
      const key = s.routingKey;
      if (key === undefined) return { ok: false, retry: false, error: `the routing key secret \`${s.secretName}\` is not set: set it with \`breakwater secret set ${s.secretName}\`` };
      return postJson(url, JSON.stringify(pagerDutyEvent(event, key, s.severity)), {}, signal, (status, answer) => refusalText(status, answer).split(key).join('<routing key>'));
    },
  };
}

/** PagerDuty's answer to a refused event: `{"status":"invalid event","message":"Event object is invalid","errors":["..."]}`. */
export function refusalText(status: number, answer: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    return `PagerDuty answered HTTP ${status}`;
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { message?: unknown; errors?: unknown };
  const message = typeof o.message === 'string' ? o.message : '';
  const errors = Array.isArray(o.errors) ? o.errors.filter((e): e is string => typeof e === 'string').slice(0, 5) : [];
  const said = [message, ...errors].filter(Boolean).join('; ');
  return `PagerDuty answered HTTP ${status}${said ? `: ${said}` : ''}`;
}
