/**
 * Fuzz tests of the query answer's reader, bounded by their inputs (fixed run counts, inputs of
 * at most a few kilobytes, fixed seeds; FUZZ_SEED=n picks others), not by the machine's speed:
 *
 * - a valid answer cut into random chunks reads as the same lines as in one piece;
 * - hostile text (JSON-ish soup, control characters, lone surrogates, mutated valid lines) fed in
 *   random chunks never makes the reader throw anything but a BreakwaterError BW_ERR_PROTOCOL
 *   naming a line that exists, and the reader never holds an unfinished line longer than its
 *   limit: once the text after the last newline is longer, the push that brought it has thrown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import type { QueryLine } from './index.js';
import { BreakwaterError, QueryStreamReader } from './index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const RUNS = 300;
const LIMIT = 256;

const FakePlan = z.object({ ordered: z.boolean(), columns: z.array(z.string()) });

const VALID = [
  '{"type":"plan","runId":null,"dryRun":true,"plan":{"ordered":false,"columns":["x"]},"warnings":[]}',
  '{"type":"targets","hosts":1}',
  '{"type":"row","row":{"resource":{"type":"host","id":"a","name":"a","host":"a"},"status":"ok","values":{"x":[1,{"y":null}]}}}',
  '{"type":"progress","stage":"halted","batch":1,"batches":1,"resources":["a"],"message":"batch 1 failed on a"}',
  '{"type":"summary","runId":"r","rows":1,"failures":0,"failed":0,"targets":1,"agentsAsked":1,"agentsAnswered":1,"durationMs":3}',
  '{"type":"error","code":"BW_ERR_INTERNAL","message":"boom","details":{}}',
];

const TOKENS = ['\n', '\r', '\r\n', '{', '}', '[', ']', '"', ':', ',', '\\', '\\u', 'null', 'true', '1e999', '-0', '"type"', '"row"', '"plan"', '"summary"', '\u0000', '\ud800', '\udfff', '\u2028', '😀', ' ', '[[[[[[[[', '"__proto__"', ...VALID];

/** Splits text at the given cut points (positions, any order), keeping empty chunks. */
function cut(text: string, points: readonly number[]): string[] {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  return [...at, text.length].map((end, i) => text.slice(i === 0 ? 0 : at[i - 1], end));
}

/** Feeds chunks one by one, checking the reader's bound after each; returns the lines read or the error. */
function feed(chunks: readonly string[]): { lines: QueryLine<unknown>[]; error?: unknown } {
  const reader = new QueryStreamReader(FakePlan, LIMIT);
  const lines: QueryLine<unknown>[] = [];
  let tail = 0;
  let seenLines = 0;
  try {
    for (const chunk of chunks) {
      const nl = chunk.lastIndexOf('\n');
      tail = nl >= 0 ? chunk.length - nl - 1 : tail + chunk.length;
      seenLines += chunk.split('\n').length - 1;
      lines.push(...reader.push(chunk));
      // It returned: it holds the unfinished line, which must be within the limit.
      expect(tail).toBeLessThanOrEqual(LIMIT);
    }
    lines.push(...reader.end());
  } catch (error) {
    expect(error).toBeInstanceOf(BreakwaterError);
    const e = error as BreakwaterError;
    expect(e.code).toBe('BW_ERR_PROTOCOL');
    expect(e.details.line).toBeGreaterThanOrEqual(1);
    expect(e.details.line).toBeLessThanOrEqual(seenLines + 1);
    return { lines, error };
  }
  return { lines };
}

const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 40 });

describe('QueryStreamReader under fuzzing', () => {
  it('reads a valid answer the same however it is cut', () => {
    const answer = fc.array(fc.constantFrom(...VALID), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(answer, cuts, (lines, points) => {
        const text = lines.map((l) => `${l}\n`).join('');
        const read = feed(cut(text, points));
        expect(read.error).toBeUndefined();
        expect(read.lines).toEqual(lines.map((l) => JSON.parse(l) as unknown));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('throws only BreakwaterError on hostile text, and never holds more than its limit', () => {
    const soup = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 40, unit: 'binary' })), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(soup, cuts, (text, points) => {
        feed(cut(text, points));
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('throws only BreakwaterError on valid lines with bytes changed, inserted or dropped', () => {
    const mutated = fc
      .tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat({ max: 200 }), fc.nat({ max: 2 }), fc.constantFrom(...TOKENS.slice(0, 28))), { minLength: 1, maxLength: 6 }))
      .map(([line, edits]) =>
        edits.reduce((s, [at, kind, token]) => {
          const i = at % (s.length + 1);
          return kind === 0 ? s.slice(0, i) + token + s.slice(i) : kind === 1 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + token + s.slice(i + 1);
        }, line),
      );
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 1, maxLength: 8 }), cuts, (lines, points) => {
        feed(cut(lines.join('\n'), points));
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});
