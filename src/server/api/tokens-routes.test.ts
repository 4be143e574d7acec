import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import { JOIN_TOKEN_DEFAULT_TTL_SECONDS } from '../join-tokens.js';
import { tokenRoutes } from './tokens-routes.js';

closeAppsAfterEach();

const T = 1_790_000_000_000;

async function app() {
  const clock = manualClock(T);
  const revoked: string[] = [];
  const t = await injectApp((store) => tokenRoutes({ store, streams: { revoke: (id) => void revoked.push(id) }, clock }));
  return { t, clock, revoked };
}

describe('tokens routes', () => {
  it('creates a join token expiring a day after the clock\'s now, shows its secret once, and audits it', async () => {
    const { t } = await app();
    const r = await t.call('POST', '/api/v1/tokens', 'admin', { role: 'agent', name: 'rack-7', uses: 3 });
    expect(r.json).toMatchObject({ name: 'rack-7', role: 'agent', expiresAt: T + JOIN_TOKEN_DEFAULT_TTL_SECONDS * 1000, maxUses: 3 });
    expect(r.json.token).toMatch(/^bwt_/);
    const listed = (await t.call('GET', '/api/v1/tokens', 'admin')).json as Record<string, unknown>[];
    expect(listed.find((k) => k.name === 'rack-7')).not.toHaveProperty('hash');
    expect(JSON.stringify(listed)).not.toContain(r.json.token);
    expect((await t.audit()).map((e) => [e.time, e.principal, e.action, e.target, e.detail])).toEqual([[T, 'admin', 'token.create', 'rack-7', { role: 'agent', expiresAt: T + JOIN_TOKEN_DEFAULT_TTL_SECONDS * 1000, maxUses: 3 }]]);
  });

  it('gives other roles no expiry unless asked, and refuses `uses` on them (400)', async () => {
    const { t } = await app();
    expect((await t.call('POST', '/api/v1/tokens', 'admin', { role: 'viewer', name: 'grafana' })).json.expiresAt).toBeNull();
    expect((await t.call('POST', '/api/v1/tokens', 'admin', { role: 'viewer', name: 'ci', expiresInSeconds: 60 })).json.expiresAt).toBe(T + 60_000);
    const uses = await t.call('POST', '/api/v1/tokens', 'admin', { role: 'operator', name: 'ops', uses: 2 });
    expect(uses.status).toBe(400);
    expect(uses.json.message).toBe('invalid request body: uses: only a join token (role agent) has uses; a operator token is used for every call until it expires or is revoked');
  });

  it('revokes a token at the clock\'s now and ends its open streams; a second revoke is 404', async () => {
    const { t, clock, revoked } = await app();
    const id = (await t.call('POST', '/api/v1/tokens', 'admin', { role: 'viewer', name: 'tab' })).json.id as string;
    clock.set(T + 5000);
    expect((await t.call('DELETE', `/api/v1/tokens/${id}`, 'admin')).json).toEqual({ revoked: id, agentsKept: 0 });
    expect(revoked).toEqual([id]);
    expect(((await t.call('GET', '/api/v1/tokens', 'admin')).json as { id: string; revokedAt: number }[]).find((k) => k.id === id)?.revokedAt).toBe(T + 5000);
    expect(await t.call('DELETE', `/api/v1/tokens/${id}`, 'admin')).toMatchObject({ status: 404, json: { code: 'BW_ERR_NOT_FOUND', message: `no active token with id ${id}` } });
  });

  it('is for admins only: an operator is refused (403) on every tokens route', async () => {
    const { t } = await app();
    for (const [method, url] of [['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens'], ['DELETE', '/api/v1/tokens/x']] as const) {
      expect((await t.call(method, url, 'operator', method === 'POST' ? { role: 'viewer', name: 'x' } : undefined)).status, `${method} ${url}`).toBe(403);
    }
  });
});
