import type { FastifyReply } from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import { runKindOf } from '../../definitions/index.js';
import { RunExplanation } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { hostRow } from '../fleet/fake-fleet.test-support.js';
import { ADMIN, VIEWER, fakeStatementContext, memoryStorePerTest } from '../query/statements.test-support.js';
import type { LiveQueries } from './live-query.js';
import { queryRoutes } from './query-routes.js';

/*
 * POST /api/v1/query's NDJSON as a client reads it: plan, rows, summary (or an error line), with
 * agents behind a fake Fleet, a real in-memory store, and a reply that records what is written.
 */

const store = memoryStorePerTest();
closeAppsAfterEach();

/** A reply that records the status, the chunks written and whether it was taken over and ended. */
function recordingReply() {
  const seen = { hijacked: false, status: 0, chunks: [] as string[], ended: false };
  const reply = {
    hijack: () => void (seen.hijacked = true),
    raw: {
      writeHead: (status: number) => void (seen.status = status),
      write: (chunk: string) => void seen.chunks.push(chunk),
      end: () => void (seen.ended = true),
    },
  };
  const lines = () =>
    seen.chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { reply: reply as unknown as FastifyReply, seen, lines };
}

function postQuery(hosts: readonly FakeHost[]) {
  const { ctx } = fakeStatementContext(store(), hosts);
  const routes = queryRoutes({ ...ctx, live: {} as LiveQueries });
  const query = routes.find((r) => r.url === '/api/v1/query' && r.method === 'POST');
  return async (body: Record<string, unknown>, principal: Principal, out = recordingReply()) => {
    await query?.handler({ body, query: {}, params: {}, principal, request: {} as never, reply: out.reply });
    return out;
  };
}

describe('POST /api/v1/query', () => {
  it('streams the plan, each row once (failures included), then the summary, and ends', async () => {
    const post = postQuery([{ name: 'db-1', offline: true }, { name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { stdout: 'hi', exit_code: 0 })] }) }]);
    const out = await post({ statement: 'host | `echo hi`', yes: true }, ADMIN);
    expect(out.seen).toMatchObject({ hijacked: true, status: 200, ended: true });
    const lines = out.lines();
    expect(lines.map((l) => l.type)).toEqual(['plan', 'targets', 'row', 'row', 'summary']);
    expect(lines[0]).toMatchObject({ dryRun: false, warnings: [] });
    // Both hosts are asked (the offline one answers for itself with its row): 2 pending until then.
    expect(lines[1]).toEqual({ type: 'targets', hosts: 2 });
    expect(lines.slice(2, 4).map((l) => (l.row as { status: string }).status)).toEqual(['offline', 'ok']);
    expect(lines[4]).toMatchObject({ runId: lines[0]?.runId, rows: 1, failures: 1, failed: 1, targets: 2, agentsAsked: 1, agentsAnswered: 1 });
    // Lines of one turn leave together.
    expect(out.seen.chunks.length).toBeLessThan(lines.length);
  });

  it('shows a control phase\'s answer once it is computed, then the failures', async () => {
    const post = postQuery([{ name: 'db-1', offline: true }, { name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { cpu_usage: 90 })] }) }]);
    const lines = (await post({ statement: 'host | cpu_usage > 50 | count' }, VIEWER)).lines();
    expect(lines.map((l) => l.type)).toEqual(['plan', 'row', 'row', 'summary']);
    expect(lines[1]?.row).toMatchObject({ status: 'ok', values: { count: 1 } });
    expect(lines[2]?.row).toMatchObject({ status: 'offline', resource: { name: 'db-1' } });
    expect(lines[3]).toMatchObject({ runId: null, rows: 1, failures: 1 });
  });

  it('answers a refusal before the plan as an error of the request, writing nothing', async () => {
    const post = postQuery([{ name: 'web-1' }]);
    const out = recordingReply();
    await expect(post({ statement: 'host | `echo hi`' }, VIEWER, out)).rejects.toMatchObject({ code: 'BW_ERR_FORBIDDEN' });
    expect(out.seen).toEqual({ hijacked: false, status: 0, chunks: [], ended: false });
  });

  it('ends the stream with an error line when the statement fails after its plan', async () => {
    const post = postQuery([{ name: 'web-1' }]);
    const out = await post({ statement: 'events' }, VIEWER);
    expect(out.lines().map((l) => l.type)).toEqual(['plan', 'error']);
    expect(out.lines()[1]).toMatchObject({ code: 'BW_ERR_UNAVAILABLE' });
    expect(out.seen.ended).toBe(true);
  });
});

