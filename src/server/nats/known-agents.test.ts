import { describe, expect, it } from 'vitest';
import { agentRecord } from '../../../test/agent-requests-bed.js';
import { FakeClock } from '../fleet/fake-clock.test-support.js';
import type { AgentRecord } from '../store/index.js';
import { KnownAgents } from './known-agents.js';

/** A store of agents by name that counts its lookups; `fail` makes the next one reject. */
function agentsStore(agents: AgentRecord[]) {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const s = {
    lookups: [] as string[],
    fail: false,
    getAgentByName: (name: string): Promise<AgentRecord | undefined> => {
      s.lookups.push(name);
      if (s.fail) {
        s.fail = false;
        return Promise.reject(new Error('store unreachable'));
      }
      return Promise.resolve(byName.get(name));
    },
    byName,
  };
  return s;
}

describe('KnownAgents', () => {
  it('answers enrolled, unknown and revoked agents, each saying to enroll again', async () => {
    const store = agentsStore([agentRecord('web-1'), agentRecord('gone-1', { revokedAt: Date.UTC(2026, 0, 2) })]);
    const known = new KnownAgents({ store });
    expect(await known.lookup('web-1')).toEqual({ ok: true, agent: agentRecord('web-1') });
    expect(await known.lookup('db-1')).toEqual({ ok: false, reason: 'unknown agent "db-1": enroll again with a join token' });
    expect(await known.lookup('gone-1')).toEqual({ ok: false, reason: 'the credential of agent `gone-1` was revoked at 2026-01-02T00:00:00.000Z: enroll again with a join token' });
  });

  it('asks the store once per name within the ttl, unknown names too, and again after it or after forget', async () => {
    const clock = new FakeClock();
    const store = agentsStore([agentRecord('web-1')]);
    const known = new KnownAgents({ store, clock, ttlMs: 5_000 });
    await Promise.all([known.lookup('web-1'), known.lookup('web-1'), known.lookup('nobody')]);
    await known.lookup('nobody');
    expect(store.lookups).toEqual(['web-1', 'nobody']);

    // Revoked meanwhile: seen once the ttl has passed.
    store.byName.set('web-1', agentRecord('web-1', { revokedAt: 5 }));
    await clock.advance(4_999);
    expect((await known.lookup('web-1')).ok).toBe(true);
    await clock.advance(1);
    expect((await known.lookup('web-1')).ok).toBe(false);
    known.forget('nobody');
    await known.lookup('nobody');
    expect(store.lookups).toEqual(['web-1', 'nobody', 'web-1', 'nobody']);
  });

  it('does not remember a failed lookup, and refuses a name longer than any agent\'s without asking', async () => {
    const store = agentsStore([agentRecord('web-1')]);
    const known = new KnownAgents({ store });
    store.fail = true;
    await expect(known.lookup('web-1')).rejects.toThrow('store unreachable');
    expect((await known.lookup('web-1')).ok).toBe(true);
    expect(await known.lookup('x'.repeat(257))).toEqual({ ok: false, reason: `unknown agent "${'x'.repeat(256)}": enroll again with a join token` });
    expect(await known.lookup('')).toMatchObject({ ok: false });
    expect(store.lookups).toEqual(['web-1', 'web-1']);
  });

  it('holds at most maxEntries names, dropping the expired first, then the oldest', async () => {
    const clock = new FakeClock();
    const store = agentsStore([agentRecord('web-1')]);
    const known = new KnownAgents({ store, clock, ttlMs: 1_000, maxEntries: 100 });
    await known.lookup('web-1');
    await clock.advance(1_000);
    for (let i = 0; i < 1_000; i++) await known.lookup(`random-${i}`);
    expect(known.size).toBe(100);
    // The newest are the ones kept.
    await known.lookup('random-999');
    expect(store.lookups.filter((n) => n === 'random-999')).toHaveLength(1);
    await known.lookup('random-0');
    expect(store.lookups.filter((n) => n === 'random-0')).toHaveLength(2);
  });
});
