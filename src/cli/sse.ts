import { BreakwaterError } from '../protocol/index.js';

/** One server-sent event: its `data` lines joined, its `event` type (default `message`), its `id` when it has one. */
export interface SseMessage {
  readonly event: string;
  readonly id?: string;
  readonly data: string;
}

/** The longest event this reader holds (the control plane's events are a few kilobytes). */
export const MAX_SSE_EVENT_CHARS = 1_000_000;

/**
 * The events of a `text/event-stream` body, as its text arrives in chunks split anywhere: lines
 * end with LF, CRLF or CR, a blank line ends an event, comments (`:`) and fields other than
 * `data`, `event` and `id` are skipped, events without data are not yielded (the WHATWG rules). An event
 * longer than `maxChars` is BW_ERR_PROTOCOL, not unbounded memory.
 *
 * @example
 * for await (const m of serverSentEvents(textChunks)) show(JSON.parse(m.data));
 */
export async function* serverSentEvents(chunks: AsyncIterable<string>, maxChars = MAX_SSE_EVENT_CHARS): AsyncGenerator<SseMessage> {
  let buffer = '';
  let data: string[] | undefined;
  let size = 0;
  let id: string | undefined;
  let event = 'message';
  const message = (lines: readonly string[]): SseMessage => ({ event, ...(id === undefined ? {} : { id }), data: lines.join('\n') });
  for await (const chunk of chunks) {
    buffer += chunk;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      // A CR at the very end may be half of a CRLF: wait for the next chunk to know.
      if (end < 0 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data) yield message(data);
        data = undefined;
        size = 0;
        event = 'message';
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'data') {
        size += value.length + 1;
        (data ??= []).push(value);
      } else if (field === 'event') event = value || 'message';
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
    if (size + buffer.length > maxChars) throw new BreakwaterError('BW_ERR_PROTOCOL', `an event of the control plane's stream is longer than ${maxChars} characters; the stream was left`);
  }
  // The text ended on a CR: no LF can follow, so it ended a blank line, and with it the event.
  if (buffer === '\r' && data) yield message(data);
}
