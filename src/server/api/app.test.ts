import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import { BreakwaterError } from '../../protocol/index.js';
import { createToken } from '../auth.js';
import { CONTENT_SECURITY_POLICY } from '../security-headers.js';
import type { Route } from './route.js';
import { route } from './route.js';

/** Routes that show what the guard and the error handler do, each in one line. */
const probes: Route[] = [
  route({ method: 'GET', url: '/api/v1/probe/open', summary: 'No token needed.', role: 'public', handler: async () => ({ open: true }) }),
  route({ method: 'GET', url: '/api/v1/probe/who', summary: 'The caller.', role: 'viewer', handler: async ({ principal }) => ({ name: principal?.name }) }),
  route({ method: 'POST', url: '/api/v1/probe/admin', summary: 'Admins only.', role: 'admin', audit: 'probe.admin', handler: async () => ({ done: true }) }),
  route({ method: 'GET', url: '/api/v1/probe/stream', summary: 'Token in the query.', role: 'viewer', tokenInQuery: true, query: z.object({ token: z.string().optional() }), handler: async ({ principal }) => ({ name: principal?.name }) }),
  route({ method: 'POST', url: '/api/v1/probe/body', summary: 'A schema.', role: 'viewer', body: z.object({ name: z.string().min(3, 'too short') }), handler: async ({ body }) => body }),
  route({ method: 'GET', url: '/api/v1/probe/refuse', summary: 'A handler refusing a credential.', role: 'public', handler: async () => Promise.reject(new BreakwaterError('BW_ERR_UNAUTHENTICATED', 'join token `x` is used up')) }),
  route({ method: 'GET', url: '/api/v1/probe/crash', summary: 'A bug.', role: 'public', handler: async () => Promise.reject(new Error('boom')) }),
];

closeAppsAfterEach();

describe('buildApp: the token guard', () => {
  it('answers public routes without a token, and is not listening on any port', async () => {
    const t = await injectApp(() => probes);
    expect(t.app.server.listening).toBe(false);
    const r = await t.call('GET', '/api/v1/probe/open');
    expect(r).toMatchObject({ status: 200, json: { open: true } });
  });

  it('refuses a call without a token or with an unknown one (401), audited as anonymous once per address a minute', async () => {
    const t = await injectApp(() => probes);
    const none = await t.call('GET', '/api/v1/probe/who');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ code: 'BW_ERR_UNAUTHENTICATED', message: 'no token: send Authorization: Bearer <token> (see `breakwater token create`)', details: {} });
    const unknown = await t.call('GET', '/api/v1/probe/who', { secret: 'bwt_nothing' });
    expect(unknown.status).toBe(401);
    expect(unknown.json.message).toBe('the token is unknown, expired or revoked');
    const entries = await t.audit();
    expect(entries.map((e) => [e.principal, e.action, e.target, e.outcome, e.detail.reason])).toEqual([['anonymous', 'request', 'GET /api/v1/probe/who', 'denied', 'no token']]);
  });

  it('refuses a token past its expiry by the injected clock', async () => {
    const clock = manualClock(1_000_000);
    const t = await injectApp(() => probes, { clock });
    const { secret } = await createToken(t.store, 'viewer', 'short-lived', 'test', 1_060_000);
    expect((await t.call('GET', '/api/v1/probe/who', { secret })).json).toEqual({ name: 'short-lived' });
    clock.set(1_060_000);
    expect((await t.call('GET', '/api/v1/probe/who', { secret })).status).toBe(401);
  });

  it('refuses a role too low (403) naming the role needed, and audits it under the route\'s action', async () => {
    const t = await injectApp(() => probes);
    const r = await t.call('POST', '/api/v1/probe/admin', 'operator');
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ code: 'BW_ERR_FORBIDDEN', message: 'POST /api/v1/probe/admin needs the admin role; token `operator` has operator', details: { needed: 'admin', held: 'operator' } });
    expect((await t.audit()).map((e) => [e.principal, e.action, e.outcome, e.detail])).toEqual([['operator', 'probe.admin', 'denied', { needed: 'admin', held: 'operator' }]]);
    expect((await t.call('POST', '/api/v1/probe/admin', 'admin')).json).toEqual({ done: true });
  });

  it('takes the token as ?token= only on routes that allow it', async () => {
    const t = await injectApp(() => probes);
    expect((await t.call('GET', `/api/v1/probe/stream?token=${t.tokens.viewer}`)).json).toEqual({ name: 'viewer' });
    expect((await t.call('GET', `/api/v1/probe/who?token=${t.tokens.viewer}`)).status).toBe(401);
  });

  it('refuses a body its schema rejects (400), naming the part and the field', async () => {
    const t = await injectApp(() => probes);
    const r = await t.call('POST', '/api/v1/probe/body', 'viewer', { name: 'ab' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
    expect(r.json.message).toMatch(/^invalid request body: name: too short/);
    expect(r.json.details).toEqual({ where: 'request body' });
  });
});

describe('buildApp: errors and the rest', () => {
  it('audits a handler\'s own refusal of a credential once, as anonymous', async () => {
    const t = await injectApp(() => probes);
    const r = await t.call('GET', '/api/v1/probe/refuse');
    expect(r).toMatchObject({ status: 401, json: { code: 'BW_ERR_UNAUTHENTICATED', message: 'join token `x` is used up' } });
    expect((await t.audit()).map((e) => [e.principal, e.target, e.detail.reason])).toEqual([['anonymous', 'GET /api/v1/probe/refuse', 'join token `x` is used up']]);
  });

  it('answers a bug as BW_ERR_INTERNAL (500), a body that is not JSON as 400, too large a body as 413', async () => {
    const t = await injectApp(() => probes, { limits: { bodyLimitBytes: 64 } });
    expect(await t.call('GET', '/api/v1/probe/crash')).toMatchObject({ status: 500, json: { code: 'BW_ERR_INTERNAL', message: 'boom' } });
    expect(await t.call('POST', '/api/v1/probe/body', 'viewer', '{"name": ')).toMatchObject({ status: 400, json: { code: 'BW_ERR_INVALID_REQUEST' } });
    const big = await t.call('POST', '/api/v1/probe/body', 'viewer', { name: 'x'.repeat(100) });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ code: 'BW_ERR_PAYLOAD_TOO_LARGE', message: 'the request body is larger than 64 bytes, the most accepted', details: { limit: 64 } });
  });

  it('answers an unknown API path as BW_ERR_NOT_FOUND (404) naming it, with the security headers', async () => {
    const t = await injectApp(() => probes);
    const r = await t.call('DELETE', '/api/v1/nothing?x=1');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'BW_ERR_NOT_FOUND', message: 'no route DELETE /api/v1/nothing', details: {} });
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('describes its routes at /api/v1/openapi.json, without a token', async () => {
    const t = await injectApp(() => probes);
    const r = await t.call('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.info).toEqual({ title: 'Breakwater control plane API', version: 'test' });
    expect(r.json.paths['/api/v1/probe/admin'].post['x-breakwater-role']).toBe('admin');
    expect(Object.keys(r.json.paths)).toHaveLength(probes.length);
  });
});
