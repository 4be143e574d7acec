import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, type AuditRecord } from '../store/index.js';
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

  it('lists entries of one millisecond newest first in the order they were written (a run after its start)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-audit-'));
    const store = openSqliteStore(join(dir, 'breakwater.db'));
    try {
      await store.migrate();
      const sameMs = { now: () => 1_700_000_000_000 };
      const actions = Array.from({ length: 40 }, (_, i) => `step.${i}`);
      for (const action of actions) await audit(store, 'schedule:often', action, 'host | `uptime`', 'ok', {}, 'run-1', sameMs);
      expect((await store.listAudit()).map((e) => e.action)).toEqual([...actions].reverse());
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
