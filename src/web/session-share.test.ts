import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionMessage } from './session-share.js';

describe("messages between a session's tabs", () => {
  it('takes asks, sign-outs and well-formed tokens', () => {
    expect(sessionMessage({ type: 'ask' })).toEqual({ type: 'ask' });
    expect(sessionMessage({ type: 'sign-out', extra: 1 })).toEqual({ type: 'sign-out' });
    expect(sessionMessage({ type: 'token', token: 'bwt_abc-DEF_123' })).toEqual({ type: 'token', token: 'bwt_abc-DEF_123' });
  });

  it('drops anything else: other types, tokens that are not user-token shaped, non-objects', () => {
    for (const m of [null, 'ask', 3, [], { type: 'token' }, { type: 'token', token: 'bwa_agent' }, { type: 'token', token: 'bwt_<script>' }, { type: 'token', token: `bwt_${'a'.repeat(201)}` }, { type: 'TOKEN', token: 'bwt_a' }]) expect(sessionMessage(m)).toBeUndefined();
  });

  it('never throws and only lets through one of the three messages (fuzz)', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const m = sessionMessage(data);
        if (m) expect(['ask', 'token', 'sign-out']).toContain(m.type);
        if (m?.type === 'token') expect(m.token).toMatch(/^bwt_[\w-]+$/);
      }),
      { numRuns: 500 },
    );
  });
});
