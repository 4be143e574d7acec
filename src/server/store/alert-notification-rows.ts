import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import type { AlertNotificationClaim } from './types.js';
import { checkTexts, checkTime } from './values.js';

/*
 * The alert_notifications table (0013): an outside alert's notification passed on once per
 * window, across replicas. KyselyStore calls these inside its #run.
 */

/** Rows older than this are pruned: longer than the longest cooldown a bot may have (24 days). */
export const ALERT_NOTIFICATION_RETENTION_MS = 25 * 86_400_000;

/**
 * Claims a notification: true for exactly one caller per window across every process sharing the
 * database (an insert, or an update of a row older than the window; the others do nothing). A
 * resolution also forgets the alert's firing, so a new firing after it is a new incident; the
 * winner prunes rows older than ALERT_NOTIFICATION_RETENTION_MS.
 */
export async function claimAlertNotification(db: Kysely<StoreDatabase>, n: AlertNotificationClaim): Promise<boolean> {
  const operation = 'claimAlertNotification';
  checkTexts(operation, { integration: n.integration, fingerprint: n.fingerprint, status: n.status, alert: n.alert });
  checkTime(operation, 'at', n.at);
  checkTime(operation, 'windowMs', n.windowMs);
  const row = { integration: n.integration, fingerprint: n.fingerprint, status: n.status, alert: n.alert, sent_at: n.at };
  const claimed = await db
    .insertInto('alert_notifications')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['integration', 'fingerprint', 'status'])
        .doUpdateSet({ alert: n.alert, sent_at: n.at })
        .where('alert_notifications.sent_at', '<=', n.at - n.windowMs),
    )
    // A row comes back only when this statement inserted or updated it.
    .returning('sent_at')
    .executeTakeFirst();
  if (claimed === undefined) return false;
  if (n.status === 'resolved') {
    await db.deleteFrom('alert_notifications').where('integration', '=', n.integration).where('fingerprint', '=', n.fingerprint).where('status', '=', 'firing').execute();
  }
  await db.deleteFrom('alert_notifications').where('sent_at', '<', n.at - ALERT_NOTIFICATION_RETENTION_MS).execute();
  return true;
}
