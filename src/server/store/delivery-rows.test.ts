/*
 * Outbound deliveries that finally failed (delivery-rows.ts). One suite on both back ends:
 * test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY, expectStoreError, uid } from '../../../test/store/fixtures.js';
import { DELIVERY_RETENTION_MS } from './delivery-rows.js';
import type { DeliveryRecord } from './types.js';

const delivery = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id: uid('dl'),
  integration: 'ops-hook',
  type: 'webhook',
  target: 'https://hooks.example.com/breakwater',
  eventId: uid('ev'),
  eventType: 'alarm_fired',
  status: 'failed',
  attempts: 5,
  httpStatus: 503,
  error: 'HTTP 503',
  firstAt: T0,
  time: T0 + 1000,
  ...over,
});

await describeStore('deliveries', 'src/server/store/delivery-rows.test.ts', ({ freshStore }) => {
  it('lists recorded deliveries newest first, as recorded, filtered and paged', async () => {
    const store = await freshStore();
    const a = delivery({ time: T0 + 1 });
    const b = delivery({ time: T0 + 2, integration: 'pd', type: 'pagerduty', httpStatus: null, error: TRICKY, target: TRICKY });
    const c = delivery({ time: T0 + 3 });
    for (const d of [a, b, c]) await store.recordDelivery(d);
    expect(await store.listDeliveries()).toEqual([c, b, a]);
    expect(await store.listDeliveries({ integration: 'pd' })).toEqual([b]);
    expect(await store.listDeliveries({ type: 'webhook' })).toEqual([c, a]);
    expect(await store.listDeliveries({ limit: 1 })).toEqual([c]);
    expect(await store.listDeliveries({ before: T0 + 3, limit: 5 })).toEqual([b, a]);
    expect(await store.listDeliveries({ integration: 'nobody' })).toEqual([]);
    expect(await store.listDeliveries({ integration: 'a\u0000b' })).toEqual([]);
  });

  it('prunes deliveries older than the retention when one is recorded', async () => {
    const store = await freshStore();
    const old = delivery({ time: T0 });
    await store.recordDelivery(old);
    const fresh = delivery({ time: T0 + DELIVERY_RETENTION_MS + 1 });
    await store.recordDelivery(fresh);
    expect(await store.listDeliveries()).toEqual([fresh]);
  });

  it('refuses text no database can hold and numbers out of range, with a store error', async () => {
    const store = await freshStore();
    await expectStoreError(store.recordDelivery(delivery({ error: 'a\u0000b' })), 'STORE_INVALID');
    await expectStoreError(store.recordDelivery(delivery({ attempts: 2 ** 40 })), 'STORE_INVALID');
    await expectStoreError(store.recordDelivery(delivery({ time: Number.NaN })), 'STORE_INVALID');
    expect(await store.listDeliveries()).toEqual([]);
  });
});
