/**
 * The audit log's writers: one entry per thing done (`audit`), and refused calls through a
 * per-caller budget (`RefusalAudit`), so every entry has one shape and one clock.
 *
 * @example
 * await audit(store, who.name, 'runbook.delete', 'disk-full', 'ok', { id }, null, clock);
 * await new RefusalAudit(store, clock).unauthenticated('10.0.0.9', 'GET /api/v1/agents', 'no token');
 */
export type { AuditStore } from './audit.js';
export { audit, auditRecord } from './audit.js';
export { REFUSAL_AUDIT_BUDGET, RefusalAudit } from './refusals.js';
