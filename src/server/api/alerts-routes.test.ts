import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp, manualClock } from '../../../test/inject-app.js';
import { alertsRoutes } from './alerts-routes.js';

closeAppsAfterEach();

const hosts = [
  { name: 'web-1', connected: true },
  { name: 'web-2', connected: false },
  { name: 'db-1', connected: true },
];

describe('POST /api/v1/alerts', () => {
  it('hands the alert to each connected host named, says which were offline, and audits it as failed', async () => {
    const fleet = fakeFleet(hosts);
    const clock = manualClock(1_770_000_000_000);
    const t = await injectApp((store) => alertsRoutes({ store, gateway: fleet, clock }));
    const r = await t.call('POST', '/api/v1/alerts', 'operator', { alert: 'DiskFull', hosts: ['web-1', 'web-2'], context: { mount: '/data', used: 97 } });
    expect(r).toMatchObject({ status: 200, json: { alert: 'DiskFull', delivered: ['web-1'], offline: ['web-2'] } });
    expect(fleet.log.sent).toEqual([{ host: 'web-1', message: { type: 'alert', name: 'DiskFull', context: { mount: '/data', used: 97 } } }]);
    const [entry] = await t.audit();
    expect(entry).toMatchObject({ time: 1_770_000_000_000, principal: 'operator', action: 'alert', target: 'DiskFull', outcome: 'failed', detail: { delivered: ['web-1'], offline: ['web-2'] } });
  });

  it('audits an alert every host took as ok, with an empty context by default', async () => {
    const fleet = fakeFleet(hosts);
    const t = await injectApp((store) => alertsRoutes({ store, gateway: fleet, clock: manualClock() }));
    expect((await t.call('POST', '/api/v1/alerts', 'admin', { alert: 'Load', hosts: ['web-1', 'db-1'] })).json).toEqual({ alert: 'Load', delivered: ['web-1', 'db-1'], offline: [] });
    expect(fleet.log.sent.map((s) => s.message.context)).toEqual([{}, {}]);
    expect((await t.audit()).map((e) => e.outcome)).toEqual(['ok']);
  });

  it('refuses a viewer (403), and a malformed alert (400) naming the field, sending nothing', async () => {
    const fleet = fakeFleet(hosts);
    const t = await injectApp((store) => alertsRoutes({ store, gateway: fleet, clock: manualClock() }));
    expect((await t.call('POST', '/api/v1/alerts', 'viewer', { alert: 'Load', hosts: ['web-1'] })).status).toBe(403);
    const badName = await t.call('POST', '/api/v1/alerts', 'operator', { alert: 'disk full!', hosts: ['web-1'] });
    expect(badName.status).toBe(400);
    expect(badName.json.message).toBe('invalid request body: alert: expected an alert name of letters, digits, `_`, `.`, `:`, `-`');
    const noHosts = await t.call('POST', '/api/v1/alerts', 'operator', { alert: 'Load', hosts: [] });
    expect(noHosts.json.message).toBe('invalid request body: hosts: name at least one host');
    expect(fleet.log.sent).toEqual([]);
  });
});
