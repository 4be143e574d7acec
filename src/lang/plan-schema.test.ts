import { describe, expect, it } from 'vitest';
import { AgentPhaseSchema } from './index.js';

describe('AgentPhaseSchema', () => {
  it('says what is wrong in English without protocol having been imported', () => {
    const r = AgentPhaseSchema.safeParse({ where: 'agent', resource: 'host', steps: [{ op: 'range' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^Invalid discriminator value\. Expected 'traverse' \| 'filter'/);
    const n = AgentPhaseSchema.safeParse({ where: 'agent', resource: 'host', steps: [{ op: 'filter', expr: { k: 'num', v: 'x' } }] });
    expect(n.error?.issues[0]).toMatchObject({ path: ['steps', 0, 'expr', 'v'], message: 'Invalid input: expected number, received string' });
  });
});
