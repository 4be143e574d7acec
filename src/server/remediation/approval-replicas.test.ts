/*
 * Once across replicas: an approval executes once. Two replicas (ApprovalDecisions on store
 * connections of their own) decide the same approval at the same moment: both have read it
 * pending, so only the store's conditional update (decideApproval) stands between them and a
 * double run. On both back ends (test/store/back-ends.ts).
 */
import pino from 'pino';
import { expect, it } from 'vitest';
import type { Principal } from '../auth.js';
import type { Store } from '../store/index.js';
import { ApprovalDecisions } from './approval-decisions.js';
import { Approvals } from './approvals.js';
import { EventIntake } from './event-intake.js';
import { inventoryHost, statementsOn, unreachableFleet } from '../../../test/remediation-fakes.js';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, approval } from '../../../test/store/fixtures.js';

const ALICE: Principal = { id: 'tok-alice', name: 'alice', role: 'admin' };
const BOB: Principal = { id: 'tok-bob', name: 'bob', role: 'admin' };

/** Resolves for everyone once `parties` have arrived: both replicas have read the approval before either decides. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

/** A replica's decisions over `store`, whose getApproval waits at `wait` after reading. */
function replica(store: Store, wait: () => Promise<void>): ApprovalDecisions {
  const slowed = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'getApproval') return async (id: string) => ((read) => wait().then(() => read))(await target.getApproval(id));
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const clock = { now: () => T0 + 1000 };
  const intake = new EventIntake(slowed, { notify: () => undefined }, clock);
  const approvals = new Approvals({ store: slowed, intake, logger: pino({ enabled: false }), clock });
  return new ApprovalDecisions({ store: slowed, approvals, intake, statements: statementsOn(slowed, unreachableFleet([inventoryHost('web-1', false)])), clock });
}

await describeStore('approvals on two replicas', 'src/server/remediation/approval-replicas.test.ts', ({ harness, openOn }) => {
  it('two replicas deciding one approval at once: one approves (and runs it once), the other gets a conflict', async () => {
    const target = await harness().fresh();
    const [storeA, storeB] = [openOn(target), openOn(target)];
    await storeA.migrate();
    // Approve against approve, and approve against deny, each a few times: either may win.
    const cases = [true, true, true, false, false, false];
    for (const bApproves of cases) {
      const a = approval({ statement: 'host | name = "web-1" | `echo approved`' });
      await storeA.createApproval(a);
      const wait = barrier(2);
      const outcomes = await Promise.allSettled([replica(storeA, wait).decide(a.id, true, ALICE), replica(storeB, wait).decide(a.id, bApproves, BOB)]);
      const won = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { code?: string; message?: string }] : []));
      expect(won).toHaveLength(1);
      expect(lost).toEqual([expect.objectContaining({ code: 'BW_ERR_CONFLICT', message: `approval ${a.id} was decided meanwhile` })]);
      const stored = await storeB.getApproval(a.id);
      expect(stored?.status).toBe(won[0]!.status);
      expect(stored?.decidedBy).toBe(outcomes[0]!.status === 'fulfilled' ? 'alice' : 'bob');
      // The run exists only if approved, once, under the run id the approval and the answer name.
      expect(won[0]!.runId).toBe(stored?.runId);
      const runs = (await storeB.listRuns({ limit: 1000 })).filter((r) => r.statement === a.statement && r.id === stored?.runId);
      expect(runs).toHaveLength(won[0]!.status === 'approved' ? 1 : 0);
    }
    const approvedEvents = await storeB.listEvents({ type: 'approved', limit: 1000 });
    const deniedEvents = await storeB.listEvents({ type: 'denied', limit: 1000 });
    expect(approvedEvents.length + deniedEvents.length).toBe(cases.length);
    expect((await storeB.listRuns({ limit: 1000 })).filter((r) => r.statement.includes('echo approved'))).toHaveLength(approvedEvents.length);
  });
});
