import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import type { Delivery } from '../../protocol/index.js';
import { deliveriesRoutes } from './deliveries-routes.js';

closeAppsAfterEach();

const delivery = (id: string, time: number, over: Partial<Delivery> = {}): Delivery => ({ id, integration: 'ops-hook', type: 'webhook', target: 'https://hooks.example.com/bw', eventId: `ev-${id}`, eventType: 'alarm_fired', status: 'failed', attempts: 6, httpStatus: 503, error: 'HTTP 503 (gave up after 6 attempts)', firstAt: time - 100, time, ...over });

describe('GET /api/v1/deliveries', () => {
  it('lists failed deliveries to a viewer, newest first, filtered and paged; no token is refused', async () => {
    const t = await injectApp((store) => deliveriesRoutes({ store }));
    await t.store.recordDelivery(delivery('a', 1000));
    await t.store.recordDelivery(delivery('b', 2000, { integration: 'pd', type: 'pagerduty', httpStatus: 400 }));
    await t.store.recordDelivery(delivery('c', 3000));
    const all = await t.call('GET', '/api/v1/deliveries', 'viewer');
    expect(all.status).toBe(200);
    expect(all.json.map((d: Delivery) => d.id)).toEqual(['c', 'b', 'a']);
    expect(all.json[1]).toEqual(delivery('b', 2000, { integration: 'pd', type: 'pagerduty', httpStatus: 400 }));
    expect((await t.call('GET', '/api/v1/deliveries?integration=pd', 'viewer')).json.map((d: Delivery) => d.id)).toEqual(['b']);
    expect((await t.call('GET', '/api/v1/deliveries?type=webhook&limit=1&before=3000', 'viewer')).json.map((d: Delivery) => d.id)).toEqual(['a']);
    expect((await t.call('GET', '/api/v1/deliveries')).status).toBe(401);
  });

  it('refuses bad query parameters, naming them', async () => {
    const t = await injectApp((store) => deliveriesRoutes({ store }));
    for (const [q, name] of [['limit=0', 'limit'], ['limit=x', 'limit'], [`integration=${'x'.repeat(129)}`, 'integration'], ['before=1.5', 'before']] as const) {
      const r = await t.call('GET', `/api/v1/deliveries?${q}`, 'viewer');
      expect([r.status, r.json.code], q).toEqual([400, 'BW_ERR_INVALID_REQUEST']);
      expect(r.json.message).toMatch(new RegExp(`^invalid query parameters: ${name}: `));
    }
  });

  it('answers any query with a list or a 400, never a crash (bounded fuzz)', async () => {
    const t = await injectApp((store) => deliveriesRoutes({ store }));
    await t.store.recordDelivery(delivery('a', 1000));
    const value = fc.oneof(fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', '0', '-1', '1e309', '%', "' or 1=1 --", '\u0000', 'ops-hook', 'webhook'));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('integration', 'type', 'limit', 'before', 'other'), value, { maxKeys: 4 }), async (query) => {
        const r = await t.call('GET', `/api/v1/deliveries?${new URLSearchParams(query)}`, 'viewer');
        expect([200, 400]).toContain(r.status);
        if (r.status === 200) expect(Array.isArray(r.json)).toBe(true);
        else expect(r.json.code).toBe('BW_ERR_INVALID_REQUEST');
      }),
      { numRuns: 80, seed: 15 },
    );
  });
});
