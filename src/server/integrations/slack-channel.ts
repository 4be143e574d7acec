import type { AlarmDefinition, Definition } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import type { Channel, DeliveryOutcome } from './channel.js';
import type { AlarmEventType, SlackMessage } from './slack-blocks.js';
import { alarmMessage, approvalMessage } from './slack-blocks.js';
import type { SlackSenderOptions, SlackTarget } from './slack-sender.js';
import { SlackSender } from './slack-sender.js';

/*
 * A slack integration as one of the delivery engine's channels (channel.ts): alarms fired, cleared
 * and escalated, and approval requests with their buttons, posted once per attempt; the engine
 * retries (a 429's Retry-After passed on) and records what finally failed.
 */

const ALARM_TYPES: readonly string[] = ['alarm_fired', 'alarm_cleared', 'escalated'] satisfies readonly AlarmEventType[];

export interface SlackChannelOptions {
  readonly name: string;
  /** Where to post, its secret read; undefined when the secret has no value (each attempt then fails, saying which). */
  readonly target: SlackTarget | undefined;
  /** The secret that should hold the webhook URL or bot token, named in the failure when it has no value. */
  readonly secretName: string;
  /** The web UI's address, for links. */
  readonly webUrl: string;
  /** The link to the runbook of the alarm an event is about (runbookLink). */
  readonly runbookUrl?: (event: FleetEvent) => string | undefined;
  readonly sender?: Omit<SlackSenderOptions, 'attempts'>;
}

/**
 * The channel of a slack integration.
 *
 * @example
 * const channel = slackChannel({ name: 'ops-chat', target: { botToken, channel: '#ops' }, secretName: 'slack-bot-token', webUrl });
 */
export function slackChannel(o: SlackChannelOptions): Channel {
  // One try per attempt: retrying is the engine's.
  const sender = o.target && new SlackSender(o.target, { ...o.sender, attempts: 1 });
  return {
    type: 'slack',
    name: o.name,
    target: o.target === undefined ? 'slack (no value for its secret)' : 'webhookUrl' in o.target ? 'slack incoming webhook' : `slack chat.postMessage to ${o.target.channel}`,
    wants: (e) => ALARM_TYPES.includes(e.type) || e.type === 'approval_requested',
    async deliver(e, signal): Promise<DeliveryOutcome> {
      if (!sender) return { ok: false, retry: false, error: `secret \`${o.secretName}\` has no value: set it with \`breakwater secret set ${o.secretName}\`` };
      const d = await sender.send(slackMessageFor(e, o), signal);
      if (d.ok) return { ok: true };
      const retry = d.status === null || d.status === 408 || d.status === 429 || d.status >= 500;
      return { ok: false, retry, error: d.error, ...(d.status !== null ? { status: d.status } : {}), ...(d.retryAfterMs !== undefined ? { retryAfterMs: d.retryAfterMs } : {}) };
    },
  };
}

/** The message of an event the channel wants. */
export function slackMessageFor(e: FleetEvent, o: Pick<SlackChannelOptions, 'webUrl' | 'runbookUrl'>): SlackMessage {
  if (e.type === 'approval_requested') {
    const id = String(e.details.approval ?? '');
    return approvalMessage({ id, bot: e.bot ?? '?', action: e.action ?? '?', resource: e.resource ?? e.host ?? '?', statement: String(e.details.statement ?? '') }, o);
  }
  return alarmMessage(e as FleetEvent & { type: AlarmEventType }, { webUrl: o.webUrl, runbookUrl: o.runbookUrl?.(e) });
}

/**
 * An alarm's `runbook` as a link: a URL as it is, a stored runbook's name to the web UI's Runbooks
 * page with the event's host and alarm (as the web UI's own alarm rows link it).
 *
 * @example
 * slackChannel({ ..., runbookUrl: runbookLink(definitions, 'https://bw.example.com') })
 */
export function runbookLink(definitions: readonly Definition[], webUrl: string): (event: FleetEvent) => string | undefined {
  return (e) => {
    const alarm = definitions.find((d): d is AlarmDefinition => d.kind === 'alarm' && d.name === e.alarm);
    if (!alarm?.runbook) return undefined;
    if (/^https?:\/\//i.test(alarm.runbook)) return alarm.runbook;
    const q = new URLSearchParams({ runbook: alarm.runbook, alarm: alarm.name, ...(e.host ? { host: e.host } : {}) });
    return `${webUrl}/runbooks?${q.toString()}`;
  };
}
