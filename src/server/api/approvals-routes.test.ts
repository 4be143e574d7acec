import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { Principal } from '../auth.js';
import type { ApprovalRecord } from '../store/index.js';
import type { ApprovalsContext } from './approvals-routes.js';
import { approvalsRoutes } from './approvals-routes.js';

closeAppsAfterEach();

const approval = (id: string, createdAt: number, status: ApprovalRecord['status'] = 'pending'): ApprovalRecord => ({
  id,
  createdAt,
  expiresAt: createdAt + 3_600_000,
  bot: 'disk-janitor',
  action: 'clean_tmp',
  host: 'web-1',
  resource: 'web-1:/data',
  statement: 'host web-1 | clean_tmp()',
  details: {},
  status,
  decidedBy: status === 'pending' ? null : 'someone',
  decidedAt: status === 'pending' ? null : createdAt + 1,
  runId: null,
});

/** Remediation's decision, faked: it records who decided what and answers as remediation would. */
function deciding() {
  const decisions: [string, boolean, string][] = [];
  const remediation: ApprovalsContext['remediation'] = {
    decide: async (id: string, approve: boolean, who: Principal) => {
      decisions.push([id, approve, who.name]);
      return approve ? { status: 'approved' as const, runId: 'run-1', failed: 0 } : { status: 'denied' as const, runId: null };
    },
  };
  return { remediation, decisions };
}

describe('approvals routes', () => {
  it('lists approvals newest first, filtered by status', async () => {
    const t = await injectApp((store) => approvalsRoutes({ store, remediation: deciding().remediation }));
    await t.store.createApproval(approval('a1', 1000));
    await t.store.createApproval(approval('a2', 2000, 'denied'));
    await t.store.createApproval(approval('a3', 3000));
    expect((await t.call('GET', '/api/v1/approvals', 'viewer')).json.map((a: ApprovalRecord) => a.id)).toEqual(['a3', 'a2', 'a1']);
    expect((await t.call('GET', '/api/v1/approvals?status=pending', 'viewer')).json.map((a: ApprovalRecord) => a.id)).toEqual(['a3', 'a1']);
    const bad = await t.call('GET', '/api/v1/approvals?status=maybe', 'viewer');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^invalid query parameters: status: /);
  });

  it('approves and denies under the caller\'s name, answering with remediation\'s decision', async () => {
    const { remediation, decisions } = deciding();
    const t = await injectApp((store) => approvalsRoutes({ store, remediation }));
    expect(await t.call('POST', '/api/v1/approvals/a1/approve', 'operator')).toMatchObject({ status: 200, json: { status: 'approved', runId: 'run-1', failed: 0 } });
    expect(await t.call('POST', '/api/v1/approvals/a2/deny', 'admin')).toMatchObject({ status: 200, json: { status: 'denied', runId: null } });
    expect(decisions).toEqual([
      ['a1', true, 'operator'],
      ['a2', false, 'admin'],
    ]);
  });

  it('refuses a viewer\'s approval or denial (403) before anything is decided, and audits both', async () => {
    const { remediation, decisions } = deciding();
    const t = await injectApp((store) => approvalsRoutes({ store, remediation }));
    for (const verb of ['approve', 'deny']) {
      const r = await t.call('POST', `/api/v1/approvals/a1/${verb}`, 'viewer');
      expect(r.status).toBe(403);
      expect(r.json.message).toBe(`POST /api/v1/approvals/:id/${verb} needs the operator role; token \`viewer\` has viewer`);
    }
    expect(decisions).toEqual([]);
    // Refusals in the same millisecond come back in either order: compared sorted.
    expect((await t.audit()).map((e) => [e.principal, e.target, e.outcome]).sort()).toEqual([
      ['viewer', 'POST /api/v1/approvals/:id/approve', 'denied'],
      ['viewer', 'POST /api/v1/approvals/:id/deny', 'denied'],
    ]);
  });
});
