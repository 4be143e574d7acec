import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp } from '../../../test/inject-app.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { ROLE_POWERS } from '../auth.js';
import { healthRoutes } from './health-routes.js';

closeAppsAfterEach();

const app = () => injectApp(() => healthRoutes({ version: '9.9.9', gateway: fakeFleet([{ name: 'web-1', connected: true }, { name: 'web-2', connected: false }, { name: 'db-1', connected: true }]), catalogue: () => BUILTIN_CATALOGUE }));

describe('health routes', () => {
  it('GET /healthz answers without a token: the version and how many agents are connected', async () => {
    const t = await app();
    expect(await t.call('GET', '/healthz')).toMatchObject({ status: 200, json: { ok: true, version: '9.9.9', agents: 2 } });
  });

  it('GET /api/v1/whoami names the caller\'s token, role and what the role may do', async () => {
    const t = await app();
    expect((await t.call('GET', '/api/v1/whoami', 'operator')).json).toEqual({ name: 'operator', role: 'operator', may: ROLE_POWERS.operator });
    expect((await t.call('GET', '/api/v1/whoami')).json.code).toBe('BW_ERR_UNAUTHENTICATED');
  });

  it('GET /api/v1/catalogue gives a viewer the language catalogue', async () => {
    const t = await app();
    const r = await t.call('GET', '/api/v1/catalogue', 'viewer');
    expect(r.status).toBe(200);
    expect(r.json).toEqual(JSON.parse(JSON.stringify(BUILTIN_CATALOGUE)));
  });
});
