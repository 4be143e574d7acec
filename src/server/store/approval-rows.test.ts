/*
 * Approvals (approval-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, approval, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type ApprovalRecord, type ApprovalStatus } from './index.js';

await describeStore('approvals', 'src/server/store/approval-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('creates, gets, lists newest first with a status filter, pages with `before`', async () => {
    const store = await freshStore();
    const all: ApprovalRecord[] = [];
    for (let i = 0; i < 9; i++) {
      const status: ApprovalStatus = (['pending', 'approved', 'denied'] as const)[i % 3]!;
      const decided = status === 'pending' ? {} : { decidedBy: 'carol', decidedAt: T0 + i * 10 + 5 };
      all.push(approval({ id: `ap-${i}`, createdAt: T0 + i * 10, status, ...decided, ...(status === 'approved' ? { runId: `run-${i}` } : {}) }));
    }
    all.push(approval({ id: 'ap-tricky', createdAt: T0 + 1000, statement: TRICKY, details: { note: TRICKY, args: { n: 1, ok: true } } }));
    for (const a of [...all].reverse()) await store.createApproval(a);
    const newest = [...all].reverse();

    expect(await store.getApproval('ap-tricky')).toEqual(all[9]);
    expect(await store.getApproval('ap-4')).toEqual(all[4]);
    expect(await store.getApproval('no-such-approval')).toBeUndefined();
    expect(await store.listApprovals()).toEqual(newest);
    expect(await store.listApprovals({ status: 'pending' })).toEqual(newest.filter((a) => a.status === 'pending'));
    expect(await store.listApprovals({ status: 'approved' })).toEqual(newest.filter((a) => a.status === 'approved'));
    expect(await store.listApprovals({ status: 'expired' })).toEqual([]);
    expect(await store.listApprovals({ status: 'pending', limit: 2 })).toEqual(newest.filter((a) => a.status === 'pending').slice(0, 2));
    expect(await store.listApprovals({ before: T0 + 30 })).toEqual(newest.filter((a) => a.createdAt < T0 + 30));
    expect(await store.listApprovals({ status: 'pending', before: T0 + 30 })).toEqual(
      newest.filter((a) => a.status === 'pending' && a.createdAt < T0 + 30),
    );
    expect(await store.listApprovals({ limit: 0 })).toEqual([]);
    await expectStoreError(store.listApprovals({ limit: 1.5 }), 'STORE_INVALID');
  });

  it('decideApproval moves a pending approval once; a second decision gets false', async () => {
    const store = await freshStore();
    const a = approval();
    await store.createApproval(a);
    expect(await store.decideApproval(a.id, { status: 'approved', by: 'alice', at: T0 + 10, runId: 'run-9' })).toBe(true);
    const approved = { ...a, status: 'approved' as const, decidedBy: 'alice', decidedAt: T0 + 10, runId: 'run-9' };
    expect(await store.getApproval(a.id)).toEqual(approved);
    expect(await store.decideApproval(a.id, { status: 'denied', by: 'bob', at: T0 + 20 })).toBe(false);
    expect(await store.decideApproval(a.id, { status: 'approved', by: 'bob', at: T0 + 20 })).toBe(false);
    expect(await store.decideApproval(a.id, { status: 'expired', by: 'system', at: T0 + 20 })).toBe(false);
    expect(await store.getApproval(a.id)).toEqual(approved);

    const d = approval();
    await store.createApproval(d);
    expect(await store.decideApproval(d.id, { status: 'denied', by: 'bob', at: T0 + 30 })).toBe(true);
    expect(await store.getApproval(d.id)).toEqual({ ...d, status: 'denied', decidedBy: 'bob', decidedAt: T0 + 30, runId: null });

    expect(await store.decideApproval('no-such-approval', { status: 'approved', by: 'alice', at: T0 })).toBe(false);
    expect((await store.listApprovals({ status: 'pending' }))).toEqual([]);
  });

  it('an approval at or past its expiresAt cannot be approved or denied, only marked expired', async () => {
    const store = await freshStore();
    const a = approval({ expiresAt: T0 + 1000 });
    await store.createApproval(a);
    expect(await store.decideApproval(a.id, { status: 'approved', by: 'alice', at: T0 + 1000 })).toBe(false);
    expect(await store.decideApproval(a.id, { status: 'denied', by: 'alice', at: T0 + 5000 })).toBe(false);
    expect((await store.getApproval(a.id))?.status).toBe('pending');
    expect(await store.decideApproval(a.id, { status: 'expired', by: 'system', at: T0 + 1000 })).toBe(true);
    expect(await store.getApproval(a.id)).toEqual({ ...a, status: 'expired', decidedBy: 'system', decidedAt: T0 + 1000 });
    expect(await store.decideApproval(a.id, { status: 'approved', by: 'alice', at: T0 + 1 })).toBe(false);

    const b = approval({ expiresAt: T0 + 1000 });
    await store.createApproval(b);
    expect(await store.decideApproval(b.id, { status: 'approved', by: 'alice', at: T0 + 999 })).toBe(true);
  });

  it('two people deciding at once: exactly one wins, and the stored decision is theirs', async () => {
    const target = await harness().fresh();
    const stores = [openOn(target), openOn(target)];
    await stores[0]!.migrate();
    const approvals = Array.from({ length: 8 }, () => approval());
    for (const a of approvals) await stores[0]!.createApproval(a);
    const decisions = [
      { status: 'approved' as const, by: 'alice', at: T0 + 1, runId: 'run-alice' },
      { status: 'denied' as const, by: 'bob', at: T0 + 2 },
      { status: 'approved' as const, by: 'carol', at: T0 + 3, runId: 'run-carol' },
    ];
    await Promise.all(
      approvals.map(async (a) => {
        const outcomes = await Promise.all(decisions.map((d, i) => stores[i % 2]!.decideApproval(a.id, d)));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const winner = decisions[outcomes.indexOf(true)]!;
        expect(await stores[1]!.getApproval(a.id)).toEqual({
          ...a,
          status: winner.status,
          decidedBy: winner.by,
          decidedAt: winner.at,
          runId: winner.runId ?? null,
        });
      }),
    );
  });

  it('rejects a duplicate id (STORE_CONFLICT), and an unknown status or an inconsistent decision (STORE_INVALID)', async () => {
    const store = await freshStore();
    const a = approval();
    await store.createApproval(a);
    await expectStoreError(store.createApproval(approval({ id: a.id })), 'STORE_CONFLICT');
    const bad: ApprovalRecord[] = [
      approval({ status: 'maybe' as ApprovalStatus }),
      approval({ decidedBy: 'alice' }), // pending, but decided
      approval({ decidedAt: T0 }),
      approval({ runId: 'run-1' }),
      approval({ status: 'approved' }), // decided, but by nobody
      approval({ status: 'denied', decidedBy: 'bob' }),
      approval({ statement: 'a\u0000' }),
      approval({ details: { n: Number.NaN } }),
      approval({ expiresAt: undefined as unknown as number }),
    ];
    for (const b of bad) await expectStoreError(store.createApproval(b), 'STORE_INVALID');
    const decided = approval({ status: 'approved', decidedBy: 'alice', decidedAt: T0 + 5, runId: 'run-1' });
    await store.createApproval(decided);
    expect(await store.getApproval(decided.id)).toEqual(decided);

    await expectStoreError(store.decideApproval(a.id, { status: 'pending' as 'approved', by: 'alice', at: T0 }), 'STORE_INVALID');
    await expectStoreError(store.decideApproval(a.id, { status: 'maybe' as 'approved', by: 'alice', at: T0 }), 'STORE_INVALID');
    await expectStoreError(store.decideApproval(a.id, { status: 'approved', by: 'alice', at: 1.5 }), 'STORE_INVALID');
    await expectStoreError(store.decideApproval(a.id, { status: 'approved', by: 'a\u0000', at: T0 }), 'STORE_INVALID');
    await expectStoreError(
      store.decideApproval(a.id, { status: 'approved', by: undefined as unknown as string, at: T0 }),
      'STORE_INVALID',
    );
    expect(await store.getApproval(a.id)).toEqual(a);
    expect(await store.listApprovals()).toEqual([decided, a].sort((x, y) => (x.id < y.id ? 1 : -1)));
  });
});
