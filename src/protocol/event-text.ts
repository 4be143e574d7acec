/**
 * The events' text filter as the API applies it (GET /api/v1/events?text=), for the events that
 * arrive on a stream after the filtered page: the CLI's `get events --grep --watch` and the web UI.
 */

/** The fields of an event the text filter reads. */
export interface EventTextFields {
  readonly host?: string | null | undefined;
  readonly alarm?: string | null | undefined;
  readonly bot?: string | null | undefined;
  readonly message?: string | null | undefined;
}

/**
 * Whether an event's host, alarm, bot or message contains `text`, in any case (`%` and `_` are
 * ordinary characters, as in the API).
 *
 * @example
 * eventMentions({ host: 'web-1', message: 'disk at 95%' }, 'WEB') // true
 */
export function eventMentions(event: EventTextFields, text: string): boolean {
  const needle = text.toLowerCase();
  return [event.host, event.alarm, event.bot, event.message].some((v) => typeof v === 'string' && v.toLowerCase().includes(needle));
}
