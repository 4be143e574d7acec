import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BreakwaterError } from '../protocol/index.js';
import type { SseMessage } from './sse.js';
import { serverSentEvents } from './sse.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

/** The chunks as an async iterable, as a response body gives them. */
async function* chunked(chunks: readonly string[]): AsyncGenerator<string> {
  for (const c of chunks) yield c;
}

const all = async (chunks: readonly string[], max?: number) => {
  const out: SseMessage[] = [];
  for await (const m of serverSentEvents(chunked(chunks), max)) out.push(m);
  return out;
};

/** What the control plane sends: a comment, events with ids, a heartbeat, a last error event. */
const STREAM = ': connected\n\nid: e1\ndata: {"type":"agent_joined"}\n\n: heartbeat\n\nid: e2\ndata: {"a":\ndata: 1}\n\nevent: error\ndata: {"type":"error","code":"BW_ERR_SLOW_READER"}\n\n';

describe('serverSentEvents', () => {
  it("reads the control plane's stream: comments skipped, data lines joined, ids and the error event kept", async () => {
    expect(await all([STREAM])).toEqual([
      { event: 'message', id: 'e1', data: '{"type":"agent_joined"}' },
      { event: 'message', id: 'e2', data: '{"a":\n1}' },
      // The last event id stays, as the standard says.
      { event: 'error', id: 'e2', data: '{"type":"error","code":"BW_ERR_SLOW_READER"}' },
    ]);
  });

  it('takes CRLF and CR line ends, a CRLF split between chunks included, and no space after the colon', async () => {
    expect(await all(['data:x\r', '\n\r\ndata: y\r\r'])).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
  });

  it('yields nothing for an event never ended by a blank line', async () => {
    expect(await all(['data: half'])).toEqual([]);
  });

  it('refuses an event longer than its limit with BW_ERR_PROTOCOL, not unbounded memory', async () => {
    const err = await all([`data: ${'x'.repeat(50)}`, 'x'.repeat(60)], 100).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BreakwaterError);
    expect((err as BreakwaterError).code).toBe('BW_ERR_PROTOCOL');
  });

  it('reads the same events however the text is cut into chunks', async () => {
    const whole = await all([STREAM]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(STREAM.length), { maxLength: 12 }), async (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [...at, STREAM.length].map((end, i) => STREAM.slice(i === 0 ? 0 : at[i - 1], end));
        expect(await all(chunks)).toEqual(whole);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('hostile text never throws anything but BW_ERR_PROTOCOL, and holds at most its limit', async () => {
    const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('\n', '\r', '\r\n', 'data:', 'data: ', 'id: \u0000', 'event:', ':', '\n\n', 'x'.repeat(90)));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (chunks) => {
        try {
          for (const m of await all(chunks, 200)) expect(m.data.length).toBeLessThanOrEqual(200);
        } catch (err) {
          expect(err).toBeInstanceOf(BreakwaterError);
          expect((err as BreakwaterError).code).toBe('BW_ERR_PROTOCOL');
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
