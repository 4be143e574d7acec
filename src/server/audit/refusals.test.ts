import { describe, expect, it } from 'vitest';
import type { AuditRecord, Store } from '../store/index.js';
import { REFUSAL_AUDIT_BUDGET, RefusalAudit } from './refusals.js';

/** A store that keeps appended audit entries (the only method RefusalAudit calls). */
function auditStore() {
  const entries: AuditRecord[] = [];
  const store = { appendAudit: async (e: AuditRecord) => void entries.push(e) } as unknown as Store;
  return { store, entries };
}

describe('RefusalAudit', () => {
  it('writes one entry per address per minute without a token, then reports how many it left out', async () => {
    const { store, entries } = auditStore();
    const clock = { now: 1_000_000 };
    const audit = new RefusalAudit(store, { now: () => clock.now });
    for (let i = 0; i < 500; i++) await audit.unauthenticated('10.0.0.9', 'GET /api/v1/agents', 'no token');
    await audit.unauthenticated('10.0.0.8', 'GET /api/v1/agents', 'unknown token');
    expect(entries.map((e) => [e.principal, e.action, e.target, e.outcome, e.detail])).toEqual([
      ['anonymous', 'request', 'GET /api/v1/agents', 'denied', { reason: 'no token', address: '10.0.0.9' }],
      ['anonymous', 'request', 'GET /api/v1/agents', 'denied', { reason: 'unknown token', address: '10.0.0.8' }],
    ]);
    clock.now += 60_000;
    await audit.unauthenticated('10.0.0.9', 'POST /api/v1/query', 'no token');
    expect(entries.at(-1)?.detail).toEqual({ reason: 'no token', address: '10.0.0.9', suppressed: 499 });
  });

  it('writes every forbidden call of a token up to its budget a minute', async () => {
    const { store, entries } = auditStore();
    const audit = new RefusalAudit(store, { now: () => 5 });
    for (let i = 0; i < REFUSAL_AUDIT_BUDGET.token + 5; i++) await audit.forbidden({ id: 't1', name: 'viewer-1' }, 'definitions.apply', 'POST /api/v1/definitions/apply', { needed: 'admin', held: 'viewer' });
    expect(entries).toHaveLength(REFUSAL_AUDIT_BUDGET.token);
    expect(entries[0]).toMatchObject({ principal: 'viewer-1', action: 'definitions.apply', outcome: 'denied', detail: { needed: 'admin', held: 'viewer' } });
  });

  it('keeps its memory bounded under a flood from many addresses: past 10,000 they share one budget', async () => {
    const { store, entries } = auditStore();
    const audit = new RefusalAudit(store, { now: () => 7 });
    for (let i = 0; i < 12_000; i++) await audit.unauthenticated(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'GET /', 'no token');
    expect(entries).toHaveLength(10_001);
  });
});
