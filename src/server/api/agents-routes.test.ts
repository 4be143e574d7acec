import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp, manualClock } from '../../../test/inject-app.js';
import { createToken } from '../auth.js';
import { agentRoutes } from './agents-routes.js';

closeAppsAfterEach();

const T = 1_800_000_000_000;

async function app(hosts = [{ name: 'web-1', connected: true }]) {
  const clock = manualClock(T);
  const fleet = fakeFleet(hosts);
  const t = await injectApp((store) => agentRoutes({ store, gateway: fleet, clock }));
  const join = (await createToken(t.store, 'agent', 'rack-7', 'admin', T + 60_000)).secret;
  return { t, clock, fleet, join };
}

describe('agents routes: enrollment', () => {
  it('trades a join token for the agent\'s own credential, dated by the clock, and audits it under the token', async () => {
    const { t, join } = await app();
    const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    expect(r.status).toBe(200);
    expect(r.json.credential).toMatch(/^bwa_/);
    expect(await t.store.getAgentByName('web-1')).toMatchObject({ id: r.json.agentId, hostId: 'h-1', enrolledAt: T, enrolledWith: 'rack-7' });
    expect((await t.audit()).map((e) => [e.time, e.principal, e.action, e.target, e.outcome])).toEqual([[T, 'rack-7', 'agent.enroll', 'web-1', 'ok']]);
  });

  it('refuses a join token past its expiry by the clock (401), audited as anonymous', async () => {
    const { t, clock, join } = await app();
    clock.set(T + 60_000);
    const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('BW_ERR_UNAUTHENTICATED');
    expect((await t.audit()).map((e) => [e.principal, e.target, e.outcome])).toEqual([['anonymous', 'POST /api/v1/agents/enroll', 'denied']]);
  });

  it('refuses another host taking an enrolled name (409 BW_ERR_HOST_MISMATCH), audited as denied', async () => {
    const { t, clock, join } = await app([{ name: 'web-1', connected: false }]);
    await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    clock.set(T + 1000);
    const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-2' });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('BW_ERR_HOST_MISMATCH');
    expect((await t.audit()).map((e) => [e.outcome, e.detail.reason])).toEqual([
      ['ok', undefined],
      ['denied', 'host_mismatch'],
    ]);
  });
});

describe('agents routes: the inventory and ending an agent', () => {
  it('lists the fleet\'s hosts with how each was enrolled', async () => {
    const { t, join } = await app([{ name: 'web-1', connected: true }, { name: 'db-1', connected: false }]);
    await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    const list = (await t.call('GET', '/api/v1/agents', 'viewer')).json as Record<string, unknown>[];
    expect(list.map((a) => [a.name, a.status, a.enrolledWith, a.revokedAt])).toEqual([
      ['db-1', 'disconnected', null, null],
      ['web-1', 'connected', 'rack-7', null],
    ]);
  });

  it('revokes an agent\'s credential at the clock\'s now and disconnects it; twice is a conflict (409)', async () => {
    const { t, clock, fleet, join } = await app();
    await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    clock.set(T + 1000);
    expect((await t.call('POST', '/api/v1/agents/web-1/revoke', 'admin')).json).toEqual({ name: 'web-1', revokedAt: T + 1000, disconnected: true });
    expect(fleet.log.disconnected).toEqual(['web-1']);
    expect((await t.call('POST', '/api/v1/agents/web-1/revoke', 'admin')).json.code).toBe('BW_ERR_CONFLICT');
    expect((await t.call('POST', '/api/v1/agents/web-1/revoke', 'operator')).status).toBe(403);
  });

  it('deletes an agent: gone from the store and forgotten by the fleet; an unknown name is 404', async () => {
    const { t, fleet, join } = await app();
    await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1' });
    expect((await t.call('DELETE', '/api/v1/agents/web-1', 'admin')).json).toEqual({ deleted: 'web-1', disconnected: true });
    expect(fleet.log.forgotten).toEqual(['web-1']);
    expect(await t.store.getAgentByName('web-1')).toBeUndefined();
    expect((await t.call('DELETE', '/api/v1/agents/web-1', 'admin')).status).toBe(404);
  });
});
