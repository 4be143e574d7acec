import type { ResultRow } from '../../protocol/index.js';

/** At most this many rows per message, so a host with thousands of processes streams (as over WebSocket). */
export const ROWS_PER_MESSAGE = 500;

/**
 * A query's rows as encoded `rows` messages, each at most `maxBytes` long (NATS's `max_payload`,
 * 1 MiB by default: a larger publish is refused by the client). Rows are packed in order. A single
 * row that cannot fit in any message on its own has its longest text values cut, with a marker
 * (a command's output may be as large as max_payload: the user keeps what fits, as on WebSocket);
 * failing that it is replaced by an `error` row for the same resource saying so, so the control
 * plane sees that resource fail rather than go missing.
 *
 * @example
 * for (const frame of rowFrames('q-1', rows, nc.info?.max_payload ?? 1_048_576)) nc.publish(reply, frame);
 */
export function rowFrames(query: string, rows: readonly ResultRow[], maxBytes: number): string[] {
  const head = `{"type":"rows","query":${JSON.stringify(query)},"rows":[`;
  const tail = ']}';
  const room = maxBytes - byteLength(head) - byteLength(tail);
  const frames: string[] = [];
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length) frames.push(`${head}${batch.join(',')}${tail}`);
    batch = [];
    size = 0;
  };
  for (const row of rows) {
    let encoded = JSON.stringify(row);
    let bytes = byteLength(encoded);
    if (bytes > room) {
      encoded = JSON.stringify(cutToFit(row, room) ?? tooLarge(row, bytes, maxBytes));
      bytes = byteLength(encoded);
    }
    // +1 for the comma that joins it to the batch.
    if (batch.length && (size + 1 + bytes > room || batch.length >= ROWS_PER_MESSAGE)) flush();
    size += (batch.length ? 1 : 0) + bytes;
    batch.push(encoded);
  }
  flush();
  return frames;
}

/** Attempts at cutting a row: each measures the encoded overshoot again (escapes make bytes ≠ characters). */
const CUT_ATTEMPTS = 4;

/**
 * The row with its longest string values cut (head kept, a marker appended) until it encodes in
 * `room` bytes, or undefined when cutting text cannot make it fit (many small values, say).
 */
function cutToFit(row: ResultRow, room: number): ResultRow | undefined {
  const values: ResultRow['values'] = { ...row.values };
  // The head kept of each value cut so far: a second cut shortens the head, not head + marker.
  const heads = new Map<string, string>();
  for (let attempt = 0; attempt <= CUT_ATTEMPTS; attempt++) {
    const current = { ...row, values };
    const excess = byteLength(JSON.stringify(current)) - room;
    if (excess <= 0) return current;
    if (attempt === CUT_ATTEMPTS) return undefined;
    const longest = Object.entries(values)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (!longest) return undefined;
    const [key, value] = longest;
    const original = row.values[key] as string;
    const text = heads.get(key) ?? value;
    const textBytes = byteLength(JSON.stringify(text));
    const longestMarker = cutMarker(byteLength(original), byteLength(original));
    // Bytes of text to keep so that the value, marker included, shrinks by the excess; made into
    // characters by the text's own bytes per character.
    const keepBytes = byteLength(JSON.stringify(value)) - excess - byteLength(JSON.stringify(longestMarker));
    if (keepBytes <= 0) return undefined;
    const head = text.slice(0, Math.floor((text.length * keepBytes) / textBytes));
    heads.set(key, head);
    values[key] = head + cutMarker(byteLength(head), byteLength(original) - byteLength(head));
  }
  return undefined;
}

function cutMarker(kept: number, dropped: number): string {
  return `\n[breakwater: output cut to ${kept} bytes to fit one NATS message; ${dropped} bytes dropped]`;
}

function tooLarge(row: ResultRow, bytes: number, maxBytes: number): ResultRow {
  return {
    ...(row.resource ? { resource: row.resource } : {}),
    status: 'error',
    error: `the row's ${bytes} bytes do not fit in one NATS message (max_payload ${maxBytes} bytes); its values were dropped`,
    values: {},
  };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
