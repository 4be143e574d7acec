import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import type { QueryLine } from './index.js';
import { BreakwaterError, QueryStreamReader, readQueryStream } from './index.js';

// protocol may not import lang: a stand-in for lang's PlanSchema, checked the same way.
const FakePlan = z.object({ ordered: z.boolean(), columns: z.array(z.string()) });
type FakePlan = z.infer<typeof FakePlan>;

const location = { start: 0, end: 4, line: 1, column: 1, endLine: 1, endColumn: 5 };
const LINES: QueryLine<FakePlan>[] = [
  { type: 'plan', runId: 'r1', dryRun: false, plan: { ordered: true, columns: ['cpu_usage'] }, warnings: [{ code: 'BW_MAYBE_MISSPELT', severity: 'warning', message: 'did you mean', location }] },
  { type: 'targets', hosts: 2 },
  { type: 'row', row: { resource: { type: 'host', id: 'web-2', name: 'web-2', host: 'web-2' }, status: 'ok', values: { cpu_usage: 12.5, note: 'é ✓ 😀' } } },
  { type: 'progress', stage: 'batch_started', batch: 1, batches: 2, resources: ['web-2'], message: 'batch 1/2: web-2' },
  { type: 'row', row: { resource: { type: 'host', id: 'web-10', name: 'web-10', host: 'web-10' }, status: 'timeout', error: 'did not answer in 5s', values: {} } },
  { type: 'summary', runId: 'r1', rows: 1, failures: 1, failed: 1, targets: 2, agentsAsked: 2, agentsAnswered: 1, durationMs: 5003 },
];
const TEXT = LINES.map((l) => `${JSON.stringify(l)}\n`).join('');

async function readAll(chunks: Iterable<string>, max?: number): Promise<QueryLine<FakePlan>[]> {
  const out: QueryLine<FakePlan>[] = [];
  for await (const line of readQueryStream(chunks, FakePlan, max)) out.push(line);
  return out;
}

async function failure(chunks: Iterable<string>, max?: number): Promise<BreakwaterError> {
  const err = await readAll(chunks, max).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BreakwaterError);
  return err as BreakwaterError;
}

describe('readQueryStream', () => {
  it('reads every line type of an answer, checked and typed', async () => {
    expect(await readAll([TEXT])).toEqual(LINES);
  });

  it('joins lines split across chunks anywhere, even between the halves of a surrogate pair', async () => {
    expect(await readAll(TEXT.split(''))).toEqual(LINES);
    expect(await readAll([TEXT.slice(0, 7), TEXT.slice(7, 300), TEXT.slice(300)])).toEqual(LINES);
  });

  it('skips blank lines, reads CRLF, and reads a last line without a newline', async () => {
    const text = `\n  \r\n${LINES.map((l) => JSON.stringify(l)).join('\r\n\n')}`;
    expect(await readAll([text])).toEqual(LINES);
  });

  it('yields the lines before a bad one, then fails naming the bad line', async () => {
    const seen: string[] = [];
    const err = await (async () => {
      try {
        for await (const line of readQueryStream([`${JSON.stringify(LINES[2])}\n\n{"type":"row"`, ',oops}\n'], FakePlan)) seen.push(line.type);
      } catch (e) {
        return e as BreakwaterError;
      }
      return undefined;
    })();
    expect(seen).toEqual(['row']);
    expect(err).toMatchObject({ code: 'BW_ERR_PROTOCOL', details: { line: 3 } });
    expect(err?.message).toMatch(/^line 3 of the query answer is not JSON \(.+\): \{"type":"row",oops\}$/);
  });

  it('refuses an unknown line type, saying which types there are', async () => {
    const err = await failure(['{"type":"output","data":"x"}\n']);
    expect(err.message).toBe('line 1 of the query answer has type "output"; expected one of plan, targets, row, progress, summary, error');
    expect((await failure(['[1,2]\n'])).message).toBe('line 1 of the query answer has type none; expected one of plan, targets, row, progress, summary, error');
  });

  it('names the field of a malformed line', async () => {
    const err = await failure([`${JSON.stringify(LINES[4])}\n{"type":"summary","runId":null,"rows":"3"}\n`]);
    expect(err.message).toMatch(/^line 2 of the query answer is not a valid summary line: rows: Invalid input: expected number, received string/);
    expect(err.details).toEqual({ line: 2 });
  });

  it('checks the plan with the schema it was given', async () => {
    const err = await failure([JSON.stringify({ ...LINES[0], plan: { ordered: 'yes', columns: [] } })]);
    expect(err.message).toBe('line 1 of the query answer carries a plan this reader cannot read: ordered: Invalid input: expected boolean, received string');
  });

  it('refuses a line longer than its limit instead of holding it, whether or not it ends', async () => {
    const long = `{"type":"error","code":"X","message":"${'m'.repeat(300)}","details":{}}`;
    expect(JSON.stringify(LINES[1]).length).toBeLessThan(250);
    expect((await failure([`${JSON.stringify(LINES[1])}\n${long}\n`], 250)).message).toBe('line 2 of the query answer is longer than 250 characters, the most a reader holds');
    expect((await failure(['x'.repeat(60), 'y'.repeat(60)], 100)).details).toEqual({ line: 1 });
    expect(await readAll([long], long.length)).toEqual([JSON.parse(long)]);
  });

  it('refuses to read on after a failure', () => {
    const reader = new QueryStreamReader(FakePlan);
    expect(() => [...reader.push('nope\n')]).toThrow(/line 1 of the query answer is not JSON/);
    expect(() => [...reader.push(TEXT)]).toThrow(/line 1 of the query answer is not JSON/);
    expect(() => [...reader.end()]).toThrow(/line 1 of the query answer is not JSON/);
  });
});

describe('readQueryStream keeps lines as sent', () => {
  it('keeps the key order and fields a newer server may add, once the line is valid', async () => {
    const text = '{"values":{"b":1,"a":2},"status":"ok","extra":true}';
    const [line] = await readAll([`{"row":${text},"type":"row","since":"v2"}\n`]);
    expect(JSON.stringify(line)).toBe(`{"row":${text},"type":"row","since":"v2"}`);
  });
});
