import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnrollRequest, EnrollResponse, MAX_NATS_JWT_CHARS, natsCredsFile } from './index.js';

const KEY = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';

describe('the enrollment contract', () => {
  it('takes a NATS user public key beside the join token, and refuses anything else in its place', () => {
    expect(EnrollRequest.safeParse({ token: 't', name: 'web-1.prod', hostId: 'h', natsPublicKey: KEY }).success).toBe(true);
    for (const natsPublicKey of ['', KEY.toLowerCase(), `A${KEY.slice(1)}`, `${KEY}A`, `${KEY.slice(0, -1)}1`, 42, null, [KEY], { toString: KEY }]) {
      expect(EnrollRequest.safeParse({ token: 't', name: 'web-1', hostId: 'h', natsPublicKey }).success, JSON.stringify(natsPublicKey)).toBe(false);
    }
  });

  it('an answer\'s JWT is three base64url parts of bounded length', () => {
    const ok = { agentId: 'a', credential: 'bwa_x' };
    expect(EnrollResponse.safeParse({ ...ok, natsJwt: 'eyJh.eyJi.c2ln' }).success).toBe(true);
    expect(EnrollResponse.safeParse(ok).success).toBe(true);
    for (const natsJwt of ['eyJh.eyJi', 'a.b.c.d', 'a.b.c\nSUSEED', 'a b.c.d', `${'a'.repeat(MAX_NATS_JWT_CHARS)}.b.c`, 7]) {
      expect(EnrollResponse.safeParse({ ...ok, natsJwt }).success, String(natsJwt).slice(0, 30)).toBe(false);
    }
  });

  it('under fuzzing, parsing a hostile request or answer never throws', () => {
    const hostile = fc.dictionary(fc.constantFrom('token', 'name', 'hostId', 'publicKey', 'natsPublicKey', 'agentId', 'credential', 'natsJwt', '__proto__'), fc.anything({ maxDepth: 2 }), { maxKeys: 9 });
    fc.assert(
      fc.property(fc.oneof(hostile, fc.anything({ maxDepth: 2 })), (body) => {
        EnrollRequest.safeParse(body);
        EnrollResponse.safeParse(body);
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });

  it('the creds file is the standard one: the JWT block, then the seed block', () => {
    const text = natsCredsFile('eyJh.eyJi.c2ln', 'SUSEED');
    expect(text).toMatch(/^-----BEGIN NATS USER JWT-----\neyJh\.eyJi\.c2ln\n------END NATS USER JWT------\n[\s\S]*\n-----BEGIN USER NKEY SEED-----\nSUSEED\n------END USER NKEY SEED------\n/);
  });
});
