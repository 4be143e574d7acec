import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { ROOT, runCli, waitUntil } from './helpers.js';
import type { AuditRow, FleetEventRow, RunRow } from './scenarios/scenario-helpers.js';
import { cliEnv, labHost } from './scenarios/scenario-helpers.js';

/*
 * Denying a bot run that waits for approval, with the real CLI (`breakwater deny ID`) and the HTTP
 * API (POST /api/v1/approvals/:id/deny) against a real lab: the run never happens, the approval
 * shows denied by whom, and the event timeline and the audit log name the person. The browser's
 * Deny button is in test/web/events.test.ts. Needs `npm run build`.
 */

interface ApprovalRow {
  readonly id: string;
  readonly host: string;
  readonly bot: string;
  readonly status: string;
  readonly decidedBy: string | null;
}

let lab: Lab;

const env = () => cliEnv(lab);
const host = (name: string): LabHost => labHost(lab, name);
const approvals = () => lab.api<ApprovalRow[]>('/api/v1/approvals');

beforeAll(async () => {
  lab = await startLab({ hosts: 2 }); // web-1, web-2
  const applied = await runCli(['apply', '-f', join(ROOT, 'test', 'fixtures', 'approval-bot.yaml'), '--yes'], { env: env() });
  expect(applied.code, applied.stderr).toBe(0);
  await waitUntil('both hosts on the approval bot', async () => (await lab.api<{ version: number | null }[]>('/api/v1/drift')).every((r) => r.version === 1));
}, 90_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

/** Makes the host's needs-approval alarm fire; resolves with the pending approval its bot asks for. */
async function askOn(name: string): Promise<ApprovalRow> {
  await writeFile(join(host(name).dir, 'run', 'ask'), 'please\n');
  let pending: ApprovalRow | undefined;
  await waitUntil(`an approval request from ${name}`, async () => {
    pending = (await approvals()).find((a) => a.host === name && a.status === 'pending');
    return pending !== undefined;
  });
  return pending as ApprovalRow;
}

/** What a denial leaves behind: the approval, its event, its audit entry, and no run. */
async function expectDenied(approval: ApprovalRow, by: string): Promise<void> {
  expect((await approvals()).find((a) => a.id === approval.id)).toMatchObject({ status: 'denied', decidedBy: by });
  const events = await lab.api<FleetEventRow[]>('/api/v1/events?type=denied');
  expect(events.find((e) => e.details.approval === approval.id)).toMatchObject({ host: approval.host, bot: 'ask-first', principal: by });
  const audit = await lab.api<AuditRow[]>('/api/v1/audit?limit=100');
  expect(audit.find((a) => a.detail.approval === approval.id)).toMatchObject({ principal: by, action: 'approval.deny', outcome: 'ok' });
  // Nothing ran: no run of the bot's action, its marker absent, and the approval cannot be approved any more.
  const runs = await lab.api<RunRow[]>('/api/v1/runs?limit=100');
  expect(runs.filter((r) => r.statement.includes('mark_approved'))).toEqual([]);
  const late = await runCli(['approve', approval.id], { env: env() });
  expect(late.code).toBe(1);
  expect(late.stderr).toContain(`approval ${approval.id} is already denied (by ${by})`);
  expect(existsSync(join(host(approval.host).dir, 'run', 'approved-ran'))).toBe(false);
}

describe('denying a bot run that waits for approval', () => {
  it('breakwater deny ID: prints denied, exits 0; the run never happens and the denial names the admin', async () => {
    const pending = await askOn('web-1');
    try {
      const r = await runCli(['deny', pending.id], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('denied\n');
      await expectDenied(pending, 'admin');
      // A second denial is refused with the reason, not silently accepted.
      const again = await runCli(['deny', pending.id], { env: env() });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('is already denied (by admin)');
    } finally {
      await rm(join(host('web-1').dir, 'run', 'ask'), { force: true });
    }
  }, 60_000);

  it('POST /api/v1/approvals/:id/deny by an operator: 200 denied with no run; a viewer is refused and changes nothing', async () => {
    const operator = (await lab.api<{ token: string }>('/api/v1/tokens', { role: 'operator', name: 'night-shift' })).token;
    const viewer = (await lab.api<{ token: string }>('/api/v1/tokens', { role: 'viewer', name: 'watcher' })).token;
    const pending = await askOn('web-2');
    try {
      const deny = (token: string) => lab.fetch(`/api/v1/approvals/${pending.id}/deny`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      const refused = await deny(viewer);
      expect(refused.status).toBe(403);
      expect((await approvals()).find((a) => a.id === pending.id)?.status).toBe('pending');

      const res = await deny(operator);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'denied', runId: null });
      await expectDenied(pending, 'night-shift');
    } finally {
      await rm(join(host('web-2').dir, 'run', 'ask'), { force: true });
    }
  }, 60_000);
});
