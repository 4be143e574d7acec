import type { ErrorCode, EventTextFields } from '../protocol/index.js';
import { BreakwaterError, ERROR_CODES, eventMentions } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson, request, responseText } from './api.js';
import type { Io } from './io.js';
import type { Listing } from './listing.js';
import { printListing } from './listing.js';
import type { OutputFormat } from './output-format.js';
import { serverSentEvents } from './sse.js';
import { untilInterrupted, watchPrinter } from './watch.js';

const EVENTS: Listing = {
  columns: [
    ['TIME', (e) => new Date(Number(e.time)).toISOString().replace('T', ' ').replace('Z', '')],
    ['TYPE', (e) => String(e.type)],
    ['HOST', (e) => String(e.host ?? '-')],
    ['MESSAGE', (e) => String(e.message)],
  ],
  wide: [
    ['ID', (e) => String(e.id)],
    ['BY', (e) => String(e.principal ?? '-')],
  ],
  name: (e) => `event/${String(e.id)}`,
};

export interface EventsOptions {
  readonly format: OutputFormat;
  readonly limit?: number;
  readonly type?: string;
  /** Only events whose host, alarm, bot or message contains this text, in any case (the API's `text`). */
  readonly grep?: string;
  /** Keep printing new events until Ctrl-C. */
  readonly watch?: boolean;
}

/** `breakwater get events [--type T] [--grep TEXT] [--limit N] [--watch]`: newest first; with --watch, oldest first and then each new one. */
export async function eventsCommand(ep: Endpoint, options: EventsOptions, io: Io): Promise<number> {
  const q = new URLSearchParams();
  if (options.limit) q.set('limit', String(options.limit));
  if (options.type) q.set('type', options.type);
  if (options.grep) q.set('text', options.grep);
  const list = () => getJson<Record<string, unknown>[]>(ep, `/api/v1/events${q.size ? `?${q}` : ''}`);
  if (!options.watch) {
    await printListing(io, options.format, await list(), EVENTS);
    return 0;
  }
  const stop = untilInterrupted();
  try {
    // The stream first, then the page: an event stored in between is in one or the other (or both: shown once).
    const stream = await request(ep, 'GET', '/api/v1/events/stream', undefined, stop.signal);
    const listed = (await list()).reverse();
    const seen = new Set(listed.map((e) => String(e.id)));
    const out = watchPrinter(io, options.format, EVENTS);
    await out.start(listed);
    for await (const message of serverSentEvents(responseText(stream.body))) {
      const event = parseEvent(message.data);
      if (message.event === 'error') {
        const code = String(event.code) in ERROR_CODES ? (event.code as ErrorCode) : 'BW_ERR_UNAVAILABLE';
        throw new BreakwaterError(code, `the control plane ended the event stream: ${String(event.message)}`);
      }
      if (seen.has(String(event.id)) || (options.type && event.type !== options.type) || (options.grep && !eventMentions(event as EventTextFields, options.grep))) continue;
      await out.item(event);
    }
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', 'the control plane ended the event stream (it stopped or restarted); run the command again to go on watching');
  } catch (err) {
    if (stop.signal.aborted) return 0;
    throw err;
  } finally {
    stop.done();
  }
}

function parseEvent(data: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BreakwaterError('BW_ERR_PROTOCOL', `the event stream sent something that is not an event: ${JSON.stringify(data.slice(0, 80))}`);
  return value as Record<string, unknown>;
}
