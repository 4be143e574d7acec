/*
 * Enrollment: join-token uses, host identity, revoking and deleting agents (enrollment-queries.ts).
 * One suite on both back ends: test/store/back-ends.ts.
 */
import { expect, it } from 'vitest';
import { describeStore } from '../../../test/store/back-ends.js';
import { T0, token, agent, expectStoreError } from '../../../test/store/fixtures.js';

await describeStore('enrollment', 'src/server/store/enrollment-queries.test.ts', ({ freshStore }) => {
  it('useToken counts uses up to maxUses, never for a revoked or expired token', async () => {
    const store = await freshStore();
    const twice = token({ role: 'agent', maxUses: 2 });
    const expiring = token({ role: 'agent', expiresAt: T0 + 10 });
    const unlimited = token({ role: 'agent' });
    for (const t of [twice, expiring, unlimited]) await store.createToken(t);
    expect([await store.useToken(twice.id, T0), await store.useToken(twice.id, T0), await store.useToken(twice.id, T0)]).toEqual([true, true, false]);
    expect(await store.findTokenByHash(twice.hash)).toEqual({ ...twice, uses: 2 });
    expect(await store.useToken(expiring.id, T0 + 9)).toBe(true);
    expect(await store.useToken(expiring.id, T0 + 10)).toBe(false);
    for (let i = 0; i < 3; i++) expect(await store.useToken(unlimited.id, T0)).toBe(true);
    await store.revokeToken(unlimited.id, T0);
    expect(await store.useToken(unlimited.id, T0)).toBe(false);
    expect((await store.findTokenByHash(unlimited.hash))?.uses).toBe(3);
    expect(await store.useToken('no-such-token', T0)).toBe(false);
    await expectStoreError(store.createToken(token({ maxUses: 1.5 })), 'STORE_INVALID');
  });

  it('useToken: concurrent uses of a one-use token count once', async () => {
    const store = await freshStore();
    const once = token({ role: 'agent', maxUses: 1 });
    await store.createToken(once);
    const wins = await Promise.all(Array.from({ length: 8 }, () => store.useToken(once.id, T0)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('enrollAgent keeps a name to its host id and writes nothing when refused', async () => {
    const store = await freshStore();
    const join = token({ role: 'agent', maxUses: 3 });
    await store.createToken(join);
    const first = agent({ name: 'web-1', hostId: 'host-a', enrolledWithId: join.id });
    expect(await store.enrollAgent(first, T0)).toBe('enrolled');
    expect(await store.getAgentByName('web-1')).toEqual(first);

    const thief = agent({ name: 'web-1', hostId: 'host-b', enrolledWithId: join.id });
    expect(await store.enrollAgent(thief, T0)).toBe('host_mismatch');
    expect(await store.getAgentByName('web-1')).toEqual(first);
    expect(await store.findAgentByCredentialHash(thief.credentialHash)).toBeUndefined();
    expect((await store.findTokenByHash(join.hash))?.uses).toBe(1); // the refused attempt used nothing

    const again = agent({ name: 'web-1', id: first.id, hostId: 'host-a', enrolledWithId: join.id });
    expect(await store.enrollAgent(again, T0)).toBe('enrolled');
    expect(await store.getAgentByName('web-1')).toEqual(again);
    expect(await store.enrollAgent(agent({ name: 'web-2', enrolledWithId: join.id }), T0)).toBe('enrolled');
    expect(await store.enrollAgent(agent({ name: 'web-3', enrolledWithId: join.id }), T0)).toBe('token_refused');
    expect(await store.getAgentByName('web-3')).toBeUndefined();
  });

  it('enrollAgent: two hosts enrolling at once with a one-use token, exactly one wins', async () => {
    const store = await freshStore();
    const once = token({ role: 'agent', maxUses: 1 });
    await store.createToken(once);
    const outcomes = await Promise.all(['a', 'b'].map((h) => store.enrollAgent(agent({ name: `web-${h}`, enrolledWithId: once.id }), T0)));
    expect(outcomes.sort()).toEqual(['enrolled', 'token_refused']);
    expect(await store.listAgents()).toHaveLength(1);
  });

  it('revokeAgent keeps the agent with its revocation time; deleteAgent removes it', async () => {
    const store = await freshStore();
    const a = agent({ name: 'web-1' });
    await store.upsertAgent(a);
    expect(await store.revokeAgent('web-1', T0 + 5)).toBe(true);
    expect(await store.revokeAgent('web-1', T0 + 6)).toBe(false); // already revoked: first time kept
    expect(await store.findAgentByCredentialHash(a.credentialHash)).toEqual({ ...a, revokedAt: T0 + 5, status: 'disconnected' });
    expect(await store.revokeAgent('web-2', T0)).toBe(false);
    expect(await store.deleteAgent('web-1')).toBe(true);
    expect(await store.deleteAgent('web-1')).toBe(false);
    expect(await store.findAgentByCredentialHash(a.credentialHash)).toBeUndefined();
    expect(await store.listAgents()).toEqual([]);
  });
});
