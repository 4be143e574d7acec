/*
 * Runbooks and their saved runs (runbook-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { uid, T0, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type RunbookRecord, type RunbookRunRecord } from './index.js';

await describeStore('runbooks', 'src/server/store/runbook-rows.test.ts', ({ freshStore }) => {
  const runbook = (overrides: Partial<RunbookRecord> = {}): RunbookRecord => ({
    id: uid('rb'),
    name: uid('runbook'),
    description: 'When /data fills up',
    params: ['host'],
    cells: [
      { kind: 'markdown', text: '# Disk full\n\nCheck the usage first.' },
      { kind: 'pipeline', text: 'host | name = $host | `df -h /data`' },
    ],
    updatedAt: T0,
    updatedBy: 'alice',
    ...overrides,
  });
  const runbookRun = (runbookId: string, overrides: Partial<RunbookRunRecord> = {}): RunbookRunRecord => ({
    id: uid('rbrun'),
    runbookId,
    createdAt: T0,
    createdBy: 'alice',
    params: { host: 'web-1' },
    outputs: [{ cell: 1, statement: 'host | name = "web-1" | `df -h /data`', rows: [{ status: 'ok', values: { stdout: 'ok\n', exit_code: 0 } }], summary: { rows: 1, failures: 0 }, error: null }],
    ...overrides,
  });

  it('creates, gets, lists by name, updates and deletes runbooks', async () => {
    const store = await freshStore();
    const b = runbook({ name: 'b-disk', cells: [{ kind: 'pipeline', text: TRICKY }] });
    const a = runbook({ name: 'a-restart', params: [] });
    await store.createRunbook(b);
    await store.createRunbook(a);
    expect(await store.getRunbook(b.id)).toEqual(b);
    expect(await store.getRunbook('no-such-runbook')).toBeUndefined();
    expect(await store.listRunbooks()).toEqual([a, b]);
    const changed = { ...b, name: 'c-disk', description: 'changed', params: ['host', 'service'], updatedAt: T0 + 5, updatedBy: 'bob' };
    await store.updateRunbook(changed);
    expect(await store.getRunbook(b.id)).toEqual(changed);
    expect(await store.listRunbooks()).toEqual([a, changed]);
    expect(await store.deleteRunbook(a.id)).toBe(true);
    expect(await store.deleteRunbook(a.id)).toBe(false);
    expect(await store.listRunbooks()).toEqual([changed]);
  });

  it('a taken name or id is STORE_CONFLICT; updating a missing runbook is STORE_NOT_FOUND', async () => {
    const store = await freshStore();
    const a = runbook();
    await store.createRunbook(a);
    await expectStoreError(store.createRunbook(runbook({ name: a.name })), 'STORE_CONFLICT');
    await expectStoreError(store.createRunbook(runbook({ id: a.id })), 'STORE_CONFLICT');
    const other = runbook();
    await store.createRunbook(other);
    await expectStoreError(store.updateRunbook({ ...other, name: a.name }), 'STORE_CONFLICT');
    await expectStoreError(store.updateRunbook(runbook()), 'STORE_NOT_FOUND');
    await expectStoreError(store.createRunbook(runbook({ name: 'a\u0000' })), 'STORE_INVALID');
    expect(await store.listRunbooks()).toEqual([a, other].sort((x, y) => (x.name < y.name ? -1 : 1)));
  });

  it('saves runs of a runbook, lists them newest first with paging, gets one; deleting the runbook deletes its runs', async () => {
    const store = await freshStore();
    const rb = runbook();
    const other = runbook();
    await store.createRunbook(rb);
    await store.createRunbook(other);
    const runs = [0, 1, 2, 3].map((i) => runbookRun(rb.id, { id: `rr-${i}`, createdAt: T0 + i * 10 }));
    for (const r of runs) await store.saveRunbookRun(r);
    const elsewhere = runbookRun(other.id);
    await store.saveRunbookRun(elsewhere);
    const newest = [...runs].reverse();
    expect(await store.listRunbookRuns(rb.id)).toEqual(newest);
    expect(await store.listRunbookRuns(rb.id, { limit: 2 })).toEqual(newest.slice(0, 2));
    expect(await store.listRunbookRuns(rb.id, { before: T0 + 20 })).toEqual(newest.filter((r) => r.createdAt < T0 + 20));
    expect(await store.listRunbookRuns('no-such-runbook')).toEqual([]);
    expect(await store.getRunbookRun('rr-2')).toEqual(runs[2]);
    expect(await store.getRunbookRun('no-such-run')).toBeUndefined();
    await expectStoreError(store.saveRunbookRun(runbookRun('no-such-runbook')), 'STORE_INVALID');
    await expectStoreError(store.saveRunbookRun(runs[0]!), 'STORE_CONFLICT');
    expect(await store.deleteRunbook(rb.id)).toBe(true);
    expect(await store.listRunbookRuns(rb.id)).toEqual([]);
    expect(await store.getRunbookRun('rr-2')).toBeUndefined();
    expect(await store.getRunbookRun(elsewhere.id)).toEqual(elsewhere);
  });
});
