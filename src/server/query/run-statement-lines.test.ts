import { describe, expect, it } from 'vitest';

import type { FakeHost } from '../fleet/fake-fleet.test-support.js';
import { hostRow } from '../fleet/fake-fleet.test-support.js';
import type { RunRequest, StatementLine } from './run-statement.js';
import { outcomeOf, runStatement } from './run-statement.js';
import { ADMIN, VIEWER, fakeStatementContext, memoryStorePerTest } from './statements.test-support.js';

/*
 * runStatement as its callers see it: the lines (plan, rows, outcome) in order, and what it leaves
 * in the store (the run record, the audit entries), with agents behind a fake Fleet and a real
 * in-memory store.
 */

const store = memoryStorePerTest();
const context = (hosts: readonly FakeHost[], maxTargets?: number) => fakeStatementContext(store(), hosts, maxTargets);

const echo = (host: string) => ({ name: host, answer: () => ({ rows: [hostRow(host, { stdout: 'hi', exit_code: 0 })] }) });
const actions = async () => (await store().listAudit()).map((a) => `${a.action}:${a.outcome}`).reverse();

async function collect(lines: AsyncIterable<StatementLine>): Promise<StatementLine[]> {
  const out: StatementLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('runStatement', () => {
  it('says the plan once the run is recorded and before any agent is asked, then the rows, then the outcome', async () => {
    const { ctx, fleet } = context([echo('web-1'), { name: 'web-2', offline: true }]);
    const lines = runStatement(ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true });
    const first = await lines.next();
    const plan = first.value as Extract<StatementLine, { type: 'plan' }>;
    expect(plan.type).toBe('plan');
    expect(fleet.sent).toEqual([]);
    expect((await store().getRun(plan.runId ?? ''))?.run.status).toBe('running');
    expect(await actions()).toEqual(['run.start:ok']);

    const rest = await collect({ [Symbol.asyncIterator]: () => lines });
    expect(rest.map((l) => l.type)).toEqual(['targets', 'rows', 'rows', 'outcome']);
    const outcome = rest.at(-1) as Extract<StatementLine, { type: 'outcome' }>;
    expect(outcome.outcome).toMatchObject({ runId: plan.runId, failed: 1, result: { targets: 2, agentsAsked: 1, agentsAnswered: 1 } });
    const stored = await store().getRun(plan.runId ?? '');
    expect(stored?.run).toMatchObject({ status: 'failed', targets: 2, failures: 1 });
    expect(stored?.results.map((r) => `${r.host}:${r.status}`).sort()).toEqual(['web-1:ok', 'web-2:offline']);
    expect((await actions()).sort()).toEqual(['run.start:ok', 'run:failed']); // same millisecond possible: order by time is not theirs to keep
  });

  it('records a command on processes as the processes it ran on, and each non-zero exit as a failure', async () => {
    const workers = (host: string) => ({
      name: host,
      answer: () => ({ rows: [10, 11].map((pid) => ({ resource: { type: 'process' as const, id: `${host}/${pid}`, name: 'worker', host }, status: 'ok' as const, values: { exit_code: pid === 11 ? 3 : 0 } })) }),
    });
    const { ctx } = context(['web-1', 'web-2', 'web-3', 'web-4'].map(workers));
    const outcome = await outcomeOf(runStatement(ctx, { statement: 'process | name = "worker" | `exit 3`', principal: ADMIN, yes: true }));
    expect(outcome).toMatchObject({ failed: 4, result: { targets: 8 } });
    expect((await store().listRuns())[0]).toMatchObject({ status: 'failed', targets: 8, failures: 4 });
    expect((await store().listAudit({ action: 'run' }))[0]).toMatchObject({ outcome: 'failed', detail: { targets: 8, failures: 4 } });
  });

  it('records nothing for a statement that only reads', async () => {
    const { ctx } = context([{ name: 'web-1' }]);
    const lines = await collect(runStatement(ctx, { statement: 'host', principal: VIEWER }));
    expect(lines.map((l) => l.type)).toEqual(['plan', 'rows', 'outcome']);
    expect(lines[0]).toMatchObject({ runId: null });
    expect(await store().listRuns()).toEqual([]);
    expect(await actions()).toEqual([]);
  });

  it('refuses before the plan line: a role too weak, or more targets than allowed without `yes` (nothing sent, audited)', async () => {
    const { ctx, fleet } = context([echo('web-1'), echo('web-2')], 1);
    await expect(collect(runStatement(ctx, { statement: 'host | `echo hi`', principal: VIEWER }))).rejects.toMatchObject({ code: 'BW_ERR_FORBIDDEN' });
    await expect(collect(runStatement(ctx, { statement: 'host | `echo hi`', principal: ADMIN }))).rejects.toMatchObject({ code: 'BW_ERR_CONFIRMATION_REQUIRED', details: { targets: 2, limit: 1 } });
    expect(fleet.sent).toEqual([]);
    expect(await store().listRuns()).toEqual([]);
    expect(await actions()).toEqual(['run:denied', 'run:denied']);
  });

  it('a failure after the plan is thrown, and the run is recorded as failed with its reason', async () => {
    const { ctx } = context([echo('web-1')]);
    const stop = new AbortController();
    const req: RunRequest = { statement: 'host | `echo hi`', principal: ADMIN, yes: true, signal: stop.signal };
    const seen: string[] = [];
    const run = (async () => {
      for await (const line of runStatement(ctx, req)) {
        seen.push(line.type);
        stop.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'BW_ERR_CONFLICT', message: 'query cancelled' });
    expect(seen).toEqual(['plan']);
    const [runRecord] = await store().listRuns();
    expect(runRecord).toMatchObject({ status: 'failed', targets: 0, failures: 0 });
    const audit = await store().listAudit({ action: 'run' });
    expect(audit[0]).toMatchObject({ outcome: 'failed', detail: { error: 'query cancelled' } });
  });

  it('outcomeOf gives callers that show no rows the outcome alone, times on the context clock', async () => {
    const { ctx, clock } = context([echo('web-1')]);
    const outcome = await outcomeOf(runStatement(ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true }));
    expect(outcome).toMatchObject({ failed: 0, durationMs: 0, result: { rows: [{ values: { stdout: 'hi' } }] } });
    expect((await store().listRuns())[0]).toMatchObject({ status: 'succeeded', startedAt: clock.now(), finishedAt: clock.now() });
  });

  it('closes the run as interrupted, and audits it, when the caller stops reading before the end', async () => {
    const { ctx } = context([echo('web-1'), echo('web-2')]);
    let runId: string | null = null;
    for await (const line of runStatement(ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true })) {
      if (line.type === 'plan') runId = line.runId;
      if (line.type === 'rows') break;
    }
    expect((await store().getRun(runId ?? ''))?.run.status).toBe('interrupted');
    // Both entries carry the same (fake) time, so their listed order is not theirs to keep.
    expect((await actions()).sort()).toEqual(['run.start:ok', 'run:failed']);
  });

  it('refuses a command that reaches no one because a filter names a value no host has, even with `yes`, and warns on reads', async () => {
    const web = (name: string) => ({ ...echo(name), tags: { role: 'web' } });
    const { ctx, fleet } = context([web('web-1'), web('web-2')]);
    const refused = collect(runStatement(ctx, { statement: 'host | role = "wbe" | `echo hi`', principal: ADMIN, yes: true }));
    await expect(refused).rejects.toMatchObject({ code: 'BW_ERR_NO_TARGETS', message: 'this would run on no resource: no host has role = "wbe"; did you mean "web" (2 hosts)? Nothing ran.', details: { diagnostics: [{ code: 'BW_NO_MATCH', near: [{ value: 'web', hosts: 2 }] }] } });
    expect(fleet.sent).toEqual([]);
    expect(await store().listRuns()).toEqual([]);
    expect((await store().listAudit())[0]).toMatchObject({ action: 'run', outcome: 'denied', detail: { reason: 'no targets', found: ['wbe'] } });

    // A read that finds nothing because of it answers, with the warning; so does a dry run, which runs nothing.
    const read = await collect(runStatement(ctx, { statement: 'host | role = "wbe"', principal: VIEWER }));
    expect(read[0]).toMatchObject({ type: 'plan', warnings: [{ code: 'BW_NO_MATCH', found: 'wbe' }] });
    const dry = await collect(runStatement(ctx, { statement: 'host | role = "wbe" | `echo hi`', principal: ADMIN, dryRun: true }));
    expect(dry.at(-1)).toMatchObject({ type: 'outcome', outcome: { result: { targets: 0 } } });
    expect(dry[0]).toMatchObject({ type: 'plan', warnings: [{ code: 'BW_NO_MATCH' }] });

    // A near value elsewhere still reaching someone runs, with the warning.
    const some = await collect(runStatement(ctx, { statement: 'host | role in ["web", "wbe"] | `echo hi`', principal: ADMIN, yes: true }));
    expect(some.at(-1)).toMatchObject({ type: 'outcome', outcome: { result: { targets: 2 } } });
  });
});

