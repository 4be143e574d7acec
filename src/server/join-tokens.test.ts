import { describe, expect, it } from 'vitest';
import type { TokenRecord } from './store/index.js';
import { joinTokenRefusal } from './join-tokens.js';

const NOW = 1_750_000_000_000;
const join = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  id: 't1',
  name: 'fleet-join',
  role: 'agent',
  hash: 'h',
  createdAt: NOW - 1000,
  expiresAt: NOW + 1000,
  revokedAt: null,
  createdBy: 'admin',
  maxUses: 2,
  uses: 1,
  ...overrides,
});

describe('joinTokenRefusal', () => {
  it('a live join token with uses left may enroll', () => {
    expect(joinTokenRefusal(join(), NOW)).toBeUndefined();
    expect(joinTokenRefusal(join({ expiresAt: null, maxUses: null, uses: 500 }), NOW)).toBeUndefined();
  });

  it.each([
    ['not_a_join_token', join({ role: 'operator' }), 'token `fleet-join` has role operator; enrollment needs a join token with role agent'],
    ['revoked', join({ revokedAt: NOW - 5 }), 'join token `fleet-join` was revoked at 2025-06-15T15:06:39.995Z'],
    ['expired', join({ expiresAt: NOW }), 'join token `fleet-join` expired at 2025-06-15T15:06:40.000Z'],
    ['used_up', join({ uses: 2 }), 'join token `fleet-join` has enrolled 2 of the 2 agent(s) it allows'],
  ])('%s: refused with a 401 that says so', (reason, token, message) => {
    const refusal = joinTokenRefusal(token, NOW);
    expect(refusal?.code).toBe('BW_ERR_UNAUTHENTICATED');
    expect(refusal?.details).toEqual({ reason, token: 'fleet-join' });
    expect(refusal?.message).toContain(message);
  });
});
