import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp, manualClock } from '../../../test/inject-app.js';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import { ControlChanges, Controls, EventIntake } from '../remediation/index.js';
import type { Remediation } from '../remediation/index.js';
import type { Store } from '../store/index.js';
import { operateRoutes } from './operate-routes.js';

closeAppsAfterEach();

const T0 = 1_760_000_000_000;
const DEFS = parseDefinitions(
  [
    {
      path: 'defs.yaml',
      text: `kind: alarm\nname: disk-full\nquery: host\nfire: disk_usage > 90\n---\nkind: action\nname: clean_logs\ncommand: "true"\nresources: [host]\n---\nkind: bot\nname: cleaner\ntrigger: { alarm: disk-full, on: fired }\naction: clean_logs\n`,
    },
  ],
  BUILTIN_CATALOGUE,
).definitions;

/** The routes over the real controls on the app's store; the fleet only counts pushes, the notifier nothing. */
async function operateApp() {
  const clock = manualClock(T0);
  let pushes = 0;
  let remediation: Pick<Remediation, 'controls' | 'definitions'> | undefined;
  const build = (store: Store) => {
    const current = { definitions: () => ({ version: 3, definitions: DEFS }), bot: (name: string) => DEFS.find((d) => d.kind === 'bot' && d.name === name) as never, catalogue: () => BUILTIN_CATALOGUE };
    const controls = new Controls(clock, () => BUILTIN_CATALOGUE);
    const intake = new EventIntake(store, { notify: () => undefined }, clock);
    const changes = new ControlChanges({ store, controls, current, intake, fleet: { pushDefinitions: () => void pushes++ }, clock });
    remediation = { controls: changes, definitions: current.definitions };
    return { controls, routes: operateRoutes({ remediation, clock }) };
  };
  let controls: Controls | undefined;
  const t = await injectApp((store) => {
    const built = build(store);
    controls = built.controls;
    return built.routes;
  });
  const events = async () => (await t.store.listEvents({ limit: 100 })).map((e) => e.type).reverse();
  return { t, clock, pushes: () => pushes, controls: controls as Controls, events };
}

describe('silences', () => {
  it('an operator silences an alarm on a host selection; it is listed active, pushed, audited and recorded; ended early it is listed ended', async () => {
    const { t, clock, pushes, controls, events } = await operateApp();
    const created = await t.call('POST', '/api/v1/silences', 'operator', { alarm: 'disk-full', hosts: 'host | role = "web"', durationSeconds: 3600, reason: 'disk swap' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ alarm: 'disk-full', hosts: 'host | role = "web"', createdBy: 'operator', endsAt: T0 + 3_600_000, state: 'active' });
    expect(pushes()).toBe(1);
    expect(controls.active().map((s) => s.id)).toEqual([created.json.id]);
    expect((await t.call('GET', '/api/v1/silences', 'viewer')).json).toEqual([created.json]);

    clock.set(T0 + 60_000);
    const ended = await t.call('DELETE', `/api/v1/silences/${created.json.id}`, 'operator');
    expect(ended.json).toMatchObject({ state: 'ended', endedBy: 'operator', endedAt: T0 + 60_000 });
    expect(controls.active()).toEqual([]);
    expect((await t.call('DELETE', `/api/v1/silences/${created.json.id}`, 'operator')).status).toBe(404);
    expect((await t.call('GET', '/api/v1/silences', 'viewer')).json.map((s: { state: string }) => s.state)).toEqual(['ended']);
    expect(await events()).toEqual(['silence_created', 'silence_ended']);
    expect((await t.audit()).filter((a) => a.principal === 'operator').map((a) => [a.action, a.outcome])).toEqual([
      ['silence.create', 'ok'],
      ['silence.end', 'ok'],
      ['silence.end', 'ok'],
    ]);
  });

  it('an expired silence is listed expired, not active', async () => {
    const { t, clock } = await operateApp();
    await t.call('POST', '/api/v1/silences', 'operator', { hosts: 'host', durationSeconds: 60, reason: 'all quiet' });
    clock.set(T0 + 61_000);
    expect((await t.call('GET', '/api/v1/silences', 'viewer')).json).toMatchObject([{ alarm: null, state: 'expired' }]);
  });

  it('refuses a viewer, an unknown alarm, a host query the agents would have to answer, and a missing reason, saying why', async () => {
    const { t, pushes } = await operateApp();
    const body = { alarm: 'disk-full', hosts: 'host', durationSeconds: 600, reason: 'why' };
    expect((await t.call('POST', '/api/v1/silences', 'viewer', body)).status).toBe(403);
    const unknown = await t.call('POST', '/api/v1/silences', 'operator', { ...body, alarm: 'disk-ful' });
    expect([unknown.status, unknown.json.code, unknown.json.message]).toEqual([404, 'BW_ERR_NOT_FOUND', 'no alarm disk-ful in the current definitions (version 3); the alarms are: disk-full']);
    const metric = await t.call('POST', '/api/v1/silences', 'operator', { ...body, hosts: 'host | cpu_usage > 0.5' });
    expect([metric.status, metric.json.code]).toEqual([400, 'BW_ERR_INVALID_REQUEST']);
    expect(metric.json.message).toContain('expected a host selection on tags or attributes');
    const bad = await t.call('POST', '/api/v1/silences', 'operator', { ...body, hosts: 'host[' });
    expect(bad.status).toBe(400);
    expect((await t.call('POST', '/api/v1/silences', 'operator', { ...body, reason: ' ' })).json.message).toContain('say why');
    expect((await t.call('POST', '/api/v1/silences', 'operator', { ...body, durationSeconds: 10 })).json.message).toContain('at least 60 seconds');
    expect(pushes()).toBe(0);
  });

  it('answers hostile bodies with a 4xx, never a 500, and stores nothing it refused (fuzz)', async () => {
    const { t } = await operateApp();
    const body = fc.oneof(
      fc.anything({ maxDepth: 2 }),
      fc.record({ alarm: fc.oneof(fc.constant('disk-full'), fc.constant(null), fc.string({ maxLength: 140 })), hosts: fc.oneof(fc.constant('host'), fc.string({ maxLength: 80 })), durationSeconds: fc.oneof(fc.integer(), fc.double()), reason: fc.string({ maxLength: 1100 }) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await t.call('POST', '/api/v1/silences', 'operator', b);
        expect([200, 400, 404]).toContain(r.status);
        if (r.status !== 200) expect(r.json.code).toMatch(/^BW_ERR_/);
      }),
      { seed: 20261206, numRuns: 80 },
    );
    const ids = fc.string({ maxLength: 300 }).filter((s) => s.length > 0);
    await fc.assert(
      fc.asyncProperty(ids, fc.anything({ maxDepth: 1 }), async (id, b) => {
        expect([404, 400]).toContain((await t.call('DELETE', `/api/v1/silences/${encodeURIComponent(id)}`, 'operator')).status);
        expect([200, 400, 404]).toContain((await t.call('POST', `/api/v1/bots/${encodeURIComponent(id)}/disable`, 'operator', b)).status);
        expect([200, 400]).toContain((await t.call('PUT', '/api/v1/maintenance', 'operator', b)).status);
      }),
      { seed: 20261207, numRuns: 40 },
    );
  });
});

