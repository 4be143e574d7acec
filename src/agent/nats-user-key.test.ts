import { fromPublic, fromSeed } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { newNatsUserKey } from './nats-user-key.js';

// Checked against the NATS client's own nkeys package (the one the scaled-mode transport and the
// control plane's signer use): what it reads from our seed and public key is what we wrote.
describe('newNatsUserKey', () => {
  it('makes user keys the NATS nkeys package reads: the seed gives the public key, and signs as it', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = newNatsUserKey();
      expect(key.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
      expect(key.seed).toMatch(/^SU[A-Z2-7]{56}$/);
      const pair = fromSeed(new TextEncoder().encode(key.seed));
      expect(pair.getPublicKey()).toBe(key.publicKey);
      const data = new TextEncoder().encode(`nonce-${i}`);
      expect(fromPublic(key.publicKey).verify(data, pair.sign(data))).toBe(true);
      seen.add(key.publicKey);
    }
    expect(seen.size).toBe(200);
  });

  it('keeps the checksum: a key with one letter changed is refused by the nkeys package', () => {
    const { publicKey } = newNatsUserKey();
    const changed = publicKey.slice(0, 10) + (publicKey[10] === 'A' ? 'B' : 'A') + publicKey.slice(11);
    expect(() => fromPublic(changed)).toThrow();
  });
});
