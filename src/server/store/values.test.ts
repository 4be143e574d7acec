/*
 * Values both databases must treat alike (values.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, agent, run, result, audit, expectStoreError } from '../../../test/store/fixtures.js';
import { type ApprovalStatus } from './index.js';

await describeStore('values both databases must treat alike', 'src/server/store/values.test.ts', ({ freshStore }) => {
  it('rejects NUL and unpaired surrogates in text, and values JSON cannot represent', async () => {
    const store = await freshStore();
    const r = run();
    await store.createRun(r);
    await expectStoreError(store.addRunResults([result(r.id, { stdout: 'a\u0000b' })]), 'STORE_INVALID');
    await expectStoreError(store.upsertAgent(agent({ tags: { broken: 'x\ud800y' } })), 'STORE_INVALID');
    await expectStoreError(store.upsertAgent(agent({ name: 'x\udc00' })), 'STORE_INVALID');
    await expectStoreError(store.addRunResults([result(r.id, { values: { v: Number.NaN } })]), 'STORE_INVALID');
    await expectStoreError(store.addRunResults([result(r.id, { values: { when: new Date() } })]), 'STORE_INVALID');
    await expectStoreError(store.addRunResults([result(r.id, { values: { n: 10n } })]), 'STORE_INVALID');
    await expectStoreError(store.addRunResults([result(r.id, { values: { list: [1, undefined] } })]), 'STORE_INVALID');
    await expectStoreError(store.createRun(run({ plan: undefined })), 'STORE_INVALID');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectStoreError(store.appendAudit(audit({ detail: cyclic })), 'STORE_INVALID');
    expect((await store.getRun(r.id))?.results).toEqual([]);
    expect(await store.listAgents()).toEqual([]);
    expect(await store.listAudit()).toEqual([]);
  });

  it('lookups by a key that cannot be stored find nothing', async () => {
    const store = await freshStore();
    expect(await store.findTokenByHash('a\u0000')).toBeUndefined();
    expect(await store.getAgentByName('a\u0000')).toBeUndefined();
    expect(await store.findAgentByCredentialHash('\ud800')).toBeUndefined();
    expect(await store.getRun('a\u0000')).toBeUndefined();
    expect(await store.revokeToken('a\u0000', T0)).toBe(false);
    expect(await store.listAudit({ principal: 'a\u0000' })).toEqual([]);
    await expectStoreError(store.updateAgentState('a\u0000', { status: 'connected' }), 'STORE_NOT_FOUND');
    expect(await store.getApproval('a\u0000')).toBeUndefined();
    expect(await store.listApprovals({ status: 'a\u0000' as ApprovalStatus })).toEqual([]);
    expect(await store.decideApproval('\udc00', { status: 'approved', by: 'alice', at: T0 })).toBe(false);
    for (const key of ['type', 'alarm', 'bot', 'host'] as const) {
      expect(await store.listEvents({ [key]: 'a\u0000' })).toEqual([]);
    }
    expect(await store.countEvents({ type: 'bot_ran', bot: '\ud800', since: T0 })).toBe(0);
    expect(await store.countEvents({ type: 'a\u0000', since: T0 })).toBe(0);
  });

  it('JSON: undefined object properties are left out, plan may be any JSON value', async () => {
    const store = await freshStore();
    const r = run({ plan: 'just a string' });
    await store.createRun(r);
    expect((await store.getRun(r.id))?.run.plan).toBe('just a string');
    const r2 = run({ plan: [1, [2, [3]], { a: undefined, b: 1 }] });
    await store.createRun(r2);
    expect((await store.getRun(r2.id))?.run.plan).toStrictEqual([1, [2, [3]], { b: 1 }]);
  });
});