describe('maintenance and bot switches', () => {
  it('maintenance on and off: pushed, recorded once per change, audited, and refusing schedules while on', async () => {
    const { t, clock, controls, events } = await operateApp();
    expect((await t.call('GET', '/api/v1/maintenance', 'viewer')).json).toEqual({ on: false, reason: null, setBy: null, setAt: null });
    expect((await t.call('PUT', '/api/v1/maintenance', 'viewer', { on: true })).status).toBe(403);
    expect((await t.call('PUT', '/api/v1/maintenance', 'operator', { on: true, reason: 'db upgrade' })).json).toEqual({ on: true, reason: 'db upgrade', setBy: 'operator', setAt: T0 });
    expect(controls.refusalOfSchedules()).toBe('maintenance mode is on (set by operator: db upgrade); no new automated runs');
    await t.call('PUT', '/api/v1/maintenance', 'operator', { on: true, reason: 'db upgrade' });
    clock.set(T0 + 1000);
    expect((await t.call('PUT', '/api/v1/maintenance', 'operator', { on: false })).json.on).toBe(false);
    expect(controls.refusalOfSchedules()).toBeUndefined();
    expect(await events()).toEqual(['maintenance_started', 'maintenance_ended']);
    expect((await t.audit()).filter((a) => a.principal === 'operator').map((a) => a.action)).toEqual(['maintenance.on', 'maintenance.on', 'maintenance.off']);
  });

  it('a bot switched off is listed with who and why, and on again; an unknown bot cannot be switched off', async () => {
    const { t, clock, events } = await operateApp();
    expect((await t.call('GET', '/api/v1/switches', 'viewer')).json.bots).toEqual([{ name: 'cleaner', action: 'clean_logs', defined: true, enabledInDefinitions: true, off: null }]);
    const off = await t.call('POST', '/api/v1/bots/cleaner/disable', 'operator', { reason: 'incident 42' });
    expect(off.json.bots[0].off).toEqual({ by: 'operator', at: T0, reason: 'incident 42' });
    expect((await t.call('POST', '/api/v1/bots/nope/disable', 'operator', {})).status).toBe(404);
    expect((await t.call('POST', '/api/v1/bots/Cleaner/disable', 'operator', {})).status).toBe(400);
    expect((await t.call('POST', '/api/v1/bots/cleaner/enable', 'viewer', {})).status).toBe(403);
    clock.set(T0 + 1000);
    expect((await t.call('POST', '/api/v1/bots/cleaner/enable', 'operator')).json.bots[0].off).toBeNull();
    expect(await events()).toEqual(['bot_disabled', 'bot_enabled']);
  });
});
