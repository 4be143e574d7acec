import { describe, expect, it } from 'vitest';
import { agentFromToken, agentToken, natsSubjects } from './nats-subjects.js';

describe('natsSubjects', () => {
  it('names each agent in one token, so a dotted name cannot reach another agent’s subjects', () => {
    const s = natsSubjects('bw');
    expect(s.agentQuery('web-1.prod')).toBe('bw.agent.web-1~prod.query');
    expect(s.agentQuery('web-1.prod')).not.toBe(s.agentQuery('web-1'));
    expect(s.agentEvents('db@eu')).toBe('bw.events.db@eu');
    expect(s.allEvents).toBe('bw.events.*');
    expect(natsSubjects('t.lab7').eventsStream).toBe('T_LAB7_EVENTS');
  });

  it('maps names to tokens one-to-one', () => {
    for (const name of ['a', 'a.b', 'a_b', 'a-b.c.d', 'x@y.z']) expect(agentFromToken(agentToken(name))).toBe(name);
  });

  it('refuses a prefix with wildcards, spaces or empty tokens', () => {
    for (const bad of ['', 'bw.*', 'bw.>', 'b w', 'bw.', '.bw', 'bw..x']) expect(() => natsSubjects(bad)).toThrow(/invalid NATS subject prefix/);
  });
});
