import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../store/index.js';
import { audit } from './index.js';

function auditStore() {
  const entries: AuditRecord[] = [];
  return { store: { appendAudit: async (e: AuditRecord) => void entries.push(e) }, entries };
}

describe('audit', () => {
  it('appends one entry dated by the clock it is given, with its own id', async () => {
    const { store, entries } = auditStore();
    await audit(store, 'alice', 'token.create', 'ci', 'ok', { role: 'viewer' }, null, { now: () => 42 });
    await audit(store, 'alice', 'run', 'host | count', 'failed', {}, 'run-7', { now: () => 43 });
    expect(entries.map(({ id: _id, ...rest }) => rest)).toEqual([
      { time: 42, principal: 'alice', action: 'token.create', target: 'ci', runId: null, outcome: 'ok', detail: { role: 'viewer' } },
      { time: 43, principal: 'alice', action: 'run', target: 'host | count', runId: 'run-7', outcome: 'failed', detail: {} },
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(2);
  });

  it('dates an entry by the system clock when given none', async () => {
    const { store, entries } = auditStore();
    const before = Date.now();
    await audit(store, 'breakwater', 'run.interrupted', 'host | count', 'failed', {});
    expect(entries[0]?.time).toBeGreaterThanOrEqual(before);
    expect(entries[0]?.time).toBeLessThanOrEqual(Date.now());
  });
});