describe('POST /api/v1/check against the fleet', () => {
  const hosts: FakeHost[] = [
    { name: 'web-1', tags: { role: 'web' }, attrs: { name: 'web-1' } },
    { name: 'web-2', tags: { role: 'web' }, attrs: { name: 'web-2' } },
  ];
  const check = async (statement: string) => {
    const { ctx } = fakeStatementContext(store(), hosts);
    const route = queryRoutes({ ...ctx, live: {} as LiveQueries }).find((r) => r.url === '/api/v1/check');
    return (await route?.handler({ body: { statement }, query: {}, params: {}, principal: VIEWER, request: {} as never, reply: {} as never })) as { ok: boolean; diagnostics: { code: string; message: string }[] };
  };

  it('warns about a value no host has, naming the near one and its hosts', async () => {
    expect(await check('host | role = "wbe" | count')).toMatchObject({ ok: true, diagnostics: [{ code: 'BW_NO_MATCH', message: 'no host has role = "wbe"; did you mean "web" (2 hosts)?' }] });
    expect((await check('host | role = "web" | count')).diagnostics).toEqual([]);
  });

  it('answers any value in a filter with at most a few warnings, never a failure', async () => {
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('web', 'WEB', 'wbe', 'we', 'w', ''), fc.string({ unit: 'binary', maxLength: 300 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('role', 'name', 'rloe', 'zone'), fc.constantFrom('=', '!=', 'in', 'not in'), fc.array(value, { minLength: 1, maxLength: 5 }), async (key, op, values) => {
        const list = values.map((v) => JSON.stringify(v));
        const r = await check(op.endsWith('in') ? `host | ${key} ${op} [${list.join(', ')}]` : `host | ${key} ${op} ${list[0]}`);
        expect(r.diagnostics.filter((d) => d.code === 'BW_NO_MATCH' || d.code === 'BW_MATCHES_ALL').length).toBeLessThanOrEqual(values.length);
      }),
      { seed: 12, numRuns: 200 },
    );
  });
});

describe('POST /api/v1/query with dryRun', () => {
  it('ends with a summary that explains the run: targets, batches, blast radius; a real run carries none', async () => {
    const hosts = ['web-1', 'web-2', 'web-3'].map((name) => ({ name, answer: () => ({ rows: [hostRow(name, { exit_code: 0 })] }) }));
    const t = await injectApp((s) => queryRoutes({ ...fakeStatementContext(s, hosts, 2).ctx, live: {} as LiveQueries }));
    const statement = 'host | rolling(batch = 50%, max_errors = 1) | `systemctl restart api`';
    const answer = await t.call('POST', '/api/v1/query', 'admin', { statement, dryRun: true });
    expect(answer.status).toBe(200);
    const lines = answer.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.at(-1) as { type: string; explanation: unknown };
    expect(summary.type).toBe('summary');
    const explanation = RunExplanation.parse(summary.explanation);
    expect(explanation).toMatchObject({
      targets: { count: 3, names: ['web-1', 'web-2', 'web-3'] },
      rollout: { batchCount: 2, size: 2, maxErrors: 1, batches: [{ names: ['web-1', 'web-2'] }, { names: ['web-3'] }] },
      blastRadius: { verdict: 'over', targets: 3, limit: 2 },
    });
    expect((await t.store.listRuns({})).map((r) => r.status)).toEqual(['dry_run']);
    const run = await t.call('POST', '/api/v1/query', 'admin', { statement, yes: true });
    const last = JSON.parse(run.text.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'summary', rollout: { batches: 2, ok: ['web-1', 'web-2', 'web-3'], notStarted: [], aborted: null } });
    expect(last.explanation).toBeUndefined();
  });
});

