/*
 * Runs and their results (run-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, audit, run, result, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type RunRecord, type RunResultRecord, type RunStatus } from './index.js';
import type { RunKind } from '../../definitions/index.js';
import { RUNBOOK_CELL, RUN_KINDS, approverPrincipal, runKindOf, runbookPrincipal } from '../../definitions/index.js';

await describeStore('runs', 'src/server/store/run-rows.test.ts', ({ freshStore }) => {
  it('creates a run, adds results in batches, finishes it; getRun keeps insertion order', async () => {
    const store = await freshStore();
    const r = run({ plan: { steps: [{ kind: 'filter', expr: { op: '>', left: 'cpu', right: 90 } }], note: TRICKY } });
    const other = run();
    await store.createRun(r);
    await store.createRun(other);
    expect(await store.getRun(r.id)).toEqual({ run: r, results: [] });
    expect(await store.getRun('no-such-run')).toBeUndefined();

    const batch1 = ['c-host', 'a-host', 'b-host'].map((host) => result(r.id, { host }));
    const batch2 = [
      result(r.id, {
        host: 'z-host',
        status: 'error',
        exitCode: 127,
        stdout: null,
        stderr: 'command not found: 🙃\n',
        error: 'exit status 127',
        durationMs: null,
        values: { nested: { list: [1, 'two', null, true, { x: -0.5 }], big: 1e21, tiny: 5e-324, max: Number.MAX_SAFE_INTEGER }, text: TRICKY },
      }),
      result(r.id, { host: 'y-host', status: 'timeout', exitCode: null, stdout: null, stderr: null, values: {} }),
    ];
    await store.addRunResults(batch1);
    await store.addRunResults([result(other.id)]); // interleaved with another run's
    await store.addRunResults(batch2);
    await store.addRunResults([]);

    const finish = { status: 'failed' as RunStatus, finishedAt: T0 + 2500, targets: 5, failures: 2 };
    await store.finishRun(r.id, finish);
    const got = await store.getRun(r.id);
    expect(got).toEqual({ run: { ...r, ...finish }, results: [...batch1, ...batch2] });
    expect((await store.getRun(other.id))?.results).toHaveLength(1);
  });

  it('writes a large batch whole and in order', async () => {
    const store = await freshStore();
    const r = run();
    await store.createRun(r);
    const batch = Array.from({ length: 1234 }, (_, i) => result(r.id, { host: `host-${1234 - i}`, values: { i } }));
    await store.addRunResults(batch);
    const got = await store.getRun(r.id);
    expect(got?.results).toEqual(batch);
  });

  it('addRunResults is atomic: a bad row rejects the whole batch', async () => {
    const store = await freshStore();
    const r = run();
    await store.createRun(r);
    const bad = [result(r.id), result(r.id), result(r.id, { status: 'exploded' as RunResultRecord['status'] })];
    await expectStoreError(store.addRunResults(bad), 'STORE_INVALID');
    expect((await store.getRun(r.id))?.results).toEqual([]);
    // A result for a run that does not exist (foreign key).
    await expectStoreError(store.addRunResults([result(r.id), result('no-such-run')]), 'STORE_INVALID');
    expect((await store.getRun(r.id))?.results).toEqual([]);
  });

  it('recordFinishedRun writes the run, its results and its audit entry once; a second time writes nothing', async () => {
    const store = await freshStore();
    const r = run({ status: 'succeeded', finishedAt: T0 + 10 });
    const entry = audit({ runId: r.id, action: 'run' });
    expect(await store.recordFinishedRun(r, [result(r.id)], entry)).toBe(true);
    expect(await store.recordFinishedRun(r, [result(r.id), result(r.id)], audit({ runId: r.id, action: 'run' }))).toBe(false);

    expect((await store.getRun(r.id))?.results).toHaveLength(1);
    expect((await store.listAudit({ action: 'run' })).map((a) => a.id)).toEqual([entry.id]);
  });

  it('recordFinishedRun is all or none: a bad result or audit entry leaves no run behind', async () => {
    const store = await freshStore();
    const r = run({ status: 'failed' });
    await expectStoreError(store.recordFinishedRun(r, [result(r.id, { status: 'exploded' as RunResultRecord['status'] })], audit({ runId: r.id })), 'STORE_INVALID');
    const stored = audit({ action: 'token.create' });
    await store.appendAudit(stored);
    // The audit entry's id is taken: the whole record is refused, the run included.
    await expect(store.recordFinishedRun(r, [result(r.id)], audit({ id: stored.id, runId: r.id }))).rejects.toThrow();
    expect(await store.getRun(r.id)).toBeUndefined();
    expect(await store.listAudit({ action: 'run' })).toEqual([]);
    // And once whole, it is there whole.
    expect(await store.recordFinishedRun(r, [result(r.id)], audit({ runId: r.id, action: 'run' }))).toBe(true);
    expect((await store.getRun(r.id))?.results).toHaveLength(1);
  });

  it('rejects a duplicate run id, an unknown status, and finishing an unknown run', async () => {
    const store = await freshStore();
    const r = run();
    await store.createRun(r);
    await expectStoreError(store.createRun(run({ id: r.id })), 'STORE_CONFLICT');
    await expectStoreError(store.createRun(run({ status: 'paused' as RunStatus })), 'STORE_INVALID');
    await expectStoreError(store.createRun(run({ targets: -1 })), 'STORE_INVALID');
    await expectStoreError(
      store.finishRun('no-such-run', { status: 'succeeded', finishedAt: T0, targets: 0, failures: 0 }),
      'STORE_NOT_FOUND',
    );
    await expectStoreError(
      store.finishRun(r.id, { status: 'done' as RunStatus, finishedAt: T0, targets: 0, failures: 0 }),
      'STORE_INVALID',
    );
    expect(await store.listRuns()).toEqual([r]);
  });

  it('listRuns: newest first, pages backwards with `before`', async () => {
    const store = await freshStore();
    const runs = [3, 1, 4, 0, 6, 2, 5].map((i) => run({ id: `run-${i}`, startedAt: T0 + i * 1000 }));
    for (const r of runs) await store.createRun(r);
    const newestFirst = [...runs].sort((a, b) => b.startedAt - a.startedAt);
    expect(await store.listRuns()).toEqual(newestFirst);

    const pages: RunRecord[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = await store.listRuns({ limit: 3, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      pages.push(page);
      before = page[page.length - 1]!.startedAt;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(newestFirst);
    expect(await store.listRuns({ before: T0 + 2000 })).toEqual(newestFirst.slice(-2)); // strictly older
    expect(await store.listRuns({ limit: 0 })).toEqual([]);
    await expectStoreError(store.listRuns({ limit: -1 }), 'STORE_INVALID');
    await expectStoreError(store.listRuns({ limit: 2.5 }), 'STORE_INVALID');
  });

  it('listRuns: same start time is ordered by id, newest (largest) first', async () => {
    const store = await freshStore();
    for (const id of ['b', 'C', 'c', 'a']) await store.createRun(run({ id, startedAt: T0 }));
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['c', 'b', 'a', 'C']); // byte order
  });

  it('listRuns: 100 by default, 1000 at most', async () => {
    const store = await freshStore();
    const n = 1005;
    const ids = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n; i += 4) {
      await Promise.all(
        ids.slice(i, i + 4).map((j) => store.createRun(run({ id: `r${String(j).padStart(5, '0')}`, startedAt: T0 + j, plan: null }))),
      );
    }
    const page = await store.listRuns();
    expect(page).toHaveLength(100);
    expect(page[0]!.startedAt).toBe(T0 + n - 1);
    expect(await store.listRuns({ limit: 5000 })).toHaveLength(1000);
    expect(await store.listRuns({ limit: 1000, before: T0 + 10 })).toHaveLength(10);
  }, 60_000);

  it('listRuns filters by status, principal, kind, bot, host and time, combined, newest first', async () => {
    const store = await freshStore();
    const at = (i: number) => T0 + i * 1000;
    // A bot name with `_`, and a decoy it would match if `_` were a LIKE wildcard.
    const runs = {
      person: run({ id: 'person', principal: 'alice', status: 'succeeded', startedAt: at(1) }),
      bot: run({ id: 'bot', principal: 'bot:clean_logs@web-1', status: 'failed', startedAt: at(2) }),
      approved: run({ id: 'approved', principal: 'bob (approving bot:clean_logs)', status: 'succeeded', startedAt: at(3) }),
      decoy: run({ id: 'decoy', principal: 'bob (approving bot:cleanXlogs)', status: 'succeeded', startedAt: at(4) }),
      otherBot: run({ id: 'other-bot', principal: 'bot:clean_logs2@web-1', status: 'succeeded', startedAt: at(5) }),
      schedule: run({ id: 'schedule', principal: 'schedule:nightly', status: 'succeeded', startedAt: at(6) }),
      running: run({ id: 'running', principal: 'alice', status: 'running', startedAt: at(7) }),
    };
    for (const r of Object.values(runs)) await store.createRun(r);
    await store.addRunResults([result('person', { host: 'web-1' }), result('person', { host: 'web-2' }), result('bot', { host: 'web-1' }), result('approved', { host: 'web-2' }), result('schedule', { host: 'web-3' })]);
    const ids = async (filter: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(filter)).map((r) => r.id);

    expect(await ids({ status: 'failed' })).toEqual(['bot']);
    expect(await ids({ principal: 'alice' })).toEqual(['running', 'person']);
    expect(await ids({ kind: 'bot' })).toEqual(['other-bot', 'bot']);
    expect(await ids({ kind: 'schedule' })).toEqual(['schedule']);
    expect(await ids({ kind: 'approval' })).toEqual(['decoy', 'approved']);
    expect(await ids({ kind: 'adhoc' })).toEqual(['running', 'person']);
    expect(await ids({ bot: 'clean_logs' })).toEqual(['approved', 'bot']);
    expect(await ids({ bot: 'clean' })).toEqual([]);
    expect(await ids({ host: 'web-1' })).toEqual(['bot', 'person']);
    expect(await ids({ host: 'web-2' })).toEqual(['approved', 'person']);
    expect(await ids({ since: at(5) })).toEqual(['running', 'schedule', 'other-bot']);
    expect(await ids({ since: at(2), before: at(4) })).toEqual(['approved', 'bot']);
    expect(await ids({ host: 'web-2', kind: 'approval' })).toEqual(['approved']);
    expect(await ids({ bot: 'clean_logs', host: 'web-1', status: 'failed' })).toEqual(['bot']);
    expect(await ids({ bot: 'clean_logs', limit: 1 })).toEqual(['approved']);
    // Text no run can hold matches nothing rather than failing; a kind that is none is refused.
    expect(await ids({ host: 'a\u0000b', principal: TRICKY, bot: '%' })).toEqual([]);
    expect(await ids({ principal: '%' })).toEqual([]);
    await expectStoreError(store.listRuns({ kind: 'robot' as never }), 'STORE_INVALID');
  });

  it('listRuns tells runbook cells\' runs from ad hoc and approved ones', async () => {
    const store = await freshStore();
    const principals = {
      book: runbookPrincipal('alice', 'disk_full', 3),
      person: 'alice',
      approved: approverPrincipal('bob', 'clean_logs'),
      // A token name cannot hold a space, so none of these is a person's: they read as what they start with.
      botLookalike: `bot:x@web-1${RUNBOOK_CELL}disk_full cell 1)`,
      scheduleLookalike: `schedule:nightly${RUNBOOK_CELL}disk_full cell 1)`,
    };
    for (const [i, [id, principal]] of Object.entries(principals).entries()) await store.createRun(run({ id, principal, status: 'succeeded', startedAt: T0 + i }));
    const ids = async (kind: RunKind) => (await store.listRuns({ kind })).map((r) => r.id);
    expect(await ids('runbook')).toEqual(['book']);
    expect(await ids('adhoc')).toEqual(['person']);
    expect(await ids('approval')).toEqual(['approved']);
    expect(await ids('bot')).toEqual(['botLookalike']);
    // The store's condition and runKindOf agree on every one of them.
    for (const kind of RUN_KINDS) expect((await store.listRuns({ kind })).every((r) => runKindOf(r.principal) === kind)).toBe(true);
  });

  it('listRuns by host and kind finds a full page among thousands of runs, and nothing for an unknown host', async () => {
    const store = await freshStore();
    const n = 3000;
    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => run({ id: `r${String(i + j).padStart(5, '0')}`, principal: (i + j) % 3 ? 'alice' : `bot:janitor@web-${(i + j) % 7}`, status: 'succeeded', startedAt: T0 + i + j, plan: null }));
      await Promise.all(batch.map((r) => store.createRun(r)));
      await store.addRunResults(batch.flatMap((r, j) => [0, 1, 2, 3].map((h) => result(r.id, { host: `web-${(i + j + h) % 7}` }))));
    }
    const page = await store.listRuns({ host: 'web-6', kind: 'bot', limit: 100 });
    const rare = await store.listRuns({ host: 'nowhere' });
    expect(page).toHaveLength(100);
    expect(page.every((r) => r.principal.startsWith('bot:'))).toBe(true);
    expect(rare).toEqual([]);
  }, 120_000);
});
