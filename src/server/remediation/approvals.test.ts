import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalRequestMessage } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import type { Store } from '../store/index.js';
import { ApprovalDecisions } from './approval-decisions.js';
import { APPROVAL_SWEEP_MS, Approvals } from './approvals.js';
import { EventIntake } from './event-intake.js';
import { statementsOn, tempStore, unreachableFleet } from '../../../test/remediation-fakes.js';

const T0 = 1_700_000_000_000;

const ASK: ApprovalRequestMessage = { type: 'approval', id: 'ap-1', bot: 'reaper', action: 'kill_process', resource: 'web-1/4242', args: { signal: 'TERM' }, expiresSeconds: 300, context: { alarm: 'hung_worker' } };
const ALICE: Principal = { id: 'tok-alice', name: 'alice', role: 'operator' };

let dispose: () => Promise<void>;
let store: Store;
let now: number;
let approvals: Approvals;
let decisions: ApprovalDecisions;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  ({ store, dispose } = await tempStore());
  now = T0;
  const clock = { now: () => now };
  const intake = new EventIntake(store, { notify: () => undefined }, clock);
  approvals = new Approvals({ store, intake, logger: pino({ level: 'silent' }), clock });
  decisions = new ApprovalDecisions({ store, approvals, intake, statements: statementsOn(store, unreachableFleet()), clock });
});
afterEach(async () => {
  approvals.stop();
  vi.useRealTimers();
  await dispose();
});

describe('Approvals', () => {
  it('a bot\'s request becomes a pending approval of the statement it would run, and an approval_requested event', async () => {
    await approvals.request('web-1', ASK);

    expect(await store.getApproval('ap-1')).toMatchObject({
      status: 'pending', host: 'web-1', bot: 'reaper', createdAt: T0, expiresAt: T0 + 300_000,
      statement: 'host | name = "web-1" | process | pid = 4242 | kill_process(signal = "TERM")',
    });
    expect(await store.listEvents({})).toEqual([
      expect.objectContaining({ type: 'approval_requested', principal: 'bot:reaper@web-1', message: 'bot reaper wants to run kill_process on web-1/4242: approve with `breakwater approve ap-1` within 300s' }),
    ]);
  });

  it('a denial is recorded: the approval denied by the person, a denied event and an approval.deny audit', async () => {
    await approvals.request('web-1', ASK);
    now = T0 + 60_000;

    expect(await decisions.decide('ap-1', false, ALICE)).toEqual({ status: 'denied', runId: null });

    expect(await store.getApproval('ap-1')).toMatchObject({ status: 'denied', decidedBy: 'alice', decidedAt: T0 + 60_000 });
    expect(await store.listEvents({ type: 'denied' })).toEqual([expect.objectContaining({ principal: 'alice', message: "alice denied bot reaper's run of kill_process on web-1/4242" })]);
    expect(await store.listAudit({ action: 'approval.deny' })).toEqual([expect.objectContaining({ principal: 'alice', target: 'web-1/4242', outcome: 'ok' })]);
    await expect(decisions.decide('ap-1', false, ALICE)).rejects.toMatchObject({ code: 'BW_ERR_CONFLICT', message: 'approval ap-1 is already denied (by alice)' });
  });

  it('the sweep expires an approval left unanswered past its time, and only then', async () => {
    await approvals.request('web-1', ASK);

    now = T0 + 299_000;
    await vi.advanceTimersByTimeAsync(APPROVAL_SWEEP_MS);
    expect((await store.getApproval('ap-1'))?.status).toBe('pending');

    now = T0 + 300_000;
    await vi.advanceTimersByTimeAsync(APPROVAL_SWEEP_MS);
    expect(await store.getApproval('ap-1')).toMatchObject({ status: 'expired', decidedBy: 'breakwater' });
    expect(await store.listEvents({ type: 'denied' })).toEqual([
      expect.objectContaining({ principal: 'breakwater', message: "approval for bot reaper's run of kill_process on web-1/4242 expired unanswered", details: { approval: 'ap-1', expired: true } }),
    ]);
  });

  it('deciding an approval whose time is up is a conflict, and expires it', async () => {
    await approvals.request('web-1', ASK);
    now = T0 + 301_000;

    await expect(decisions.decide('ap-1', true, ALICE)).rejects.toMatchObject({ code: 'BW_ERR_CONFLICT', message: `approval ap-1 expired at ${new Date(T0 + 300_000).toISOString()}` });
    expect((await store.getApproval('ap-1'))?.status).toBe('expired');
  });

  it('deciding an unknown approval is not found', async () => {
    await expect(decisions.decide('nope', false, ALICE)).rejects.toMatchObject({ code: 'BW_ERR_NOT_FOUND' });
  });
});
