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

  it('cuts the longest text of a row too large for any frame, keeping its head and saying how much was dropped', () => {
    for (const char of ['y', 'é', '"', '\u0001']) {
      const stdout = char.repeat(5000);
      const big: ResultRow = { resource: { type: 'host', id: 'web-1', name: 'web-1', host: 'web-1' }, status: 'ok', values: { stdout, stderr: 'small', exitCode: 0 } };
      const frames = rowFrames('q', [proc(1), big, proc(3)], 1000);
      for (const f of frames) expect(Buffer.byteLength(f), char).toBeLessThanOrEqual(1000);
      const got = read(frames).flatMap((m) => m.rows);
      expect(got.map((r) => `${r.resource?.id}:${r.status}`)).toEqual(['web-1/1:ok', 'web-1:ok', 'web-1/3:ok']);
      const cut = String(got[1]?.values.stdout);
      const [, kept, dropped] = /\n\[breakwater: output cut to (\d+) bytes to fit one NATS message; (\d+) bytes dropped\]$/.exec(cut) ?? [];
      expect(Number(kept) + Number(dropped), char).toBe(Buffer.byteLength(stdout));
      expect(stdout.startsWith(cut.slice(0, cut.indexOf('\n[breakwater:'))), char).toBe(true);
      // Most of the room is used: the cut is not wildly more than needed.
      expect(Number(kept), char).toBeGreaterThan(300 / Buffer.byteLength(JSON.stringify(char)));
      expect(got[1]?.values).toMatchObject({ stderr: 'small', exitCode: 0 });
    }
  });

  it('replaces a row that cutting text cannot shrink enough by an error row for the same resource', () => {
    const many: ResultRow = { ...proc(2), values: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`v${i}`, i])) };
    const got = read(rowFrames('q', [proc(1), many, proc(3)], 1000)).flatMap((m) => m.rows);
    expect(got.map((r) => `${r.resource?.id}:${r.status}`)).toEqual(['web-1/1:ok', 'web-1/2:error', 'web-1/3:ok']);
    expect(got[1]?.error).toMatch(/^the row's \d{4} bytes do not fit in one NATS message \(max_payload 1000 bytes\)/);
    expect(got[1]?.values).toEqual({});
  });

  it('keeps every frame within the limit for hostile rows (bounded fuzz)', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const alphabet = ['a', 'é', '"', '\\', '\u0000', '😀', '\ud800'];
    for (let i = 0; i < 200; i++) {
      const values = Object.fromEntries(Array.from({ length: 1 + rand(6) }, (_, k) => [`k${k}`, rand(3) === 0 ? rand(1e6) : Array.from({ length: rand(3000) }, () => alphabet[rand(alphabet.length)]).join('')]));
      const max = 300 + rand(3000);
      const frames = rowFrames('q', [{ ...proc(i), values }], max);
      for (const f of frames) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(max);
      expect(read(frames).flatMap((m) => m.rows)).toHaveLength(1);
    }
  });
});
