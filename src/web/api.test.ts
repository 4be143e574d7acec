import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Plan } from '../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../lang/index.js';
import type { QueryLine } from './api.js';
import { ApiError, errorMessage, parseLive, query, streamQuery, unreachable } from './api.js';

describe('parseLive', () => {
  it('passes an answer of the live query through', () => {
    const answer = { type: 'result', time: 1, rows: [], failures: [], agentsAsked: 0, agentsAnswered: 0, durationMs: 3 };
    expect(parseLive(JSON.stringify(answer))).toEqual(answer);
  });

  it('turns a message that is not JSON (a proxy page, a cut line) into an error message saying so, instead of throwing', () => {
    const m = parseLive('<html>502 Bad Gateway</html>');
    expect(m).toMatchObject({ type: 'error', code: 'BW_ERR_INTERNAL' });
    expect(m.type === 'error' && m.message).toBe('the live query sent a message that is not JSON: <html>502 Bad Gateway</html>');
  });
});

describe('errorMessage', () => {
  it("gives an API error's code and message, another error's message", () => {
    expect(errorMessage(new ApiError('BW_ERR_FORBIDDEN', 'needs the admin role', 403))).toBe('BW_ERR_FORBIDDEN: needs the admin role');
    expect(errorMessage(new SyntaxError('Unexpected token <'))).toBe('Unexpected token <');
    expect(errorMessage('plain')).toBe('plain');
  });
});

describe('unreachable', () => {
  it('is a request that got no answer, or a bare 502/503/504 from a gateway or a stopping server', () => {
    expect(unreachable(new TypeError('Failed to fetch'))).toBe(true);
    expect(unreachable(new ApiError('HTTP_503', 'Service Unavailable', 503))).toBe(true);
    expect(unreachable(new ApiError('HTTP_502', 'Bad Gateway', 502))).toBe(true);
  });

  it("is not the API's own refusal, another status, or an abort", () => {
    expect(unreachable(new ApiError('BW_ERR_FORBIDDEN', 'needs the operator role', 403))).toBe(false);
    expect(unreachable(new ApiError('BW_ERR_UNAVAILABLE', 'the store is read-only', 503))).toBe(false);
    expect(unreachable(new ApiError('HTTP_500', 'Internal Server Error', 500))).toBe(false);
    expect(unreachable(new DOMException('aborted', 'AbortError'))).toBe(false);
  });
});

describe('streamQuery and query', () => {
  const plan = analyze('host | sort(-cpu_usage)', BUILTIN_CATALOGUE).plan as Plan;
  const row = (name: string) => ({ resource: { type: 'host' as const, id: name, name, host: name }, status: 'ok' as const, values: { cpu_usage: 1 } });

  /** The API answering POST /api/v1/query with these bytes, in these pieces. */
  function answer(...pieces: string[]): void {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(new TextEncoder().encode(p));
        controller.close();
      },
    });
    vi.stubGlobal('sessionStorage', { getItem: () => 'bwt_x' });
    vi.stubGlobal('fetch', async () => new Response(body, { status: 200 }));
  }
  afterEach(() => vi.unstubAllGlobals());

  it('hands on each line as it comes, typed, the plan with its order', async () => {
    const lines: QueryLine[] = [
      { type: 'plan', runId: null, dryRun: false, plan, warnings: [] },
      { type: 'row', row: row('web-2') },
      { type: 'row', row: row('web-10') },
      { type: 'summary', runId: null, rows: 2, failures: 0, failed: 0, targets: 0, agentsAsked: 2, agentsAnswered: 2, durationMs: 4 },
    ];
    const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    answer(text.slice(0, 10), text.slice(10, 501), text.slice(501));
    const seen: QueryLine[] = [];
    await streamQuery({ statement: 'host | sort(-cpu_usage)' }, (l) => seen.push(l));
    expect(seen).toEqual(lines);
    expect(seen[0]?.type === 'plan' && seen[0].plan.ordered).toBe(true);
  });

  it('query gives the rows in the order they came, and an error line as an ApiError', async () => {
    answer(`${JSON.stringify({ type: 'row', row: row('web-2') })}\n${JSON.stringify({ type: 'row', row: row('web-1') })}\n`);
    expect((await query('host | sort(-cpu_usage)')).rows.map((r) => r.resource?.name)).toEqual(['web-2', 'web-1']);
    answer(`${JSON.stringify({ type: 'error', code: 'BW_ERR_UNAVAILABLE', message: 'the store is down', details: { retry: true } })}\n`);
    await expect(query('host')).rejects.toMatchObject({ code: 'BW_ERR_UNAVAILABLE', message: 'the store is down', status: 200, details: { retry: true } });
  });

  it('fails with the line it could not read, not a bare JSON error', async () => {
    answer('{"type":"row"', ',"row":{}}\n');
    await expect(streamQuery({ statement: 'host' }, () => undefined)).rejects.toMatchObject({ code: 'BW_ERR_PROTOCOL', details: { line: 1 } });
  });
});
