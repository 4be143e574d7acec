/*
 * Outside alerts' notifications, once per fingerprint and status within a window, across replicas
 * (alert-notification-rows.ts). One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, TRICKY, expectStoreError } from '../../../test/store/fixtures.js';
import { ALERT_NOTIFICATION_RETENTION_MS } from './alert-notification-rows.js';
import type { AlertNotificationClaim } from './types.js';

const claim = (over: Partial<AlertNotificationClaim> = {}): AlertNotificationClaim => ({ integration: 'am', fingerprint: 'f00d', status: 'firing', alert: 'HostDown', at: T0, windowMs: 60_000, ...over });

await describeStore('alert notifications', 'src/server/store/alert-notification-rows.test.ts', ({ freshStore, harness, openOn }) => {
  it('passes a notification once per window; another fingerprint, status or integration is its own', async () => {
    const store = await freshStore();
    expect(await store.claimAlertNotification(claim())).toBe(true);
    expect(await store.claimAlertNotification(claim({ at: T0 + 59_999 }))).toBe(false);
    expect(await store.claimAlertNotification(claim({ fingerprint: 'beef' }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ integration: 'other' }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ integration: TRICKY, fingerprint: TRICKY, alert: TRICKY }))).toBe(true);
    // The window is counted from the last notification passed on, not from each repeat.
    expect(await store.claimAlertNotification(claim({ at: T0 + 60_000 }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ at: T0 + 100_000 }))).toBe(false);
    expect(await store.claimAlertNotification(claim({ at: T0 + 120_000 }))).toBe(true);
    // A window of 0 passes every notification.
    expect(await store.claimAlertNotification(claim({ fingerprint: 'zero', windowMs: 0 }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ fingerprint: 'zero', windowMs: 0 }))).toBe(true);
  });

  it('a resolution passes once, and forgets the firing: the alert firing again is a new incident', async () => {
    const store = await freshStore();
    expect(await store.claimAlertNotification(claim())).toBe(true);
    expect(await store.claimAlertNotification(claim({ status: 'resolved', at: T0 + 1000 }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ status: 'resolved', at: T0 + 2000 }))).toBe(false);
    expect(await store.claimAlertNotification(claim({ at: T0 + 3000 }))).toBe(true);
  });

  it('survives a restart: a second store on the same database sees the claim', async () => {
    const target = await harness().fresh();
    const first = openOn(target);
    await first.migrate();
    expect(await first.claimAlertNotification(claim())).toBe(true);
    await first.close();
    const second = openOn(target);
    expect(await second.claimAlertNotification(claim({ at: T0 + 1 }))).toBe(false);
    await second.close();
  });

  it('20 copies of one notification at once from two connections: exactly one passes', async () => {
    const target = await harness().fresh();
    const replicas = [openOn(target), openOn(target)];
    await replicas[0]!.migrate();
    for (let round = 0; round < 3; round++) {
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.claimAlertNotification(claim({ at: T0 + round * 60_000 }))));
      expect(wins.filter(Boolean), `round ${round}`).toHaveLength(1);
    }
  });

  it('prunes rows older than the retention when a claim passes', async () => {
    const store = await freshStore();
    expect(await store.claimAlertNotification(claim({ windowMs: 2 * ALERT_NOTIFICATION_RETENTION_MS }))).toBe(true);
    expect(await store.claimAlertNotification(claim({ fingerprint: 'other', at: T0 + ALERT_NOTIFICATION_RETENTION_MS + 1 }))).toBe(true);
    // Its row is gone, so even its own long window no longer holds it back.
    expect(await store.claimAlertNotification(claim({ at: T0 + ALERT_NOTIFICATION_RETENTION_MS + 2, windowMs: 2 * ALERT_NOTIFICATION_RETENTION_MS }))).toBe(true);
  });

  it('refuses text the databases cannot hold and times that are not integers', async () => {
    const store = await freshStore();
    await expectStoreError(store.claimAlertNotification(claim({ fingerprint: 'bad\u0000' })), 'STORE_INVALID');
    await expectStoreError(store.claimAlertNotification(claim({ alert: 'half \ud800' })), 'STORE_INVALID');
    for (const at of [1.5, Number.NaN, 2 ** 60]) await expectStoreError(store.claimAlertNotification(claim({ at })), 'STORE_INVALID');
    expect(await store.claimAlertNotification(claim())).toBe(true);
  });
});
