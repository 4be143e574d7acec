/*
 * The audit trail (audit-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, audit, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type AuditRecord } from './index.js';

await describeStore('audit', 'src/server/store/audit-rows.test.ts', ({ freshStore }) => {
  it('appends and lists newest first, detail round-trips', async () => {
    const store = await freshStore();
    const entries = [
      audit({ time: T0 + 2, action: 'token.create', target: 'ci-bot', detail: { role: 'operator' } }),
      audit({ time: T0 + 1, runId: 'run-1', detail: { rows: 3, hosts: ['a', 'b'], note: TRICKY } }),
      audit({ time: T0 + 3, outcome: 'denied', detail: { reason: 'viewer cannot run commands', nested: { deep: [null] } } }),
    ];
    for (const e of entries) await store.appendAudit(e);
    expect(await store.listAudit()).toEqual([entries[2], entries[0], entries[1]]);
  });

  it('filters by principal and action, and pages with `before`', async () => {
    const store = await freshStore();
    const all: AuditRecord[] = [];
    for (let i = 0; i < 12; i++) {
      const e = audit({
        time: T0 + i * 10,
        principal: i % 3 === 0 ? 'bob' : 'alice',
        action: i % 2 === 0 ? 'run' : 'token.revoke',
      });
      all.push(e);
      await store.appendAudit(e);
    }
    const newest = [...all].reverse();
    expect(await store.listAudit({ principal: 'bob' })).toEqual(newest.filter((e) => e.principal === 'bob'));
    expect(await store.listAudit({ action: 'token.revoke' })).toEqual(newest.filter((e) => e.action === 'token.revoke'));
    expect(await store.listAudit({ principal: 'alice', action: 'run' })).toEqual(
      newest.filter((e) => e.principal === 'alice' && e.action === 'run'),
    );
    expect(await store.listAudit({ principal: 'carol' })).toEqual([]);

    const alice = newest.filter((e) => e.principal === 'alice');
    const page1 = await store.listAudit({ principal: 'alice', limit: 3 });
    expect(page1).toEqual(alice.slice(0, 3));
    const page2 = await store.listAudit({ principal: 'alice', limit: 3, before: page1[2]!.time });
    expect(page2).toEqual(alice.slice(3, 6));
    expect(await store.listAudit({ before: T0 + 25 })).toEqual(newest.filter((e) => e.time < T0 + 25));
  });

  it('100 entries by default; rejects a duplicate id and an unknown outcome', async () => {
    const store = await freshStore();
    for (let i = 0; i < 150; i++) await store.appendAudit(audit({ time: T0 + i }));
    const page = await store.listAudit();
    expect(page).toHaveLength(100);
    expect(page[0]!.time).toBe(T0 + 149);
    await expectStoreError(store.appendAudit(audit({ id: page[0]!.id })), 'STORE_CONFLICT');
    await expectStoreError(store.appendAudit(audit({ outcome: 'meh' as AuditRecord['outcome'] })), 'STORE_INVALID');
    await expectStoreError(store.listAudit({ before: Number.NaN }), 'STORE_INVALID');
  });
});
