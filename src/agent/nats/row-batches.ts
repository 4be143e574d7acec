import type { ResultRow } from '../../protocol/index.js';

/** At most this many rows per message, so a host with thousands of processes streams (as over WebSocket). */
export const ROWS_PER_MESSAGE = 500;

/**
 * A query's rows as encoded `rows` messages, each at most `maxBytes` long (NATS's `max_payload`,
 * 1 MiB by default: a larger publish is refused by the client). Rows are packed in order; a single
 * row that cannot fit in any message on its own is replaced by an `error` row for the same
 * resource saying so, so the control plane sees that resource fail rather than go missing.
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
      encoded = JSON.stringify(tooLarge(row, bytes, maxBytes));
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
