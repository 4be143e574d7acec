import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp } from '../../../test/inject-app.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { ROLE_POWERS } from '../auth.js';
import { systemClock } from '../fleet/index.js';
import { readiness } from '../readiness.js';
import type { Store } from '../store/index.js';
import { openPostgresStore } from '../store/index.js';
import { auditRoutes } from './audit-routes.js';
import { healthRoutes } from './health-routes.js';

closeAppsAfterEach();

const routes = (store: Store, checks?: Parameters<typeof readiness>[0]) =>
  healthRoutes({ version: '9.9.9', gateway: fakeFleet([{ name: 'web-1', connected: true }, { name: 'web-2', connected: false }, { name: 'db-1', connected: true }]), catalogue: () => BUILTIN_CATALOGUE, readiness: readiness(checks ?? { store: () => store.ping() }, { timeoutMs: 5000, clock: systemClock }) });
const app = () => injectApp((store) => routes(store));

/** A real PostgreSQL store nothing listens for (port 1): every query fails to connect (ECONNREFUSED). */
const unreachable = () => openPostgresStore('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 2000 });

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

  it('GET /readyz answers 200 when the store answers', async () => {
    const t = await app();
    expect(await t.call('GET', '/readyz')).toMatchObject({ status: 200, json: { ready: true, checks: { store: 'ok' } } });
  });

  it('GET /readyz answers 503 BW_ERR_UNAVAILABLE naming what is down, while /healthz (liveness) stays 200', async () => {
    const dead = unreachable();
    try {
      const t = await injectApp((store) => routes(store, { store: () => dead.ping(), nats: () => Promise.resolve() }));
      const r = await t.call('GET', '/readyz');
      expect(r.status).toBe(503);
      expect(r.json.code).toBe('BW_ERR_UNAVAILABLE');
      expect(r.json.message).toMatch(/^this replica cannot serve calls now \(store: ping: .*ECONNREFUSED/);
      expect(r.json.details.checks.nats).toBe('ok');
      expect((await t.call('GET', '/healthz')).status).toBe(200);
    } finally {
      await dead.close();
    }
  });

  it('a route whose store cannot be reached answers 503 BW_ERR_UNAVAILABLE, not 500', async () => {
    const dead = unreachable();
    try {
      const t = await injectApp(() => auditRoutes({ store: dead }));
      const r = await t.call('GET', '/api/v1/audit', 'operator');
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ code: 'BW_ERR_UNAVAILABLE', details: { operation: 'listAudit' } });
      expect(r.json.message).toMatch(/^the control plane cannot reach its store; try again shortly/);
    } finally {
      await dead.close();
    }
  });
});