describe('runStatement: onExecuted (the control plane metrics)', () => {
  type Executed = [outcome: string, seconds: number, asked: number];
  const heard = (hosts: readonly FakeHost[]) => {
    const { ctx } = context(hosts);
    const executed: Executed[] = [];
    return { ctx: { ...ctx, onExecuted: (o: 'succeeded' | 'failed' | 'error' | 'interrupted', s: number, a: number) => void executed.push([o, s, a]) }, executed };
  };

  it('hears each execution once, when it ends: succeeded or failed with the agents asked, interrupted when the caller stops reading', async () => {
    const ok = heard([echo('web-1'), echo('web-2')]);
    await outcomeOf(runStatement(ok.ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true }));
    expect(ok.executed).toEqual([['succeeded', expect.any(Number), 2]]);

    const failed = heard([echo('web-1'), { name: 'web-2', offline: true }]);
    await outcomeOf(runStatement(failed.ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true }));
    expect(failed.executed).toEqual([['failed', expect.any(Number), 1]]);

    const left = heard([echo('web-1')]);
    for await (const line of runStatement(left.ctx, { statement: 'host | `echo hi`', principal: ADMIN, yes: true })) if (line.type === 'rows') break;
    expect(left.executed).toEqual([['interrupted', expect.any(Number), 0]]);
  });

  it('does not hear a statement refused before it runs (a viewer running a command)', async () => {
    const refused = heard([echo('web-1')]);
    await expect(outcomeOf(runStatement(refused.ctx, { statement: 'host | `echo hi`', principal: VIEWER, yes: true }))).rejects.toThrow();
    expect(refused.executed).toEqual([]);
  });
});
