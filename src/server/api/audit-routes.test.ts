import fc from 'fast-check';
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

  it('filters by `text`: a part of the principal, action or target in any case, `%` and `_` literal', async () => {
    const t = await injectApp((store) => auditRoutes({ store }));
    const at = (ms: number) => ({ now: () => ms });
    await audit(t.store, 'Alice', 'token.create', 'ci_bot', 'ok', {}, null, at(1000));
    await audit(t.store, 'bob', 'agent.revoke', 'web-1', 'ok', {}, null, at(2000));
    const targets = async (text: string) => (await t.call('GET', `/api/v1/audit?${new URLSearchParams({ text })}`, 'operator')).json.map((e: { target: string }) => e.target);
    expect(await targets('ALIC')).toEqual(['ci_bot']);
    expect(await targets('voke')).toEqual(['web-1']);
    expect(await targets('i_b')).toEqual(['ci_bot']);
    expect(await targets('i%b')).toEqual([]);
    const mine = await t.call('GET', '/api/v1/audit?text=b&principal=bob', 'operator');
    expect(mine.json.map((e: { target: string }) => e.target)).toEqual(['web-1']);
    const long = await t.call('GET', `/api/v1/audit?text=${'x'.repeat(201)}`, 'operator');
    expect(long.status).toBe(400);
    expect(long.json.code).toBe('BW_ERR_INVALID_REQUEST');
    expect(long.json.message).toMatch(/^invalid query parameters: text: expected at most 200 characters/);
  });

  it('answers any `text` with entries or a 400 naming it, never a crash (bounded fuzz)', async () => {
    const t = await injectApp((store) => auditRoutes({ store }));
    await audit(t.store, 'alice', 'run', 'host | `du -sh 100%`', 'ok', {}, null, { now: () => 1000 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 260 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('%', '_', '\\', "' or 1=1 --", '%25', '\u0000')), async (text) => {
        const r = await t.call('GET', `/api/v1/audit?${new URLSearchParams({ text })}`, 'operator');
        if (text.length > 200) expect([r.status, r.json.code]).toEqual([400, 'BW_ERR_INVALID_REQUEST']);
        else {
          expect(r.status).toBe(200);
          // Whatever matched contains the text (in any case): the seeded entry, or a refusal this test caused.
          for (const e of r.json as { principal: string; action: string; target: string }[]) expect([e.principal, e.action, e.target].some((v) => v.toLowerCase().includes(text.toLowerCase()))).toBe(true);
        }
      }),
      { numRuns: 60, seed: 13 },
    );
  });
});
