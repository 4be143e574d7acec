import { describe, expect, it } from 'vitest';

import type { ResultRow } from '../../protocol/index.js';
import { RowsMessage, decode } from '../../protocol/index.js';
import { ROWS_PER_MESSAGE, rowFrames } from './row-batches.js';

/*
 * rowFrames: a query's rows as `rows` messages that each fit in one NATS message. Every frame is
 * read back with the protocol's own schema, as the control plane reads it.
 */

const proc = (pid: number, cmdline = 'x'): ResultRow => ({ resource: { type: 'process', id: `web-1/${pid}`, name: 'p', host: 'web-1' }, status: 'ok', values: { pid, cmdline } });
const read = (frames: readonly string[]) =>
  frames.map((f) => {
    const decoded = decode(RowsMessage, f);
    if (!decoded.ok) throw new Error(decoded.error);
    return decoded.message;
  });

describe('rowFrames', () => {
  it('sends nothing for no rows, one frame for a few', () => {
    expect(rowFrames('q', [], 1024)).toEqual([]);
    const frames = rowFrames('q', [proc(1), proc(2)], 1024);
    expect(read(frames)).toEqual([{ type: 'rows', query: 'q', rows: [proc(1), proc(2)] }]);
  });

  it('keeps every frame within the byte limit, the rows in order and none lost', () => {
    const rows = Array.from({ length: 300 }, (_, i) => proc(i, 'é'.repeat(i % 50)));
    const max = 2000;
    const frames = rowFrames('q-1', rows, max);
    expect(frames.length).toBeGreaterThan(10);
    for (const f of frames) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(max);
    expect(read(frames).flatMap((m) => m.rows)).toEqual(rows);
  });

  it(`puts at most ${ROWS_PER_MESSAGE} rows in one frame, however small`, () => {
    const rows = Array.from({ length: ROWS_PER_MESSAGE * 2 + 1 }, (_, i) => proc(i));
    expect(read(rowFrames('q', rows, 1024 * 1024)).map((m) => m.rows.length)).toEqual([ROWS_PER_MESSAGE, ROWS_PER_MESSAGE, 1]);
  });

  it('replaces a row too large for any frame by an error row for the same resource', () => {
    const rows = [proc(1), proc(2, 'y'.repeat(5000)), proc(3)];
    const frames = rowFrames('q', rows, 1000);
    const got = read(frames).flatMap((m) => m.rows);
    expect(got.map((r) => `${r.resource?.id}:${r.status}`)).toEqual(['web-1/1:ok', 'web-1/2:error', 'web-1/3:ok']);
    expect(got[1]?.error).toMatch(/^the row's 5\d{3} bytes do not fit in one NATS message \(max_payload 1000 bytes\)/);
    expect(got[1]?.values).toEqual({});
  });
});
