import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import { audit } from '../audit/index.js';
import { auditRoutes } from './audit-routes.js';

closeAppsAfterEach();

describe('GET /api/v1/audit', () => {
  it('is refused to a viewer (403), and that refusal is in the log an operator reads', async () => {
    const t = await injectApp((store) => auditRoutes({ store }));
    const refused = await t.call('GET', '/api/v1/audit', 'viewer');
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe('GET /api/v1/audit needs the operator role; token `viewer` has viewer');
    const log = await t.call('GET', '/api/v1/audit', 'operator');
    expect(log.status).toBe(200);
    expect(log.json.map((e: { principal: string; target: string; outcome: string }) => [e.principal, e.target, e.outcome])).toEqual([['viewer', 'GET /api/v1/audit', 'denied']]);
  });

  it('filters by principal and action, newest first, a page at a time', async () => {
    const t = await injectApp((store) => auditRoutes({ store }));
    const at = (ms: number) => ({ now: () => ms });
    await audit(t.store, 'alice', 'token.create', 'ci', 'ok', {}, null, at(1000));
    await audit(t.store, 'bob', 'token.create', 'cd', 'ok', {}, null, at(2000));
    await audit(t.store, 'alice', 'runbook.delete', 'disk', 'ok', {}, null, at(3000));
    await audit(t.store, 'alice', 'token.create', 'web', 'ok', {}, null, at(4000));
    const mine = await t.call('GET', '/api/v1/audit?principal=alice&action=token.create', 'admin');
    expect(mine.json.map((e: { target: string; time: number }) => [e.target, e.time])).toEqual([['web', 4000], ['ci', 1000]]);
    const page = await t.call('GET', '/api/v1/audit?principal=alice&limit=1&before=4000', 'admin');
    expect(page.json.map((e: { target: string }) => e.target)).toEqual(['disk']);
  });

  it('refuses a page size out of range, naming the query parameter', async () => {
    const t = await injectApp((store) => auditRoutes({ store }));
    const r = await t.call('GET', '/api/v1/audit?limit=0', 'operator');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
    expect(r.json.message).toMatch(/^invalid query parameters: limit: /);
  });
});
