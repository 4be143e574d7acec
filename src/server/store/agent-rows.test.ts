/*
 * Agents (agent-rows.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, agent, expectStoreError, TRICKY } from '../../../test/store/fixtures.js';
import { type AgentRecord } from './index.js';

await describeStore('agents', 'src/server/store/agent-rows.test.ts', ({ freshStore }) => {
  it('upsertAgent inserts, then updates the agent with the same name', async () => {
    const store = await freshStore();
    const first = agent({ name: 'web-1' });
    await store.upsertAgent(first);
    expect(await store.getAgentByName('web-1')).toEqual(first);

    const again = agent({ name: 'web-1', tags: { env: 'staging' }, enrolledAt: T0 + 5000, status: 'disconnected' });
    await store.upsertAgent(again);
    expect(await store.getAgentByName('web-1')).toEqual(again);
    expect(await store.listAgents()).toEqual([again]);
    expect(await store.findAgentByCredentialHash(first.credentialHash)).toBeUndefined();
    expect(await store.findAgentByCredentialHash(again.credentialHash)).toEqual(again);
    expect(await store.getAgentByName('web-2')).toBeUndefined();
  });

  it('lists agents by name, in byte order whatever the database locale', async () => {
    const store = await freshStore();
    for (const name of ['db-2', 'app-1', 'Web-1', 'db-10', '_x']) await store.upsertAgent(agent({ name }));
    expect((await store.listAgents()).map((a) => a.name)).toEqual(['Web-1', '_x', 'app-1', 'db-10', 'db-2']);
  });

  it('updateAgentState changes only the fields it is given', async () => {
    const store = await freshStore();
    const a = agent({ name: 'web-1' });
    await store.upsertAgent(a);

    await store.updateAgentState(a.id, { status: 'disconnected' });
    expect(await store.getAgentByName('web-1')).toEqual({ ...a, status: 'disconnected' });

    await store.updateAgentState(a.id, { lastSeenAt: T0 + 42 });
    expect(await store.getAgentByName('web-1')).toEqual({ ...a, status: 'disconnected', lastSeenAt: T0 + 42 });

    const tags = { env: 'prod', team: 'søk' };
    await store.updateAgentState(a.id, { tags });
    const facts = { os: 'linux', distro: 'debian 12' };
    await store.updateAgentState(a.id, { facts, status: 'connected' });
    expect(await store.getAgentByName('web-1')).toEqual({ ...a, lastSeenAt: T0 + 42, tags, facts, status: 'connected' });

    await store.updateAgentState(a.id, {}); // nothing to change, but the agent exists
    await expectStoreError(store.updateAgentState('no-such-agent', { status: 'connected' }), 'STORE_NOT_FOUND');
    await expectStoreError(store.updateAgentState('no-such-agent', {}), 'STORE_NOT_FOUND');
    await expectStoreError(
      store.updateAgentState(a.id, { status: 'gone' as AgentRecord['status'] }),
      'STORE_INVALID',
    );
  });

  it('definitionsVersion: upsert stores what it is given, updateAgentState sets it alone', async () => {
    const store = await freshStore();
    const a = agent({ name: 'web-1' });
    await store.upsertAgent(a);
    expect((await store.getAgentByName('web-1'))?.definitionsVersion).toBeNull();

    await store.updateAgentState(a.id, { definitionsVersion: 3, lastSeenAt: T0 + 1 });
    expect(await store.getAgentByName('web-1')).toEqual({ ...a, definitionsVersion: 3, lastSeenAt: T0 + 1 });
    await store.updateAgentState(a.id, { status: 'disconnected' }); // other fields leave it alone
    expect((await store.getAgentByName('web-1'))?.definitionsVersion).toBe(3);

    // Re-enrollment replaces every field, this one included.
    const again = agent({ name: 'web-1', definitionsVersion: 7 });
    await store.upsertAgent(again);
    expect(await store.getAgentByName('web-1')).toEqual(again);
    expect(await store.findAgentByCredentialHash(again.credentialHash)).toEqual(again);
    await store.upsertAgent({ ...again, definitionsVersion: null });
    expect((await store.getAgentByName('web-1'))?.definitionsVersion).toBeNull();

    await expectStoreError(store.updateAgentState(a.id, { definitionsVersion: 1.5 }), 'STORE_INVALID');
    await expectStoreError(store.updateAgentState(a.id, { definitionsVersion: 2 ** 31 }), 'STORE_INVALID');
    await expectStoreError(store.upsertAgent(agent({ definitionsVersion: 2.5 })), 'STORE_INVALID');
    await expectStoreError(
      store.upsertAgent(agent({ definitionsVersion: undefined as unknown as null })),
      'STORE_INVALID',
    );
    await expectStoreError(store.updateAgentState('no-such-agent', { definitionsVersion: 1 }), 'STORE_NOT_FOUND');
    expect(await store.listAgents()).toEqual([{ ...again, definitionsVersion: null }]);
  });

  it('tags and facts round-trip as JSON, unicode included', async () => {
    const store = await freshStore();
    const a = agent({
      name: 'ünïcødé-主机-🚀',
      tags: { [TRICKY]: TRICKY, '': 'empty key', emoji: '👩‍👩‍👧‍👦', rtl: 'مرحبا', nul_like: '\\u0000', __proto__x: 'x' },
      facts: {},
    });
    await store.upsertAgent(a);
    const back = await store.getAgentByName(a.name);
    expect(back).toEqual(a);
    expect(back?.tags[TRICKY]).toBe(TRICKY);
    expect(await store.findAgentByCredentialHash(a.credentialHash)).toEqual(a);
  });

  it('rejects a credential hash another agent holds, and an unknown status', async () => {
    const store = await freshStore();
    const a = agent();
    await store.upsertAgent(a);
    await expectStoreError(store.upsertAgent(agent({ credentialHash: a.credentialHash })), 'STORE_CONFLICT');
    await expectStoreError(store.upsertAgent(agent({ id: a.id })), 'STORE_CONFLICT');
    await expectStoreError(store.upsertAgent(agent({ status: 'lost' as AgentRecord['status'] })), 'STORE_INVALID');
    expect(await store.listAgents()).toEqual([a]);
  });

  it('touchAgents writes many agents\' lastSeenAt in one call: forward only, unknown ids skipped', async () => {
    const store = await freshStore();
    const agents = Array.from({ length: 1203 }, (_, i) => agent({ lastSeenAt: i === 0 ? null : T0 }));
    for (const a of agents) await store.upsertAgent(a);
    const seen = agents.map((a, i) => ({ id: a.id, at: i === 1 ? T0 - 5 : T0 + i }));
    await store.touchAgents([...seen, { id: 'no-such-agent', at: T0 }, { id: TRICKY, at: T0 }, { id: 'nul\u0000', at: T0 }]);
    const after = new Map((await store.listAgents()).map((a) => [a.id, a.lastSeenAt]));
    expect(after.get(agents[0]!.id)).toBe(T0); // null before
    expect(after.get(agents[1]!.id)).toBe(T0); // older than stored: kept
    expect(after.get(agents[1202]!.id)).toBe(T0 + 1202); // in the second chunk
    expect(agents.filter((a, i) => after.get(a.id) !== (i < 2 ? T0 : T0 + i))).toEqual([]);
    await store.touchAgents([]);
    await expectStoreError(store.touchAgents([{ id: agents[0]!.id, at: 1.5 }]), 'STORE_INVALID');
  });
});

