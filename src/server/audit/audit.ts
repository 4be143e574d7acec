import { orderedId } from '../../protocol/index.js';
import type { Clock } from '../fleet/index.js';
import { systemClock } from '../fleet/index.js';
import type { AuditRecord, Store } from '../store/index.js';

/** The one store method audit writing needs: a fake in a test, the real store in the server. */
export type AuditStore = Pick<Store, 'appendAudit'>;

/**
 * Appends one entry to the audit log: who did what to which target, and how it ended. Every writer
 * of audit entries (statements, remediation, the API's routes) goes through here, so an entry has
 * one shape and one source of time.
 *
 * @example
 * await audit(store, 'alice', 'token.create', 'ci', 'ok', { role: 'viewer' }, null, clock);
 */
export async function audit(store: AuditStore, ...entry: Parameters<typeof auditRecord>): Promise<void> {
  await store.appendAudit(auditRecord(...entry));
}

/**
 * One audit entry, not yet written: for a writer that stores it in the same transaction as what it
 * records (a bot's run: Store.recordFinishedRun).
 *
 * @example
 * await store.recordFinishedRun(run, results, auditRecord('bot:clean@web-1', 'run', statement, 'ok', {}, run.id));
 */
export function auditRecord(
  principal: string,
  action: string,
  target: string,
  outcome: AuditRecord['outcome'],
  detail: Record<string, unknown>,
  runId: string | null = null,
  clock: Clock = systemClock,
): AuditRecord {
  return { id: orderedId(), time: clock.now(), principal, action, target, runId, outcome, detail };
}