describe('POST /api/v1/query from a runbook cell', () => {
  const RUNBOOK = { id: 'rb-1', name: 'disk-full', description: '', params: [], cells: [{ kind: 'markdown' as const, text: '# Disk' }, { kind: 'pipeline' as const, text: 'host | `df -h`' }], updatedAt: 1, updatedBy: 'admin' };
  const lab = async () => {
    const t = await injectApp((s) => queryRoutes({ ...fakeStatementContext(s, [{ name: 'web-1', answer: () => ({ rows: [hostRow('web-1', { stdout: 'ok', exit_code: 0 })] }) }]).ctx, live: {} as LiveQueries }));
    await t.store.createRunbook(RUNBOOK);
    return t;
  };

  it('records the run as the runbook\'s, under the caller\'s own name, and audits where it came from', async () => {
    const t = await lab();
    // A `principal` beside it is not part of the request: the run stays the caller's.
    const answer = await t.call('POST', '/api/v1/query', 'admin', { statement: 'host | `df -h`', yes: true, runbook: { id: 'rb-1', cell: 1 }, principal: 'someone-else' });
    expect(answer.status).toBe(200);
    const [run] = await t.store.listRuns({ kind: 'runbook' });
    expect(run?.principal).toBe('admin (runbook:disk-full cell 2)');
    expect(runKindOf(run?.principal ?? '')).toBe('runbook');
    expect(await t.store.listRuns({ kind: 'adhoc' })).toEqual([]);
    const start = (await t.audit()).find((e) => e.action === 'run.start');
    expect([start?.principal, start?.detail, start?.runId]).toEqual(['admin', { runbook: 'disk-full', cell: 2 }, run?.id]);
    // Without it, the same statement is an ad hoc run.
    expect((await t.call('POST', '/api/v1/query', 'admin', { statement: 'host | `df -h`', yes: true })).status).toBe(200);
    expect((await t.store.listRuns({ kind: 'adhoc' })).map((r) => r.principal)).toEqual(['admin']);
  });

  it('refuses a runbook or cell that is not there, or more than an id and a cell, naming the field, before anything runs', async () => {
    const t = await lab();
    for (const [runbook, words] of [
      [{ id: 'nope', cell: 1 }, 'runbook.id: there is no runbook with id "nope"'],
      [{ id: 'rb-1', cell: 0 }, 'runbook.cell: cell 0 is not a pipeline cell of runbook `disk-full`'],
      [{ id: 'rb-1', cell: 2 }, 'runbook.cell: cell 2 is not a pipeline cell'],
      [{ id: 'rb-1', cell: -1 }, 'runbook.cell'],
      [{ id: 'rb-1', cell: 1.5 }, 'runbook.cell'],
      [{ id: 'rb-1' }, 'runbook.cell'],
      [{ id: '', cell: 1 }, 'the runbook id is empty'],
      [{ id: 'x'.repeat(129), cell: 1 }, 'longer than 128'],
      [{ id: 'rb-1', cell: 1, name: 'other' }, 'runbook'],
      ['rb-1', 'runbook'],
    ] as const) {
      const answer = await t.call('POST', '/api/v1/query', 'admin', { statement: 'host | `df -h`', yes: true, runbook });
      expect(answer.status, JSON.stringify(runbook)).toBe(400);
      expect(answer.json.code).toBe('BW_ERR_INVALID_REQUEST');
      expect(answer.json.message).toContain(words);
    }
    expect(await t.store.listRuns({})).toEqual([]);
  });

  it('answers any runbook field with a run of the caller or a 400, never a crash (bounded fuzz)', async () => {
    const t = await lab();
    const id = fc.oneof(fc.constantFrom('rb-1', 'nope', '', '\u0000', '%', 'x'.repeat(200)), fc.string({ maxLength: 40 }), fc.integer());
    const cell = fc.oneof(fc.constantFrom(0, 1, 2, -1, 1.5, 1e300, Number.MAX_SAFE_INTEGER), fc.integer(), fc.string({ maxLength: 5 }));
    const runbook = fc.oneof(fc.constant({ id: 'rb-1', cell: 1 }), fc.record({ id, cell }), fc.record({ id, cell, principal: fc.string({ maxLength: 20 }) }), fc.anything({ maxDepth: 2 }));
    await fc.assert(
      fc.asyncProperty(runbook, async (rb) => {
        const answer = await t.call('POST', '/api/v1/query', 'admin', { statement: 'host | `df -h`', dryRun: true, runbook: rb });
        expect([200, 400]).toContain(answer.status);
        if (answer.status === 400) expect(answer.json.code).toBe('BW_ERR_INVALID_REQUEST');
      }),
      { seed: 13, numRuns: 120 },
    );
    // Whatever was sent, every recorded run is the caller's, from that runbook or none.
    const principals = new Set((await t.store.listRuns({ limit: 1000 })).map((r) => r.principal));
    expect([...principals].every((p) => ['admin', 'admin (runbook:disk-full cell 2)'].includes(p))).toBe(true);
    expect(principals.has('admin (runbook:disk-full cell 2)')).toBe(true);
  });
});
