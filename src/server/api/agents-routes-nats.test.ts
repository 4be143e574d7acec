/** Enrollment in the scaled mode: the agent's NATS public key gets its user JWT (--nats-account-seed). */
import { createUser, fromPublic } from '@nats-io/nkeys';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, fakeFleet, injectApp, manualClock } from '../../../test/inject-app.js';
import { natsSubjects } from '../../protocol/index.js';
import { createToken } from '../auth.js';
import { AGENT_JWT_TTL_MS, AgentNatsIssuer, SigningKeyFile, agentPermissions, decodeUserJwt, natsAccountSetup, responseAllowance } from '../nats-auth/index.js';
import { agentRoutes } from './agents-routes.js';

closeAppsAfterEach();

const T = 1_800_000_000_000;
const allowance = responseAllowance(65_000, 600_000);
const files = await natsAccountSetup('bw');
const signingKey = SigningKeyFile.parse(JSON.parse(files.find((f) => f.name === 'account-signing-key.json')?.text ?? ''));

async function app(issuing = true) {
  const clock = manualClock(T);
  const issuer = new AgentNatsIssuer(signingKey, { allowance, clock });
  const t = await injectApp((store) => agentRoutes({ store, gateway: fakeFleet(), clock, ...(issuing ? { issueNatsCredential: (name, key) => issuer.issue(name, key) } : {}) }));
  const join = (await createToken(t.store, 'agent', 'rack-7', 'admin', T + 60_000)).secret;
  return { t, join };
}

describe('agents routes: enrollment with NATS credentials', () => {
  it('returns a user JWT for the agent\'s public key, with the agent\'s own permissions, audited as issued', async () => {
    const { t, join } = await app();
    const user = createUser().getPublicKey();
    const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1.prod', hostId: 'h-1', natsPublicKey: user });
    expect(r.status).toBe(200);
    const claims = decodeUserJwt(r.json.natsJwt);
    const own = agentPermissions(natsSubjects('bw'), 'web-1.prod', allowance);
    expect([claims.sub, claims.name, claims.exp]).toEqual([user, 'web-1.prod', (T + AGENT_JWT_TTL_MS) / 1000]);
    expect(claims.nats).toMatchObject({ issuer_account: signingKey.account, pub: { allow: own.pub.allow }, sub: { allow: own.sub.allow } });
    expect(r.text).not.toContain(signingKey.seed);
    expect((await t.audit()).map((e) => [e.action, e.outcome, e.detail.natsCredential])).toEqual([['agent.enroll', 'ok', 'issued']]);
  });

  it('issues none without a NATS key, or when the control plane signs no NATS credentials', async () => {
    const withoutKey = await app();
    expect((await withoutKey.t.call('POST', '/api/v1/agents/enroll', undefined, { token: withoutKey.join, name: 'web-1', hostId: 'h-1' })).json).not.toHaveProperty('natsJwt');
    const notIssuing = await app(false);
    const r = await notIssuing.t.call('POST', '/api/v1/agents/enroll', undefined, { token: notIssuing.join, name: 'web-1', hostId: 'h-1', natsPublicKey: createUser().getPublicKey() });
    expect([r.status, r.json.natsJwt]).toEqual([200, undefined]);
  });

  it('refuses a malformed key or one with a bad checksum (400) before storing the agent', async () => {
    const { t, join } = await app();
    const valid = createUser().getPublicKey();
    for (const natsPublicKey of ['UABC', `${valid.slice(0, 55)}${valid[55] === 'A' ? 'B' : 'A'}`, 42, { $ne: null }]) {
      const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: 'web-1', hostId: 'h-1', natsPublicKey });
      expect([r.status, r.json.code], JSON.stringify(natsPublicKey)).toEqual([400, 'BW_ERR_INVALID_REQUEST']);
    }
    expect(await t.store.getAgentByName('web-1')).toBeUndefined();
  });

  it('under fuzzing, answers 200 with a JWT for exactly the valid user keys and 400 for anything else, never 500', async () => {
    const { t, join } = await app();
    const key = fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^U[A-Z2-7]{55}$/), fc.constant(createUser().getPublicKey()), fc.anything({ maxDepth: 2 }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(key, async (natsPublicKey) => {
        const r = await t.call('POST', '/api/v1/agents/enroll', undefined, { token: join, name: `fuzz-${n++}`, hostId: 'h-fuzz', natsPublicKey });
        let valid: boolean;
        try {
          valid = typeof natsPublicKey === 'string' && natsPublicKey.startsWith('U') && fromPublic(natsPublicKey).getPublicKey() === natsPublicKey;
        } catch {
          valid = false;
        }
        // No key at all (undefined is left out of the JSON) is an enrollment without NATS credentials.
        expect([r.status, r.json.natsJwt === undefined]).toEqual(natsPublicKey === undefined ? [200, true] : [valid ? 200 : 400, !valid]);
        if (valid) expect(decodeUserJwt(r.json.natsJwt).sub).toBe(natsPublicKey);
      }),
      { seed: 20261205, numRuns: 60 },
    );
  });
});
